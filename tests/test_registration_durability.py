"""A registration's commit does not hold the programme lock through the fsync, and the
answer still waits for the disk (PostgreSQL; ``locking._flush_after_commit``).

The seat change commits with ``synchronous_commit = off`` for its own transaction only;
after the commit, on the same connection, one statement in a synchronously committed
transaction of its own waits until the WAL (and with it the registration) is on disk.
Crashing the server is not possible here (it is shared), so these tests check the parts:
the wait runs after every registration and before the answer, its failure is not swallowed,
and nothing else loses its synchronous commit.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from events.extensions import db
from events.models import Registration
from events.services import locking
from tests.api_support import body, upcoming

pytestmark = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


def test_the_answer_waits_for_the_flush_mark_and_a_failing_one_is_an_outage(
        client, make_workshop, monkeypatch):
    item = make_workshop(capacity=5, starts_at=upcoming())
    url = f"/api/v1/workshops/{item.id}/registrations"
    assert client.post(url, json=body(1)).status_code == 202

    # a mark that fails: the commit of the registration happened, the wait did not
    monkeypatch.setattr(locking, "_FLUSH_MARK", "SELECT 1 / 0")
    response = client.post(url, json=body(2))
    assert response.status_code == 503
    assert response.headers.get("Retry-After")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Registration.id))) == 2


def test_only_the_registration_commits_without_waiting(client, make_workshop):
    item = make_workshop(capacity=5, starts_at=upcoming())
    assert client.post(f"/api/v1/workshops/{item.id}/registrations",
                       json=body(1)).status_code == 202
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
