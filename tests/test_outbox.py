"""The outbox against a real SMTP server (aiosmtpd on loopback), on SQLite and PostgreSQL.

Server down while people register, a 451 then 250, a 550, a server that never
answers, no server at all (.eml files), addresses with umlauts.
"""

from __future__ import annotations

import email
import logging
import threading
from datetime import timedelta
from email.policy import default

import pytest
from sqlalchemy import select

from events.extensions import db, mail
from events.mail import sender
from events.models import OutboxMessage, OutboxStatus, utcnow
from events.services import seats
from tests.conftest import applicant, write_mails
from tests.smtp_support import (
    REJECT,
    TEMPFAIL_ONCE,
    SilentServer,
    SmtpServer,
    self_signed_certificate,
    server_tls_context,
)

pytestmark = pytest.mark.backends


@pytest.fixture
def config_overrides(smtp_config):
    return smtp_config


def register_by_api(client, workshop, n):
    return client.post(f"/api/v1/workshops/{workshop.id}/registrations", json={
        "name": f"Person {n}", "email": f"person{n}@kommune.example",
        "municipality": "Stadt Köln", "role": "Integrationsbüro", "consent": True,
    })


def register(workshop, n, **fields):
    result = seats.register(workshop.id, applicant(n, **fields))
    db.session.commit()
    return result.registration


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def later(**delta):
    return utcnow() + timedelta(**delta)


def test_server_down_while_people_register_then_every_message_arrives_once(
        smtp, client, runner, make_workshop):
    smtp.stop()
    workshop = make_workshop(capacity=3)
    answers = [register_by_api(client, workshop, n) for n in range(1, 6)]
    assert [a.status_code for a in answers] == [202] * 5  # a dead mail server fails no one
    assert [m.kind for m in outbox()] == ["confirm_request"] * 3 + ["waitlisted"] * 2
    write_mails()

    report = sender.send_due()
    assert (report.sent, report.retried, report.failed) == (0, 5, 0)
    before = utcnow()
    for message in outbox():
        assert message.status == OutboxStatus.queued
        assert message.attempts == 1
        assert "Mailserver nicht erreichbar" in message.last_error
        assert message.next_attempt_at > before
    assert sender.send_due().sent == 0  # nothing due yet: no new attempt
    assert {m.attempts for m in outbox()} == {1}
    status = runner.invoke(args=["outbox", "status"]).output
    assert "in Warteschlange: 5, gesendet: 0, fehlgeschlagen: 0" in status
    assert "nächster Versuch: #1 (confirm_request)" in status
    assert "letzter Fehler: Mailserver nicht erreichbar: ConnectionRefusedError" in status

    smtp.start()
    report = sender.send_due(now=later(hours=1))
    assert (report.sent, report.retried, report.failed) == (5, 0, 0)
    queued_ids = sorted(m.message_id for m in outbox())
    assert sorted(smtp.handler.message_ids()) == queued_ids  # each exactly once
    assert {m.status for m in outbox()} == {OutboxStatus.sent}
    assert all(m.last_error == "" and m.sent_at is not None for m in outbox())

    assert sender.send_due(now=later(days=30)).sent == 0
    assert len(smtp.received) == 5


def test_451_once_then_250_is_delivered_once(smtp, make_workshop):
    smtp.handler.behaviour = TEMPFAIL_ONCE
    workshop = make_workshop(capacity=5)
    register(workshop, 1)
    register(workshop, 2)

    report = sender.send_due()
    # a 4xx concerns that message only: the round goes on with the next one
    assert (report.sent, report.retried, report.failed) == (0, 2, 0)
    assert len(smtp.handler.refused) == 2 and smtp.received == []
    for message in outbox():
        assert message.status == OutboxStatus.queued and message.attempts == 1
        assert message.last_error.startswith("451")
        assert message.next_attempt_at > utcnow()

    report = sender.send_due(now=later(hours=1))
    assert (report.sent, report.retried, report.failed) == (2, 0, 0)
    messages = outbox()
    assert [m.attempts for m in messages] == [2, 2]
    assert sorted(smtp.handler.message_ids()) == sorted(m.message_id for m in messages)
    # the retry carried the same Message-ID as the refused attempt
    assert sorted(smtp.handler.refused) == sorted(m.message_id for m in messages)


def test_backoff_doubles_per_attempt(app, smtp, make_workshop):
    smtp.handler.behaviour = REJECT
    smtp.handler.reject_reply = "452 4.2.2 Postfach voll"
    register(make_workshop(), 1)
    start = later(minutes=1)
    delays = []
    for step in range(3):
        now = start + timedelta(days=step)
        sender.send_due(now=now)
        delays.append(outbox()[0].next_attempt_at - now)
    base = app.config["MAIL_RETRY_SECONDS"]
    assert delays == [timedelta(seconds=base * 2 ** k) for k in range(3)]


