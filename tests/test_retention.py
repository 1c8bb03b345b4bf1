"""Storage limitation: personal data goes RETENTION_DAYS after the workshop, on SQLite and
PostgreSQL, from the CLI and from the worker round; queued mail and live data stay."""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from events.extensions import db
from events.mail import sender
from events.models import (
    OutboxMessage,
    OutboxStatus,
    Participant,
    Programme,
    Registration,
    utcnow,
)
from events.models import RegistrationStatus as S
from events.services import catalogue, jobs, retention, seats
from events.services.locking import begin_serialised
from tests.conftest import applicant

pytestmark = pytest.mark.backends
DAYS = timedelta(days=183)


# --- helpers -----------------------------------------------------------------------------


def register(workshop, n, at, **fields) -> int:
    registration_id = seats.register(workshop.id, applicant(n, **fields), now=at).registration.id
    db.session.commit()
    return registration_id


def confirmed(workshop, n, at, **fields) -> int:
    registration_id = register(workshop, n, at, **fields)
    seats.confirm(registration_id, now=at)
    db.session.commit()
    return registration_id


def cancelled(workshop, n, at) -> int:
    registration_id = register(workshop, n, at)
    seats.cancel(registration_id, now=at)
    db.session.commit()
    return registration_id


def deliver(monkeypatch, at: datetime) -> int:
    """Send everything queued through the real sender (to .eml files), stamped sent at ``at``.

    Messages are due from the (real) moment they were queued, hence the later of both clocks.
    """
    due_at = max(at, utcnow())
    monkeypatch.setattr(sender, "utcnow", lambda: at)
    report = sender.send_due(now=due_at)
    monkeypatch.undo()
    return report.sent


def purge(at: datetime) -> retention.PurgeReport:
    begin_serialised()
    report = retention.purge(at)
    db.session.commit()
    return report


def registration_ids() -> set[int]:
    db.session.rollback()  # a fresh read (and no SQLite WAL snapshot kept open)
    return set(db.session.scalars(select(Registration.id)))


def emails() -> set[str]:
    return set(db.session.scalars(select(Participant.email)))


def messages(registration_id=None) -> list[tuple[int, OutboxStatus]]:
    query = select(OutboxMessage.id, OutboxMessage.status).order_by(OutboxMessage.id)
    if registration_id is not None:
        query = query.where(OutboxMessage.registration_id == registration_id)
    return [tuple(row) for row in db.session.execute(query)]


def email(n) -> str:
    return f"person{n}@kommune.example"


# --- deletion ------------------------------------------------------------------------------


def test_old_workshop_goes_with_its_people_and_sent_mails(make_workshop, monkeypatch, now):
    workshop = make_workshop(capacity=1)
    first = confirmed(workshop, 1, now, remarks="Komme mit dem Rad",
                      accessibility_needs="Rollstuhl", accessibility_consent=True)
    waiting = register(workshop, 2, now)
    cancelled_one = cancelled(workshop, 3, now)
    sent = deliver(monkeypatch, now)
    assert sent == len(messages()) >= 5
    later = workshop.ends_at + DAYS + timedelta(days=1)

    report = purge(later)

    assert registration_ids().isdisjoint({first, waiting, cancelled_one})
    assert emails() == set()
    assert messages() == []
    assert report == retention.PurgeReport(registrations=3, participants=3, messages=sent)
    assert purge(later) == retention.PurgeReport()  # nothing left: a second run is a no-op


def test_a_person_with_a_future_registration_keeps_it(make_workshop, monkeypatch, now):
    past = make_workshop()
    future = make_workshop(starts_in=timedelta(days=300))
    old = confirmed(past, 1, now)
    ahead = confirmed(future, 1, now)
    other = confirmed(past, 2, now)
    deliver(monkeypatch, now)
    later = past.ends_at + DAYS + timedelta(days=1)
    assert later < future.starts_at
    register(future, 3, later - timedelta(days=2))  # a fresh registration and its queued mail
    deliver(monkeypatch, later - timedelta(days=2))

    report = purge(later)

    assert old not in registration_ids() and other not in registration_ids()
    assert ahead in registration_ids()
    assert emails() == {email(1), email(3)}
    kept = db.session.get(Registration, ahead)
    assert (kept.status, kept.participant.name) == (S.confirmed, "Person 1")
    # the mails sent half a year ago went, those of the last days stay
    assert messages(ahead) == []
    assert [status for _, status in messages()] == [OutboxStatus.sent]
    assert (report.registrations, report.participants) == (2, 1)


