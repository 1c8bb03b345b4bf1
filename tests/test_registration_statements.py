"""The registration path runs a small, fixed number of SQL statements (issue 15).

The programme lock serialises every registration of a programme, so each statement on
the path is paid by the whole rush. The decision needs counts (seats taken, distinct seat
holders of the programme), which are read as aggregates in one statement: nothing on the
path loads every seat holder, so the count of statements is the same with 10 and with 300
people holding a seat. Statements are counted with a ``before_cursor_execute`` listener
(SQLite) and at the driver (PostgreSQL, whose rush path sends a pipeline past SQLAlchemy).
"""

from __future__ import annotations

import secrets

import psycopg
import pytest
from sqlalchemy import event, insert

from events.extensions import db
from events.models import Participant, Registration, RegistrationStatus, utcnow
from tests.api_support import body, upcoming

pytestmark = pytest.mark.backends

#: A new address on SQLite (``seats.register``): the person's upsert, the lock, one read
#: under it, the registration's INSERT and the outbox row's INSERT, and BEGIN IMMEDIATE.
#: On PostgreSQL (``seat_pipeline``, counted at the driver) one round trip: the pipeline's
#: four (person, lock, registration with its reserved mail, the person's language) and
#: the pool's ping before it (BEGIN and COMMIT are not counted on either).
MOST_FOR_A_NEW_ADDRESS = 6
MOST_ON_THE_PIPELINE = 5


def add_seat_holders(workshop, first: int, count: int) -> None:
    """``count`` people holding a pending seat in ``workshop`` (numbered from ``first``)."""
    now = utcnow()
    people = db.session.scalars(insert(Participant).returning(Participant.id), [
        {"email": f"halter{n}@kommune.example", "name": f"Halter {n}",
         "municipality": "Stadt Köln", "role": ""} for n in range(first, first + count)]).all()
    db.session.execute(insert(Registration), [
        {"workshop_id": workshop.id, "participant_id": person, "status": RegistrationStatus.pending,
         "requested_at": now, "status_changed_at": now, "expires_at": upcoming(),
         "consent_version": "1", "consent_at": now, "remarks": "",
         "token_salt": secrets.token_hex(16)} for person in people])
    db.session.commit()


def statements(client, workshop, data) -> int:
    """SQL statements run by one registration through the API (which must answer 202)."""
    url = f"/api/v1/workshops/{workshop.id}/registrations"  # not counted: the test's own load
    db.session.commit()
    count = 0

    def counted(*_args):
        nonlocal count
        count += 1

    if db.engine.dialect.name == "postgresql":
        # at the driver (every statement goes through a cursor's execute; BEGIN and COMMIT
        # do not, as SQLAlchemy does not count them): the rush's path bypasses SQLAlchemy
        execute = psycopg.Cursor.execute

        def cursor_counted(self, *args, **kwargs):
            counted()
            return execute(self, *args, **kwargs)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(psycopg.Cursor, "execute", cursor_counted)
            response = client.post(url, json=data)
        assert response.status_code == 202, response.get_json()
        return count
    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        response = client.post(url, json=data)
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    assert response.status_code == 202, response.get_json()
    return count


def test_the_registration_path_does_not_grow_with_the_seat_holders(
        client, make_programme, make_workshop):
    programme = make_programme(capacity=1000)
    held = make_workshop(capacity=1000, programme_=programme, starts_at=upcoming())
    free = make_workshop(capacity=10, programme_=programme, starts_at=upcoming())
    full = make_workshop(capacity=0, programme_=programme, starts_at=upcoming())
    counts = {}
    holders = 0
    for round_, target in enumerate((10, 300)):
        add_seat_holders(held, holders, target - holders)
        holders = target
        counts[target] = {
            "new address, seat": statements(client, free, body(f"frei{round_}")),
            "new address, waiting list": statements(client, full, body(f"warten{round_}")),
            "known address, again": statements(
                client, held, body(email=f"halter{round_}@kommune.example")),
        }
    assert counts[10] == counts[300]
    assert counts[10]["new address, seat"] <= MOST_FOR_A_NEW_ADDRESS, counts
    assert counts[10]["new address, waiting list"] <= MOST_FOR_A_NEW_ADDRESS, counts
    if db.engine.dialect.name == "postgresql":  # a repeat too: the same pipeline
        assert max(counts[10].values()) <= MOST_ON_THE_PIPELINE, counts
