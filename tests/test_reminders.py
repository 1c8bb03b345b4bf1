"""Reminders: once per participant and workshop, REMINDER_BEFORE the start, from the worker round.

Exactly once even when several workers run the round at the same moment, on
SQLite and PostgreSQL; never for someone who confirmed after the reminder time.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from events.extensions import db
from events.models import OutboxMessage
from events.services import jobs, reminders, seats, tokens, workshops
from tests.conftest import applicant, confirmed
from tests.ical_support import vobject_events

pytestmark = pytest.mark.backends
BEFORE = timedelta(days=3)



def run_round(at) -> dict:
    result = jobs.run_due(at)
    db.session.commit()
    return result


def reminder_rows(registration_id=None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.kind == "reminder").order_by(
        OutboxMessage.id)
    if registration_id is not None:
        query = query.where(OutboxMessage.registration_id == registration_id)
    return list(db.session.scalars(query))


def test_reminder_is_sent_once_when_due(make_workshop, now):
    workshop = make_workshop()
    registration = confirmed(workshop, 1, now)
    due_at = workshop.starts_at - BEFORE
    assert run_round(due_at - timedelta(minutes=1))["reminded"] == 0
    assert run_round(due_at + timedelta(minutes=1))["reminded"] == 1
    assert run_round(due_at + timedelta(minutes=6))["reminded"] == 0  # the next round
    assert run_round(workshop.starts_at - timedelta(hours=1))["reminded"] == 0
    (message,) = reminder_rows(registration.id)
    assert message.subject == f"Erinnerung: {workshop.title}"
    assert "Di., 19. Januar 2027, 10:00–16:00 Uhr" in message.body_text
    assert "Rathaus, Marktplatz 1, 50667 Köln" in message.body_text
    assert tokens.manage_url(registration) in message.body_text
    # the calendar file again: the current version of the participant's copy
    invitation = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "confirmed")).one()
    assert message.ical_method == "REQUEST"
    again, original = vobject_events(message.ical)[0], vobject_events(invitation.ical)[0]
    assert (again.uid, again.sequence) == (original.uid, original.sequence)


def test_no_reminder_for_a_confirmation_after_the_reminder_time(make_workshop, now):
    workshop = make_workshop()
    early = confirmed(workshop, 1, now)
    late = confirmed(workshop, 2, workshop.starts_at - BEFORE + timedelta(hours=1))
    assert run_round(workshop.starts_at - timedelta(days=1))["reminded"] == 1
    assert [m.registration_id for m in reminder_rows()] == [early.id]
    assert run_round(workshop.starts_at - timedelta(hours=2))["reminded"] == 0
    assert reminder_rows(late.id) == []


def test_only_confirmed_places_of_published_workshops_are_reminded(make_workshop, now):
    workshop = make_workshop(capacity=2)
    cancelled_later = confirmed(workshop, 1, now)
    for n in (2, 3):  # pending, then waitlisted
        seats.register(workshop.id, applicant(n), now=now)
        db.session.commit()
    seats.cancel(cancelled_later.id, now=now)
    db.session.commit()
    other = make_workshop()
    confirmed(other, 4, now)
    workshops.cancel_workshop(other.id, now=now)
    db.session.commit()
    assert run_round(workshop.starts_at - timedelta(days=1))["reminded"] == 0
    assert reminder_rows() == []


def test_moving_the_workshop_later_sends_the_reminder_again(make_workshop, now):
    workshop = make_workshop()
    registration = confirmed(workshop, 1, now)
    assert run_round(workshop.starts_at - timedelta(days=2))["reminded"] == 1
    new_start = workshop.starts_at + timedelta(days=14)
    workshops.update_workshop(workshop.id, starts_at=new_start, now=now)
    db.session.commit()
    assert run_round(new_start - timedelta(days=4))["reminded"] == 0
    assert run_round(new_start - timedelta(days=2))["reminded"] == 1
    assert len(reminder_rows(registration.id)) == 2


def test_parallel_worker_rounds_remind_each_participant_once(app, make_workshop, now):
    workshop = make_workshop(capacity=30)
    ids = [confirmed(workshop, n, now).id for n in range(1, 21)]
    due_at = workshop.starts_at - timedelta(days=1)
    start = threading.Barrier(4)
    results, errors = [], []

    def worker():
        try:
            with app.app_context():
                start.wait(10)
                results.append(jobs.run_due(due_at)["reminded"])
                db.session.commit()
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and len(results) == 4
    assert sum(results) == 20
    db.session.rollback()  # end the test's own read snapshot (SQLite WAL keeps it)
    counts = dict(db.session.execute(
        select(OutboxMessage.registration_id, func.count(OutboxMessage.id))
        .where(OutboxMessage.kind == "reminder").group_by(OutboxMessage.registration_id)).all())
    assert counts == {registration_id: 1 for registration_id in ids}


def test_a_second_worker_waits_for_the_first_claim_and_finds_nothing(
        app, make_workshop, now, database_url):
    workshop = make_workshop()
    registration = confirmed(workshop, 1, now)
    due_at = workshop.starts_at - timedelta(days=1)
    assert jobs.run_due(due_at)["reminded"] == 1  # claimed and queued, not yet committed
    second = {}

    def worker():
        with app.app_context():
            second["reminded"] = jobs.run_due(due_at)["reminded"]
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=worker)
    thread.start()
    if database_url.startswith("postgresql"):
        _wait_for_a_blocked_backend()
    db.session.commit()
    thread.join(60)
    assert second == {"reminded": 0}
    assert len(reminder_rows(registration.id)) == 1


def _wait_for_a_blocked_backend() -> None:
    """Until another PostgreSQL backend waits for a lock (the second worker's claim)."""
    engine = db.engine
    for _ in range(600):
        with engine.connect() as connection:
            waiting = connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()")).scalar()
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError("the second worker never waited for the first one's lock")


class TestConfigured:
    @pytest.fixture
    def config_overrides(self):
        return {"REMINDER_BEFORE": timedelta(hours=24)}

    def test_reminder_time_is_configurable(self, make_workshop, now):
        workshop = make_workshop()
        confirmed(workshop, 1, now)
        assert reminders.reminder_before() == timedelta(hours=24)
        assert run_round(workshop.starts_at - timedelta(hours=25))["reminded"] == 0
        assert run_round(workshop.starts_at - timedelta(hours=23))["reminded"] == 1