def test_550_fails_is_not_retried_is_listed_and_can_be_requeued(
        app, smtp, runner, make_workshop, caplog):
    caplog.set_level(logging.INFO)
    smtp.handler.behaviour = REJECT
    smtp.handler.reject_reply = "550 5.1.1 <person1@kommune.example>: Postfach unbekannt"
    registration = register(make_workshop(), 1)

    report = sender.send_due()
    assert (report.sent, report.retried, report.failed) == (0, 0, 1)
    [message] = outbox()
    assert message.status == OutboxStatus.failed and message.attempts == 1
    assert "550 5.1.1" in message.last_error
    assert "person1@kommune.example" not in message.last_error

    for days in (1, 10, 100):  # later rounds leave it alone
        assert sender.send_due(now=later(days=days)).failed == 0
    assert len(smtp.handler.refused) == 1

    result = runner.invoke(args=["outbox", "status"])
    assert result.exit_code == 0, result.output
    assert "fehlgeschlagen: 1" in result.output
    assert (f"fehlgeschlagen: #{message.id} (confirm_request, Anmeldung {registration.id}), "
            "Versuche: 1, Fehler: 550 5.1.1") in result.output
    assert "person1@kommune.example" not in result.output
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("events"))
    assert "person1@kommune.example" not in ours
    assert f"registration {registration.id}" in ours

    smtp.handler.behaviour = "accept"
    result = runner.invoke(args=["outbox", "retry"])
    assert result.exit_code == 0 and "1 Nachricht(en)" in result.output
    [message] = outbox()
    assert (message.status, message.attempts) == (OutboxStatus.queued, 0)
    assert sender.send_due().sent == 1
    assert smtp.handler.message_ids() == [message.message_id]
    result = runner.invoke(args=["outbox", "status"])
    assert "gesendet: 1, fehlgeschlagen: 0" in result.output


def test_too_many_temporary_failures_end_in_failed(app, smtp, make_workshop):
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    smtp.handler.behaviour = REJECT
    smtp.handler.reject_reply = "451 4.3.0 Später"
    register(make_workshop(), 1)
    assert sender.send_due().retried == 1
    assert sender.send_due(now=later(days=1)).failed == 1
    [message] = outbox()
    assert (message.status, message.attempts) == (OutboxStatus.failed, 2)
    assert sender.send_due(now=later(days=2)).failed == 0
    assert len(smtp.handler.refused) == 2


def test_silent_server_costs_one_timeout_and_loses_nothing(app, make_workshop):
    silent = SilentServer()
    app.config.update(MAIL_PORT=silent.port, MAIL_TIMEOUT=1)
    mail.init_app(app)  # Flask-Mail reads host and port once, at init
    workshop = make_workshop()
    register(workshop, 1)
    register(workshop, 2)

    reports = []

    def run():
        with app.app_context():
            reports.append(sender.send_due())
            db.session.remove()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)  # a guard against a hang, not a speed measurement
    silent.close()
    assert not thread.is_alive(), "send_due hung on a server that never answers"
    assert (reports[0].sent, reports[0].retried) == (0, 2)
    assert len(silent.connections) == 1  # gave up on the server, not once per message
    for message in outbox():
        assert message.status == OutboxStatus.queued
        assert "timed out" in message.last_error
        assert message.next_attempt_at > utcnow()


def test_without_mail_server_messages_become_eml_files(app, smtp, make_workshop, tmp_path):
    app.config["MAIL_SERVER"] = None
    registration = register(make_workshop(), 1)
    assert sender.send_due().sent == 1
    [path] = (tmp_path / "mail").glob("*.eml")
    assert path.name.endswith(f"-{outbox()[0].id:06d}-confirm_request.eml")
    parsed = email.message_from_bytes(path.read_bytes(), policy=default)
    assert parsed["Message-ID"] == outbox()[0].message_id
    assert registration.workshop.title in parsed["Subject"]
    assert smtp.received == []


def test_umlaut_domain_goes_out_as_ascii_and_umlaut_mailbox_uses_smtputf8(smtp, make_workshop):
    workshop = make_workshop()
    register(workshop, 1, email="person1@köln.example")
    register(workshop, 2, email="müller@kommune.example")
    assert sender.send_due().sent == 2
    first, second = smtp.received
    assert first.rcpt_tos == ("person1@xn--kln-sna.example",)
    assert first.message["To"] == "person1@xn--kln-sna.example"
    assert second.rcpt_tos == ("müller@kommune.example",)
    assert second.message["To"] == "müller@kommune.example"
    assert first.raw.isascii()  # 7-bit clean: no 8BITMIME needed


def test_starttls_checks_the_server_certificate(app, make_workshop, tmp_path, monkeypatch):
    cert, key = self_signed_certificate(tmp_path)
    server = SmtpServer(tls_context=server_tls_context(cert, key), require_starttls=True).start()
    try:
        app.config.update(MAIL_PORT=server.port, MAIL_USE_TLS=True)
        mail.init_app(app)
        register(make_workshop(), 1)

        assert sender.send_due().retried == 1  # a certificate nobody vouches for: no mail
        assert "CERTIFICATE_VERIFY_FAILED" in outbox()[0].last_error
        assert server.received == []

        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # now the client trusts it
        assert sender.send_due(now=later(hours=1)).sent == 1
        assert server.handler.message_ids() == [outbox()[0].message_id]
    finally:
        server.stop()
