"""A 6-second database outage under load: nothing acknowledged lost, no mail twice.

The shared PostgreSQL server is not restarted (other tests use it): the app
(gunicorn, 2 workers) and the outbox worker (``flask outbox worker``) reach it
through ``tests.db_proxy.DatabaseProxy``, which cuts every connection and
refuses new ones for six seconds, as a restart or failover looks from the
clients. Registrations are fired from a few client threads all the while;
the mail goes to a real SMTP server (aiosmtpd).

What must hold afterwards:

- every request was answered, 2xx or 503 (JSON, ``Retry-After``), never a 500;
- every registration acknowledged with a 2xx is in the database exactly once,
  and every registration in the database has its mail in the outbox (they are
  written in one transaction: nothing half-written);
- the app answers 2xx again after the outage, by itself (``database.ping_when_idle``);
- the worker recovers by itself (backoff, one log line per failed round) and
  every outbox message reaches the SMTP server exactly once. A cut between the
  server's ``250`` and the worker's commit would be the one way to a twin
  (at-least-once delivery, same Message-ID); the worker remembers such a
  message and records it as sent once the database is back, so no twin here;
- the logs hold one line per failed request and no traceback at all.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.engine import make_url

from events import create_app
from events.extensions import db
from events.mail import sender
from events.mail.outbox import enqueue
from events.models import OutboxMessage, OutboxStatus, Participant, Registration, utcnow
from tests.conftest import TEST_SECRET, base_config
from tests.db_proxy import DatabaseProxy
from tests.server_support import GunicornServer, person

#: The outage tests need the proxy in front of PostgreSQL (SQLite has no connection to cut).
ON_POSTGRESQL = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)

ROOT = Path(__file__).resolve().parent.parent
#: Seconds of load before the outage, of the outage, and of load after it.
BEFORE, OUTAGE, AFTER = 3.0, 6.0, 4.0
CLIENT_THREADS = 3
#: Seconds the worker may take to deliver the backlog after the load ends (a bound: the
#: test goes on as soon as every mail is there).
DRAIN = 60.0
#: Pause of each client thread between requests: the test is about what an outage does,
#: not about throughput; since the registration path became fast (issue 15) unthrottled
#: clients queued more mail than the worker delivered within the drain time on a busy CI.
CLIENT_PAUSE = 0.02


@dataclass
class Sent:
    email: str
    status: int | None
    body: dict | None
    retry_after: str | None
    error: str | None
    during_outage: bool
    after_outage: bool


class Load:
    """Client threads posting new registrations until ``stop()``."""

    def __init__(self, base_url: str, workshop_id: int, proxy: DatabaseProxy) -> None:
        self.url = f"{base_url}/api/v1/workshops/{workshop_id}/registrations"
        self.proxy = proxy
        self.answers: list[Sent] = []
        self.outage_over = False
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True)
                         for _ in range(CLIENT_THREADS)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(30)

    def _run(self) -> None:
        session = requests.Session()
        while not self._stopping.is_set():
            with self._lock:
                n = next(self._numbers)
            body = person(f"-outage-{n}")
            during, after = self.proxy.down, self.outage_over
            try:
                response = session.post(self.url, json=body, timeout=20)
            except requests.RequestException as exc:
                sent = Sent(body["email"], None, None, None, f"{type(exc).__name__}: {exc}",
                            during, after)
            else:
                try:
                    payload = response.json()
                except ValueError:
                    payload = None
                sent = Sent(body["email"], response.status_code, payload,
                            response.headers.get("Retry-After"), None,
                            during or self.proxy.down, after)
            with self._lock:
                self.answers.append(sent)
            self._stopping.wait(CLIENT_PAUSE)


def worker_env(database_url: str, smtp, tmp_path: Path) -> dict:
    """The environment of a production worker on ``database_url`` sending to ``smtp``."""
    return {
        **{k: v for k, v in os.environ.items()
           if not k.startswith(("MAIL_", "DATABASE_URL", "RATELIMIT_"))},
        "DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET,
        "MAIL_SERVER": smtp.host, "MAIL_PORT": str(smtp.port), "MAIL_TIMEOUT": "5",
        "MAIL_DIR": str(tmp_path / "mail"), "BASE_URL": "http://praxis.test",
        "RATELIMIT_ENABLED": "false", "PYTHONUNBUFFERED": "1",
    }


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def flask_process(env: dict, log_path: Path, *args) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 - the child writes to it until it ends
    try:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", *args],
                                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
    finally:
        log.close()


def outbox() -> list[OutboxMessage]:
    db.session.rollback()  # a fresh snapshot: the processes wrote meanwhile
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def wait_until_delivered(smtp, deadline: float) -> list[OutboxMessage]:
    while True:
        messages = outbox()
        received = set(smtp.handler.message_ids())
        if all(m.status == OutboxStatus.sent for m in messages) and \
                {m.message_id for m in messages} <= received:
            return messages
        if time.monotonic() > deadline:
            return messages
        time.sleep(0.3)


@pytest.mark.slow
@ON_POSTGRESQL
def test_a_database_outage_under_load_loses_nothing_and_sends_each_mail_once(
        app, database_url, smtp, make_programme, make_workshop, tmp_path):
    programme = make_programme(capacity=100_000)
    workshop = make_workshop(capacity=100_000, programme_=programme,
                             starts_at=utcnow() + timedelta(days=30))
    real = make_url(database_url)
    proxy = DatabaseProxy(real.host or "127.0.0.1", real.port or 5432).start()
    proxied = proxy.url_for(database_url)
    server = GunicornServer(proxied, tmp_path, workers=2)
    worker_log = tmp_path / "worker.log"
    worker = None
    try:
        server.start()
        worker = flask_process(worker_env(proxied, smtp, tmp_path), worker_log,
                               "outbox", "worker", "--interval", "0.3")
        # the outage must find the worker running: on a busy machine (CI runs two test
        # processes) its start took longer than the load before the outage
        ready = time.monotonic() + 60
        while "Worker läuft" not in worker_log.read_text(errors="replace"):
            assert time.monotonic() < ready and worker.poll() is None, \
                worker_log.read_text(errors="replace")
            time.sleep(0.1)

        load = Load(server.url, workshop.id, proxy)
        load.start()
        time.sleep(BEFORE)
        proxy.outage(OUTAGE)
        load.outage_over = True
        time.sleep(AFTER)
        load.stop()

        messages = wait_until_delivered(smtp, time.monotonic() + DRAIN)
    finally:
        if worker is not None:
            stop(worker)
        server.stop()
        proxy.close()
    app_log = server.log_tail(2_000_000)
    worker_output = worker_log.read_text(errors="replace")
    context = f"\n--- gunicorn ---\n{app_log[-6000:]}\n--- worker ---\n{worker_output[-6000:]}"

    # every request answered: 2xx or a 503 that says so, never a 500
    answers = load.answers
    statuses = Counter(a.status for a in answers)
    assert all(a.status is not None for a in answers), \
        ([a for a in answers if a.status is None][:3], context)
    assert set(statuses) <= {200, 201, 202, 503}, (statuses, context)
    unavailable = [a for a in answers if a.status == 503]
    assert unavailable, f"the outage was not seen: {statuses}"
    assert all(a.body and a.body["error"]["code"] == "database_unavailable" and
               int(a.retry_after) > 0 for a in unavailable), unavailable[:3]
    assert all(a.during_outage for a in unavailable), \
        [a for a in unavailable if not a.during_outage][:3]
    # the app came back by itself
    assert any(a.after_outage and 200 <= a.status < 300 for a in answers), statuses

    # every acknowledged registration is there exactly once, each with its mail
    db.session.rollback()
    rows = db.session.execute(
        select(Registration.id, Participant.email)
        .join(Participant, Registration.participant_id == Participant.id)
        .where(Registration.workshop_id == workshop.id)).all()
    per_email = Counter(email for _, email in rows)
    acknowledged = [a.email for a in answers if 200 <= a.status < 300]
    assert len(acknowledged) == len(set(acknowledged))
    missing = [email for email in acknowledged if per_email[email] != 1]
    assert not missing, missing[:5]
    assert all(count == 1 for count in per_email.values())
    mailed = Counter(m.registration_id for m in messages)
    assert {rid for rid, _ in rows} == set(mailed), "a registration without its mail"
    assert all(count == 1 for count in mailed.values()), mailed.most_common(3)

    # the worker recovered and delivered every message exactly once
    assert worker.returncode == 0, context
    assert "Worker beendet." in worker_output
    received = Counter(smtp.handler.message_ids())
    twins = [mid for mid, count in received.items() if count > 1]
    assert not twins, (twins, context)
    assert set(received) == {m.message_id for m in messages}, context
    assert {m.status for m in messages} == {OutboxStatus.sent}, context

    # the logs: one line per failed request, one per failed worker round, no traceback
    assert "Traceback" not in app_log, context
    assert "Traceback" not in worker_output, context
    request_lines = re.findall(r"database unavailable on POST /api/v1/workshops/\d+/"
                               r"registrations", app_log)
    assert len(request_lines) == len(unavailable), (len(request_lines), len(unavailable))
    round_lines = re.findall(r"worker: database unavailable", worker_output)
    assert 1 <= len(round_lines) <= 8, worker_output  # backoff: a few rounds, not one per 0.3 s
    print(f"\n{len(answers)} requests {dict(statuses)}, {len(rows)} registrations, "
          f"{len(messages)} mails, {proxy.cuts} connections cut, "
          f"{len(round_lines)} worker rounds failed")


@pytest.mark.slow
@ON_POSTGRESQL
def test_a_cut_between_the_servers_250_and_the_commit_sends_no_twin(
        app, database_url, smtp, tmp_path):
    """The one moment a twin could come from: the SMTP server has the message, the
    database connection breaks before ``status = sent`` is committed. The worker
    keeps the message in hand and records it as sent once the database is back;
    it is not sent again (nor left waiting for its lease as if unsent)."""
    for n in range(5):
        enqueue(kind="probe", recipient=f"person{n}@kommune.example",
                subject=f"Nachricht {n}", body_text=f"Nachricht {n}")
    db.session.commit()
    real = make_url(database_url)
    proxy = DatabaseProxy(real.host or "127.0.0.1", real.port or 5432).start()
    accept = smtp.handler.handle_DATA
    cut: list[str] = []

    async def cut_before_250(server, session, envelope):
        """The second message: take the database away, then say 250."""
        if len(smtp.handler.received) == 1 and not cut:
            cut.append("now")
            threading.Thread(target=proxy.outage, args=(3.0,), daemon=True).start()
            while not proxy.down:
                await asyncio.sleep(0.01)
        return await accept(server, session, envelope)

    smtp.handler.handle_DATA = cut_before_250  # the test's mail server, not our code
    worker_log = tmp_path / "worker.log"
    worker = flask_process(worker_env(proxy.url_for(database_url), smtp, tmp_path), worker_log,
                           "outbox", "worker", "--interval", "0.3")
    try:
        messages = wait_until_delivered(smtp, time.monotonic() + DRAIN)
    finally:
        stop(worker)
        proxy.close()
    output = worker_log.read_text(errors="replace")

    assert cut, output
    assert worker.returncode == 0, output
    received = Counter(smtp.handler.message_ids())
    assert sorted(received) == sorted(m.message_id for m in messages), output
    assert set(received.values()) == {1}, (received, output)  # no twin
    assert {(m.status, m.attempts) for m in messages} == {(OutboxStatus.sent, 1)}, output
    assert f"outbox message {messages[1].id} settled after a lost database connection: sent" \
        in output, output
    assert "Traceback" not in output, output
    assert 1 <= len(re.findall(r"worker: database unavailable", output)) <= 5, output


@pytest.mark.backends
def test_settle_records_what_the_lost_connection_did_not_and_leaves_others_alone(app):
    """``settle`` after a broken connection: delivered → sent; not delivered → due now
    (not after the lease); a row whose lease is no longer ours is not touched."""
    for n in range(3):
        enqueue(kind="probe", recipient=f"person{n}@kommune.example",
                subject=f"Nachricht {n}", body_text=f"Nachricht {n}")
    db.session.commit()
    now = utcnow()
    delivered, undelivered, taken = (sender.claim_next(now) for _ in range(3))
    assert delivered.lease_until == now + sender._lease()

    assert sender.settle(sender.Unsettled(delivered.id, delivered.lease_until, True)) == "sent"
    assert sender.settle(
        sender.Unsettled(undelivered.id, undelivered.lease_until, False)) == "due again"
    other_lease = taken.lease_until + timedelta(seconds=1)  # another worker claimed it since
    assert sender.settle(sender.Unsettled(taken.id, other_lease, True)) == "unchanged"
    # settling twice changes nothing (the worker retries until the database answers)
    assert sender.settle(sender.Unsettled(delivered.id, delivered.lease_until, True)) == \
        "unchanged"

    rows = {m.id: m for m in outbox()}
    assert rows[delivered.id].status == OutboxStatus.sent
    assert rows[undelivered.id].status == OutboxStatus.queued
    assert rows[undelivered.id].next_attempt_at <= utcnow()
    assert rows[taken.id].status == OutboxStatus.queued
    assert rows[taken.id].next_attempt_at == taken.lease_until
    assert {m.attempts for m in rows.values()} == {1}


def test_outbox_send_without_a_database_says_so_in_one_line(tmp_path):
    url = "postgresql+psycopg://praxis:geheim@127.0.0.1:1/praxis"  # a port without a server
    cli_app = create_app(base_config(url, tmp_path))
    with cli_app.app_context():
        result = cli_app.test_cli_runner().invoke(args=["outbox", "send"])
        db.engine.dispose()
    assert result.exit_code == 1
    assert result.output.strip() == \
        "Error: Die Datenbank ist nicht erreichbar; bitte später erneut versuchen."
    assert "geheim" not in result.output


def test_a_pooled_connection_is_pinged_only_after_sitting_idle(postgres_url):
    """``database.ping_when_idle``: no round trip for a connection used a moment ago (the
    registration rush); one that sat idle while the server dropped it is replaced before
    any statement sees it."""
    from sqlalchemy import create_engine, text

    from events import database

    with DatabaseProxy() as proxy:
        engine = create_engine(proxy.url_for(postgres_url), pool_size=1)
        database.configure_engine(engine)
        pings = []
        ping = engine.dialect.do_ping
        engine.dialect.do_ping = lambda connection: pings.append(1) or ping(connection)
        try:
            for _ in range(20):
                with engine.connect() as connection:
                    assert connection.execute(text("SELECT 1")).scalar() == 1
            assert (pings, proxy.accepted) == ([], 1)  # one connection, never pinged

            proxy.cut_all()  # the server goes away and comes back while nobody asks
            time.sleep(database.PING_WHEN_IDLE_SECONDS + 0.3)
            with engine.connect() as connection:
                assert connection.execute(text("SELECT 2")).scalar() == 2
            assert (len(pings), proxy.accepted) == (1, 2)  # pinged, failed, replaced
        finally:
            engine.dispose()