def test_queued_mail_is_never_deleted_failed_mail_is(make_workshop, monkeypatch, now):
    workshop = make_workshop()
    registration_id = confirmed(workshop, 1, now)
    (first, _), (second, _) = messages(registration_id)
    later = workshop.ends_at + DAYS + timedelta(days=1)
    # the mail server never took the first one; the second failed for good long ago
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == second).values(
        status=OutboxStatus.failed, created_at=now, last_error="550 unknown user"))
    db.session.commit()

    report = purge(later)

    assert registration_id not in registration_ids()
    assert messages() == [(first, OutboxStatus.queued)]
    queued = db.session.get(OutboxMessage, first)
    assert queued.registration_id is None  # ON DELETE SET NULL: still delivered
    assert (report.registrations, report.participants, report.messages) == (1, 1, 1)
    assert deliver(monkeypatch, later) == 1


def test_cancelled_or_expired_long_ago_go_before_the_workshop(make_workshop, now):
    workshop = make_workshop(capacity=1, starts_in=timedelta(days=400))
    holder = confirmed(workshop, 1, now)
    waiting = register(workshop, 2, now)  # waitlisted since long ago: still active
    gone = cancelled(workshop, 3, now)
    seats.cancel(register(make_workshop(starts_in=timedelta(days=400)), 4, now), now=now)
    db.session.commit()
    later = now + DAYS + timedelta(days=1)

    report = purge(later)

    remaining = registration_ids()
    assert {holder, waiting} <= remaining and gone not in remaining
    assert len(remaining) == 2
    assert emails() == {email(1), email(2)}
    assert (report.registrations, report.participants) == (2, 2)
    # whoever comes back simply registers anew
    result = seats.register(workshop.id, applicant(3), now=later)
    db.session.commit()
    assert result.created and result.status == S.waitlisted


def test_recent_data_is_untouched(make_workshop, monkeypatch, now):
    workshop = make_workshop()
    confirmed(workshop, 1, now)
    cancelled(make_workshop(starts_in=timedelta(days=400)), 2, now)
    deliver(monkeypatch, now)
    before = (registration_ids(), emails(), messages())
    almost = min(workshop.ends_at, now) + DAYS - timedelta(minutes=1)

    assert not purge(almost)
    assert (registration_ids(), emails(), messages()) == before


def test_seats_of_ended_workshops_still_count_against_the_cap(make_programme, make_workshop,
                                                              now):
    programme = make_programme(capacity=2)
    past = make_workshop(programme_=programme)
    future = make_workshop(programme_=programme, starts_in=timedelta(days=300))
    confirmed(past, 1, now)
    confirmed(past, 2, now)
    confirmed(future, 2, now)  # person 2 still holds a seat: counted once, not twice
    register(past, 3, now)  # waitlisted, never held a seat
    later = past.ends_at + DAYS + timedelta(days=1)

    purge(later)

    programme = db.session.get(Programme, programme.id)
    assert programme.deleted_participants == 1
    assert catalogue.programme_figures(programme).participants == 2
    # the cap of two people is still reached: a newcomer waits
    assert seats.register(future.id, applicant(4), now=later).status == S.waitlisted
    db.session.commit()


def test_accessibility_needs_go_when_the_workshop_is_over(make_workshop, now):
    workshop = make_workshop()
    registration_id = confirmed(workshop, 1, now, accessibility_needs="Induktionsschleife",
                                accessibility_consent=True)
    assert not purge(workshop.ends_at - timedelta(minutes=1))
    assert db.session.get(Registration, registration_id).accessibility_needs == "Induktionsschleife"

    report = purge(workshop.ends_at + timedelta(minutes=1))

    registration = db.session.get(Registration, registration_id)
    assert (registration.accessibility_needs, registration.accessibility_consent_at) == (None,
                                                                                         None)
    assert registration.status == S.confirmed and registration.participant.email == email(1)
    assert report == retention.PurgeReport(accessibility_cleared=1)


# --- concurrency: the programme lock -------------------------------------------------------


def test_purge_waits_for_a_registration_in_progress(app, make_workshop, database_url, now):
    """Someone who cancelled long ago registers again while the purge runs: the purge waits
    for the programme lock, then sees the registration pending and keeps it."""
    workshop = make_workshop(starts_in=timedelta(days=400))
    registration_id = cancelled(workshop, 1, now)
    later = now + DAYS + timedelta(days=1)
    seats.register(workshop.id, applicant(1), now=later)  # holds the lock, not committed
    result = {}

    def worker():
        with app.app_context():
            try:
                result["report"] = purge(later)
            except Exception as error:  # noqa: BLE001 - reported below
                result["error"] = repr(error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=worker)
    thread.start()
    if database_url.startswith("postgresql"):
        _wait_for_a_blocked_backend()
    else:
        time.sleep(0.3)  # SQLite: the purge's BEGIN IMMEDIATE waits in the busy timeout
    db.session.commit()
    thread.join(60)

    assert result == {"report": retention.PurgeReport()}
    registration = db.session.get(Registration, registration_id, populate_existing=True)
    assert registration.status == S.pending


