"""What people receive, read back from a real SMTP server with the stdlib ``email`` parser.

German text and HTML, Berlin time ("Di., 12. Januar 2027, 10:00 Uhr"), the
personal link, the Message-ID of the outbox row, the sender's contact, no
tracking, and no e-mail address in our logs.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from events.extensions import db
from events.mail import sender
from events.mail.outbox import enqueue
from events.models import OutboxMessage
from events.services import seats, tokens
from tests.conftest import applicant

#: Tuesday 12 January 2027, 10:00–16:00 in Berlin (UTC+1 in winter).
STARTS = datetime(2027, 1, 12, 9, 0, tzinfo=timezone.utc)
ENDS = datetime(2027, 1, 12, 15, 0, tzinfo=timezone.utc)
#: 48 hours before the start: the confirmation deadline is the start itself.
REGISTERED = datetime(2027, 1, 10, 9, 0, tzinfo=timezone.utc)
TITLE = "Übergänge gestalten – Integrationsmanagement in Köln"
URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")


@pytest.fixture
def config_overrides(smtp_config):
    return {**smtp_config,
            "MAIL_DEFAULT_SENDER": "Kompetenzteam Flüchtlingsmanagement <workshops@kt.example>",
            "CONTACT_NAME": "Kompetenzteam Flüchtlings- und Integrationsmanagement",
            "CONTACT_EMAIL": "kontakt@kt.example"}


@pytest.fixture
def received(client, smtp, make_workshop):
    """Register Jürgen Müller through the API, send, and return (message, row, registration)."""
    workshop = make_workshop(capacity=5, title=TITLE, starts_at=STARTS, ends_at=ENDS,
                             venue_name="Bürgerzentrum Ehrenfeld",
                             venue_address="Venloer Str. 429, 50825 Köln")
    result = seats.register(workshop.id, applicant("jm", name="Jürgen Müller",
                                                   email="j.mueller@kommune.example"),
                            now=REGISTERED)
    db.session.commit()
    assert sender.send_due().sent == 1
    [row] = db.session.scalars(select(OutboxMessage))
    [mail] = smtp.received
    return mail.message, row, result.registration


def parts(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.walk()
            if not part.is_multipart()}


def test_confirmation_request_is_german_with_text_and_html(received):
    message, row, _ = received
    assert message["Subject"] == f"Bitte bestätigen: {TITLE}"
    assert message.get_content_type() == "multipart/alternative"
    bodies = parts(message)
    assert list(bodies) == ["text/plain", "text/html"]
    for body in bodies.values():
        assert "Guten Tag Jürgen Müller" in body
        assert TITLE in body
        assert "Bürgerzentrum Ehrenfeld, Venloer Str. 429, 50825 Köln" in body
        assert "Mit freundlichen Grüßen" in body
    assert message["Content-Language"] == "de"
    assert message["Auto-Submitted"] == "auto-generated"


def test_times_are_berlin_time_in_german(received):
    bodies = parts(received[0])
    for body in bodies.values():
        # the deadline: 48 hours after registering, but no later than the start
        assert "bis Di., 12. Januar 2027, 10:00 Uhr" in body
        assert "Di., 12. Januar 2027, 10:00–16:00 Uhr" in body
        assert "09:00" not in body  # never UTC


def test_personal_link_and_message_id(received):
    message, row, registration = received
    link = tokens.manage_url(registration)
    assert link.startswith("http://praxis.test/anmeldung/")
    bodies = parts(message)
    assert link in bodies["text/plain"]
    assert f'href="{link}"' in bodies["text/html"]
    assert message["Message-ID"] == row.message_id
    assert row.message_id.endswith("@praxis.test>")


def test_sender_contact_and_envelope(received, smtp):
    message, row, _ = received
    assert message["From"].addresses[0].addr_spec == "workshops@kt.example"
    assert message["From"].addresses[0].display_name == "Kompetenzteam Flüchtlingsmanagement"
    assert message["Reply-To"].addresses[0].addr_spec == "kontakt@kt.example"
    assert message["To"] == "j.mueller@kommune.example"
    assert smtp.received[0].mail_from == "workshops@kt.example"
    assert smtp.received[0].rcpt_tos == ("j.mueller@kommune.example",)
    for body in parts(message).values():
        assert "kontakt@kt.example" in body
        assert "Kompetenzteam Flüchtlings- und Integrationsmanagement" in body


def test_no_tracking(received):
    message, _, _ = received
    html = parts(message)["text/html"]
    assert not re.search(r"<img|<script|<iframe|<link|\bsrc=|url\(", html, re.IGNORECASE)
    hosts = {urlsplit(url if ":" in url.split("//")[0] else "http:" + url).hostname
             for body in parts(message).values() for url in URL.findall(body)}
    assert hosts == {"praxis.test"}  # only our own links; nothing that reports an open
    assert not re.search(r"utm_|[?&](?:trk|track|open)=", str(message), re.IGNORECASE)


def test_raw_message_is_7bit_and_headers_are_encoded(received, smtp):
    raw = smtp.received[0].raw
    assert raw.isascii()
    assert b"=?utf-8?q?best=C3=A4tigen" in raw  # RFC 2047, decoded back above


def test_calendar_message_structure(app, smtp):
    ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    enqueue(kind="confirmed", recipient="a@kommune.example", subject="Anmeldung bestätigt",
            body_text="Text", body_html="<p>HTML</p>", ical=ics, ical_method="REQUEST")
    db.session.commit()
    assert sender.send_due().sent == 1
    message = smtp.received[0].message
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain", "text/html", "text/calendar"]
    inline = list(alternative.iter_parts())[2]
    assert inline.get_param("method") == "REQUEST"
    assert inline.get_content().replace("\r\n", "\n") == ics.replace("\r\n", "\n")
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_type() == "text/calendar"


def test_no_address_in_logs_of_registration_and_sending(client, runner, smtp, make_workshop,
                                                        caplog):
    caplog.set_level(logging.DEBUG)
    workshop = make_workshop(capacity=1)
    addresses = ["erika.beispiel@kommune.example", "max.muster@kreis.example"]
    for n, address in enumerate(addresses):
        response = client.post(f"/api/v1/workshops/{workshop.id}/registrations", json={
            "name": f"Person {n}", "email": address, "municipality": "Stadt Köln",
            "role": "Integrationsbüro", "consent": True})
        assert response.status_code == 202
    smtp.handler.behaviour = "reject"
    smtp.handler.reject_reply = f"550 5.1.1 <{addresses[0]}>: unbekannt"
    sender.send_due()
    smtp.handler.behaviour = "accept"
    assert "2 Nachricht(en)" in runner.invoke(args=["outbox", "retry"]).output
    assert sender.send_due().sent == 2

    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]  # not the server's
    assert any(r.name.startswith("events.mail") for r in ours)
    assert any("registration 1" in r.getMessage() for r in ours)
    text = "\n".join(r.getMessage() for r in ours)
    for address in addresses:
        assert address not in text
    assert "@" not in text
