"""A registration's commit does not hold the programme lock through the fsync, and the
answer still waits for the disk (PostgreSQL).

The seat change commits with ``synchronous_commit = off`` for its own transaction only;
after the commit, on the same connection, a synchronously committed transaction waits
until the WAL (and with it the registration) is on disk: on the rush's path
(``services.seat_pipeline``) the one that writes the person's language, on the full path
(``seats.register``, e.g. a cancelled registration taken up again) one statement of its
own (``locking._flush_after_commit``).
Crashing the server is not possible here (it is shared), so these tests check the parts:
the wait runs after every registration and before the answer, its failure is not swallowed,
and nothing else loses its synchronous commit.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text

from events.extensions import db
from events.models import OutboxMessage, OutboxStatus, Registration
from events.services import jobs, locking, seats
from tests.api_support import body, upcoming

pytestmark = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


def test_the_answer_waits_for_the_flush_mark_and_a_failing_one_is_an_outage(
        client, make_workshop, monkeypatch):
    item = make_workshop(capacity=5, starts_at=upcoming())
    url = f"/api/v1/workshops/{item.id}/registrations"
    assert client.post(url, json=body(1)).status_code == 202
    first = db.session.scalars(select(Registration.id)).one()
    seats.cancel(first)
    db.session.commit()

    # taken up again (the full path); a mark that fails: the commit of the registration
    # happened, the wait did not
    monkeypatch.setattr(locking, "_FLUSH_MARK", "SELECT 1 / 0")
    response = client.post(url, json=body(1))
    assert response.status_code == 503
    assert response.headers.get("Retry-After")
    db.session.rollback()
    assert db.session.get(Registration, first, populate_existing=True).holds_seat


def test_a_connection_lost_after_the_seat_commit_is_an_outage_and_loses_no_mail(
        client, make_workshop):
    """The rush's path: another transaction holds the person's row, so the CALL stops
    after the seat's commit, before the commit that waits for the disk. There the
    registration is visible to everyone already (the lock is not held through the
    fsync), and there the connection dies: the answer is a 503 (nobody is told "accepted"
    before the disk has it); the registration stands with its mail reserved, and the
    worker writes that mail."""
    item, known = (make_workshop(capacity=5, starts_at=upcoming()) for _ in range(2))
    assert client.post(f"/api/v1/workshops/{known.id}/registrations",
                       json=body(1)).status_code == 202  # the person exists
    item_id = item.id
    db.session.remove()
    answers = []
    with db.engine.connect() as holder, db.engine.connect() as watcher:
        holder.execute(text("SELECT id FROM participant WHERE email = :email "
                            "FOR NO KEY UPDATE"),  # as an UPDATE of it: the FK check passes
                       {"email": "person1@kommune.example"})
        request = threading.Thread(target=lambda: answers.append(client.post(
            f"/api/v1/workshops/{item_id}/registrations", json=body(1))))
        request.start()
        deadline = time.monotonic() + 30
        while (waiting := watcher.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'CALL praxis_register%'")).scalar()) is None:
            assert time.monotonic() < deadline and request.is_alive()
            time.sleep(0.02)
            watcher.rollback()
        watcher.rollback()
        committed = watcher.execute(text(
            "SELECT count(*) FROM registration WHERE workshop_id = :id"), {"id": item_id})
        assert committed.scalar() == 1  # before the disk wait: the lock is free again
        watcher.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": waiting})
        request.join(30)
        holder.rollback()
    [response] = answers
    assert response.status_code == 503
    assert response.headers.get("Retry-After")

    registration = db.session.scalars(select(Registration).where(
        Registration.workshop_id == item_id)).one()
    mail = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.registration_id == registration.id)).one()
    assert mail.status == OutboxStatus.unwritten
    jobs.run_due()
    db.session.commit()
    mail = db.session.get(OutboxMessage, mail.id, populate_existing=True)
    assert mail.status == OutboxStatus.queued and mail.kind == "confirm_request"
    assert "/anmeldung/" in mail.body_text


def test_only_the_registration_commits_without_waiting(client, make_workshop):
    """The seat's transaction commits without waiting; a later, writing one of the same
    request commits synchronously (it wrote the person's language after the registration),
    and no connection keeps the setting."""
    item = make_workshop(capacity=5, starts_at=upcoming())
    for n in (1, 1):  # new, then repeated
        assert client.post(f"/api/v1/workshops/{item.id}/registrations",
                           json=body(n)).status_code == 202
        db.session.rollback()
        registration_xid, person_xid = db.session.execute(text(
            "SELECT r.xmin::text::bigint, p.xmin::text::bigint FROM registration r "
            "JOIN participant p ON p.id = r.participant_id")).one()
        assert person_xid > registration_xid
    # SET LOCAL ended with its transaction: the next one on a pooled connection commits
    # synchronously again (checked on every connection the pool holds)
    engine = db.engine
    connections = [engine.connect() for _ in range(engine.pool.checkedin() + 1)]
    try:
        assert {c.execute(text("SHOW synchronous_commit")).scalar() for c in connections} == {
            "on"}
    finally:
        for connection in connections:
            connection.close()