def _wait_for_a_blocked_backend() -> None:
    engine = db.engine
    for _ in range(600):
        with engine.connect() as connection:
            if connection.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()")).scalar():
                return
        time.sleep(0.05)
    raise AssertionError("the purge never waited for the programme lock")


# --- the command and the worker round ------------------------------------------------------


@pytest.fixture
def half_a_year_ago(make_workshop, monkeypatch):
    """A workshop that really ended seven months ago (the command reads the real clock)."""
    start = utcnow() - timedelta(days=214)
    workshop = make_workshop(starts_at=start)
    registration_id = confirmed(workshop, 1, start - timedelta(days=10))
    deliver(monkeypatch, start - timedelta(days=10))
    return workshop, registration_id


def test_dry_run_changes_nothing_then_purge_deletes(runner, half_a_year_ago):
    _, registration_id = half_a_year_ago
    before = (registration_ids(), emails(), messages())
    db.session.remove()

    result = runner.invoke(args=["privacy", "purge", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "Speicherfrist: 183 Tage" in result.output
    assert "Probelauf: Nichts wurde geändert." in result.output
    assert "Zu löschen: 1 Anmeldung, 1 Person, 2 E-Mails." in result.output
    assert (registration_ids(), emails(), messages()) == before
    db.session.remove()

    result = runner.invoke(args=["privacy", "purge"])

    assert result.exit_code == 0, result.output
    assert "Gelöscht: 1 Anmeldung, 1 Person, 2 E-Mails." in result.output
    assert "Angaben zur Barrierefreiheit entfernt (Workshop vorbei): 0 Anmeldungen." \
        in result.output
    assert registration_id not in registration_ids() and emails() == set()
    db.session.remove()
    assert "Nichts zu löschen." in runner.invoke(args=["privacy", "purge"]).output


def test_the_worker_round_purges(make_workshop, monkeypatch, now):
    workshop = make_workshop()
    old = confirmed(workshop, 1, now)
    deliver(monkeypatch, now)
    later = workshop.ends_at + DAYS + timedelta(days=1)

    result = jobs.run_due(later)
    db.session.commit()

    assert result["purged"] == retention.PurgeReport(registrations=1, participants=1,
                                                     messages=2)
    assert old not in registration_ids() and emails() == set()
    nothing = jobs.run_due(later)
    db.session.commit()
    assert not nothing["purged"]


class TestConfigured:
    @pytest.fixture
    def config_overrides(self):
        return {"RETENTION_DAYS": 30}

    def test_retention_days_is_configurable_and_the_privacy_page_says_so(
            self, client, make_workshop, now):
        workshop = make_workshop()
        registration_id = confirmed(workshop, 1, now)
        assert not purge(workshop.ends_at + timedelta(days=29))
        purge(workshop.ends_at + timedelta(days=31))
        assert registration_id not in registration_ids()
        page = client.get("/datenschutz").get_data(as_text=True)
        assert "spätestens 30 Tage nach ihrem letzten Workshop" in page


def test_the_privacy_page_promises_six_months_by_default(client):
    page = client.get("/datenschutz").get_data(as_text=True)
    assert "spätestens sechs Monate nach ihrem letzten Workshop" in page


def test_mail_files_follow_the_retention(app, now):
    """Without a mail server every message is a .eml file; old copies go too."""
    folder = Path(app.config["MAIL_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    old, recent = folder / "old.eml", folder / "recent.eml"
    for path in (old, recent):
        path.write_text("Subject: x\n\nx")
    gone = (now - DAYS - timedelta(days=1)).timestamp()
    os.utime(old, (gone, gone))
    fresh = (now - timedelta(days=1)).timestamp()
    os.utime(recent, (fresh, fresh))
    result = jobs.run_due(now)
    db.session.commit()
    assert result["mail_files"] == 1
    assert not old.exists() and recent.exists()


@pytest.mark.backends
def test_organisers_messages_go_with_the_retention(make_workshop, monkeypatch, now):
    from events.models import Broadcast

    workshop = make_workshop(capacity=2)
    first = confirmed(workshop, 1, now)
    message = Broadcast(workshop_id=workshop.id, audience="confirmed", subject="Hinweis",
                        body="Hallo {name}", created_at=now,
                        recipients=[{"registration_id": first, "email": email(1)}])
    db.session.add(message)
    db.session.commit()
    message_id = message.id

    assert purge(now + timedelta(days=1)).broadcasts == 0
    report = purge(now + DAYS + timedelta(days=1))
    assert report.broadcasts == 1
    assert db.session.get(Broadcast, message_id) is None
    assert purge(now + DAYS + timedelta(days=2)) == retention.PurgeReport()
