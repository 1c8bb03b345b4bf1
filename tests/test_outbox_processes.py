"""``flask outbox send`` and ``flask outbox worker`` as real processes, on SQLite and PostgreSQL.

Two senders at once never send a message twice (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite); the worker sends, expires overdue
reservations and stops cleanly on SIGTERM.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from events.extensions import db
from events.mail.outbox import enqueue
from events.models import OutboxMessage, OutboxStatus, Registration, RegistrationStatus, utcnow
from events.services import seats
from tests.conftest import TEST_SECRET, applicant

pytestmark = [pytest.mark.backends, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def flask_env(database_url, smtp, tmp_path):
    """The environment of a production process pointed at the test database and server."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "MAIL_SERVER": smtp.host,
        "MAIL_PORT": str(smtp.port),
        "MAIL_TIMEOUT": "5",
        "MAIL_DIR": str(tmp_path / "mail"),
        "BASE_URL": "http://praxis.test",
        "RATELIMIT_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
    }


def flask(env, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def outbox() -> list[OutboxMessage]:
    db.session.rollback()  # a fresh snapshot: the processes wrote meanwhile
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_two_senders_at_once_send_every_message_exactly_once(app, smtp, flask_env):
    for n in range(60):
        enqueue(kind="probe", recipient=f"person{n}@kommune.example",
                subject=f"Nachricht {n}", body_text=f"Nachricht {n}")
    db.session.commit()
    smtp.handler.gate_sessions = 2  # hold DATA until both processes are connected
    smtp.handler.delay = 0.01

    processes = [flask(flask_env, "outbox", "send") for _ in range(2)]
    outputs = []
    for process in processes:
        output, _ = process.communicate(timeout=120)
        outputs.append(output)
        assert process.returncode == 0, output

    messages = outbox()
    assert len(messages) == 60
    assert sorted(smtp.handler.message_ids()) == sorted(m.message_id for m in messages)
    assert {(m.status, m.attempts) for m in messages} == {(OutboxStatus.sent, 1)}  # one claim each
    assert smtp.handler.sessions_at_gate == 2  # the two really overlapped
    sent = [int(re.search(r"Ausgang: (\d+) gesendet", out).group(1)) for out in outputs]
    assert sum(sent) == 60 and min(sent) >= 1, outputs


def test_worker_sends_expires_and_stops_on_sigterm(app, smtp, flask_env, make_workshop):
    real_now = utcnow()
    workshop = make_workshop(capacity=1, starts_at=real_now + timedelta(days=14))
    first = seats.register(workshop.id, applicant(1), now=real_now - timedelta(days=3))
    db.session.commit()
    second = seats.register(workshop.id, applicant(2), now=real_now - timedelta(days=2))
    db.session.commit()
    assert first.registration.expires_at < real_now  # overdue: the worker's job
    assert second.status == RegistrationStatus.waitlisted
    first_id, second_id = first.registration.id, second.registration.id

    worker = flask(flask_env, "outbox", "worker", "--interval", "0.3")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            messages = outbox()
            kinds = {m.kind for m in messages if m.status == OutboxStatus.sent}
            if {"expired", "promoted"} <= kinds and all(
                    m.status == OutboxStatus.sent for m in messages):
                break
            time.sleep(0.2)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=15)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()

    assert worker.returncode == 0, output
    assert "Worker beendet." in output
    messages = outbox()
    assert [m.kind for m in messages][:2] == ["confirm_request", "waitlisted"]
    assert {"expired", "promoted"} <= {m.kind for m in messages}
    assert {m.status for m in messages} == {OutboxStatus.sent}
    assert sorted(smtp.handler.message_ids()) == sorted(m.message_id for m in messages)
    assert db.session.get(Registration, first_id).status == RegistrationStatus.expired
    assert db.session.get(Registration, second_id).status == RegistrationStatus.pending
