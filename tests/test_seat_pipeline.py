"""The registration rush's path on PostgreSQL (``services.seat_pipeline``): the seat rule
written in SQL decides as ``seats.SeatState.fits`` does, the rows it writes are those of
``seats.register``, and it leaves every other case to ``seats.register``."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from events.extensions import db
from events.mail import sender
from events.models import (
    OutboxMessage,
    OutboxStatus,
    Participant,
    Registration,
    RegistrationStatus,
    WorkshopStatus,
    utcnow,
)
from events.services import jobs, notify, seat_pipeline, seats, unwritten_mail
from events.services.errors import InvalidInput
from tests.conftest import applicant

pytestmark = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)

S = RegistrationStatus


def add_registration(workshop, person: Participant, status: RegistrationStatus,
                     requested_at=None) -> Registration:
    now = requested_at or utcnow()
    registration = Registration(
        workshop=workshop, participant=person, status=status, requested_at=now,
        status_changed_at=now, consent_version="1", consent_at=now, remarks="",
        token_salt=secrets.token_hex(16),
        expires_at=now + timedelta(hours=48) if status == S.pending else None)
    db.session.add(registration)
    return registration


def person(n) -> Participant:
    participant = Participant(email=f"vorhanden{n}@kommune.example", name=f"Vorhanden {n}",
                              municipality="Stadt Köln")
    db.session.add(participant)
    return participant


def test_the_decision_is_the_seat_rule_s(make_programme, make_workshop):
    """Random states of a programme (capacity, cap, departed people, holders in this and
    other workshops, waiting entries, ended ones; the applicant new or holding a seat
    elsewhere): the SQL decides what ``SeatState.fits`` decides on the same counts."""
    rng = random.Random(15)
    people = iter(range(10_000))
    for round_ in range(40):
        programme = make_programme(capacity=rng.randint(1, 5),
                                   deleted_participants=rng.choice([0, 0, 1, 2]))
        here = make_workshop(capacity=rng.randint(1, 3), programme_=programme)
        other = make_workshop(capacity=10, programme_=programme)
        statuses = [S.pending, S.confirmed, S.waitlisted, S.cancelled, S.expired]
        for workshop, count in ((here, rng.randint(0, 4)), (other, rng.randint(0, 4))):
            for _ in range(count):
                add_registration(workshop, person(next(people)), rng.choice(statuses))
        email = f"neu{round_}@kommune.example"
        if rng.random() < 0.4:  # the applicant holds (or held) a seat in the other workshop
            known = Participant(email=email, name="Bekannt", municipality="Stadt Köln")
            db.session.add(known)
            add_registration(other, known, rng.choice([S.pending, S.confirmed, S.cancelled]))
        db.session.commit()

        known = db.session.scalar(select(Participant.id).where(Participant.email == email))
        _workshop, _registration, counts = seats._seat_state(
            here.id, programme.id, known or 0, utcnow(), look_up=False)
        db.session.refresh(programme)
        db.session.refresh(here)
        expected = counts.fits(here, programme)
        db.session.rollback()

        result = seat_pipeline.register(here.id, applicant(email=email))
        assert result is not None and result.created
        assert result.status == (S.pending if expected else S.waitlisted), (round_, counts)
        assert db.session.get(Registration, result.registration_id).status == result.status


def columns(row, skip: set[str]) -> dict:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns
            if column.key not in skip}


def test_it_writes_the_rows_the_full_path_writes(app, make_workshop):
    """Every column of the person, the registration and the mail, beside the same
    registration made by ``seats.register`` (a new column the SQL forgets shows here)."""
    first, second = make_workshop(capacity=5), make_workshop(capacity=5)
    details = {"remarks": "vegetarisch", "accessibility_needs": "Rollstuhl",
               "accessibility_consent": True, "language": "en", "role": "Sozialamt"}
    fast = seat_pipeline.register(first.id, applicant("schnell", **details))
    full = seats.register(second.id, applicant("voll", **details), flush_later=True)
    db.session.commit()
    assert unwritten_mail.write_unwritten() == 1  # the worker writes the rush's mail
    db.session.commit()

    times = {"created_at", "requested_at", "status_changed_at", "expires_at", "consent_at",
             "accessibility_consent_at", "next_attempt_at"}
    own = {"id", "workshop_id", "participant_id", "registration_id", "token_salt", "email",
           "name", "feed_salt", "message_id", "recipient", "subject", "body_text",
           "body_html"} | times
    a, b = (db.session.get(Registration, r.registration_id) for r in (fast, full))
    assert columns(a, own) == columns(b, own)
    assert columns(a.participant, own) == columns(b.participant, own)
    for row in (a, b):  # the times are the moment of the decision
        assert row.requested_at == row.created_at == row.status_changed_at == row.consent_at
        assert row.accessibility_consent_at == row.consent_at
        assert row.expires_at == row.requested_at + timedelta(hours=48)
    mails = [db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.registration_id == row.id)).one() for row in (a, b)]
    assert columns(mails[0], own) == columns(mails[1], own)
    assert mails[0].status == OutboxStatus.queued and mails[0].kind == "confirm_request"
    assert mails[0].subject == f"Please confirm: {first.title}"
    assert mails[0].recipient == "personschnell@kommune.example"
    assert a.participant.language == "en"


def test_every_other_case_is_left_to_the_full_path(app, make_workshop):
    """A repeat sends the link again (once in ``LINK_RESEND_MINUTES``); a row to take up
    again, a closed, draft, cancelled or unknown workshop: ``None``, and nothing is
    written (no person either)."""
    open_ = make_workshop(capacity=5)
    assert seat_pipeline.register(open_.id, applicant(1)).created
    again = seat_pipeline.register(open_.id, applicant(1))  # registered already: its link
    assert not again.created and again.link_resent and again.status == RegistrationStatus.pending
    seats.cancel(seat_pipeline.register(open_.id, applicant(2)).registration_id)
    db.session.commit()
    not_open = [
        make_workshop(status=WorkshopStatus.draft).id,
        make_workshop(status=WorkshopStatus.cancelled).id,
        make_workshop(registration_closes_at=utcnow() - timedelta(minutes=1)).id,
        make_workshop(registration_opens_at=utcnow() + timedelta(days=1)).id,
        make_workshop(starts_at=utcnow() - timedelta(hours=1)).id,
        2**31 - 1,
    ]
    people, registrations, mails = (db.session.scalar(select(func.count(model.id)))
                                    for model in (Participant, Registration, OutboxMessage))
    again = seat_pipeline.register(open_.id, applicant(1))  # registered already
    assert not again.created and not again.link_resent  # its link went out a moment ago
    assert seat_pipeline.register(open_.id, applicant(2)) is None  # cancelled: taken up again
    for workshop_id in not_open:
        assert seat_pipeline.register(workshop_id, applicant("neu")) is None, workshop_id
    assert (people, registrations, mails) == tuple(
        db.session.scalar(select(func.count(model.id)))
        for model in (Participant, Registration, OutboxMessage))
    with pytest.raises(InvalidInput):
        seat_pipeline.register(open_.id, applicant(3, email="kein-at-zeichen"))


def test_a_repeat_is_seats_repeat(app, make_workshop):
    """Registered already: the registration's and the person's language become the new
    choice, the link goes out again (``link_again``, in that language) once per
    ``LINK_RESEND_MINUTES`` and not in between; as ``seats.repeat`` does it."""
    workshop = make_workshop(capacity=0)  # the waiting list: the link mail tells the place
    first = seat_pipeline.register(workshop.id, applicant(1, language="de"))
    again = seat_pipeline.register(workshop.id, applicant(1, language="en"))
    assert (again.created, again.link_resent, again.status) == (False, True, S.waitlisted)
    assert again.registration_id == first.registration_id
    registration = db.session.get(Registration, again.registration_id)
    assert registration.language == registration.participant.language == "en"
    sent_at = registration.link_sent_at
    assert sent_at is not None
    assert unwritten_mail.write_unwritten() == 2
    db.session.commit()
    mails = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.kind, m.language, m.status) for m in mails] == [
        ("waitlisted", "en", OutboxStatus.queued), ("link_again", "en", OutboxStatus.queued)]
    assert mails[1].subject == f"Your personal link: {workshop.title}"
    assert "1" in mails[1].body_text and "/anmeldung/" in mails[1].body_text

    quiet = seat_pipeline.register(workshop.id, applicant(1, language="de"))
    assert not quiet.link_resent and not quiet.created
    registration = db.session.get(Registration, again.registration_id, populate_existing=True)
    assert registration.link_sent_at == sent_at and registration.language == "de"
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2

    registration.link_sent_at = sent_at - timedelta(
        minutes=app.config["LINK_RESEND_MINUTES"])
    db.session.commit()
    assert seat_pipeline.register(workshop.id, applicant(1)).link_resent


def test_a_mail_says_the_language_it_is_written_in(app, make_workshop):
    """Registered in German, then again in English before the worker came: both mails are
    written in the registration's language then (the latest choice), and each row's
    language (the Content-Language header) is the one of its text."""
    workshop = make_workshop(capacity=0)
    seat_pipeline.register(workshop.id, applicant(1, language="de"))
    seat_pipeline.register(workshop.id, applicant(1, language="en"))
    unwritten_mail.write_unwritten()
    mails = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.kind, m.language) for m in mails] == [("waitlisted", "en"),
                                                     ("link_again", "en")]
    assert mails[0].subject == f"Waiting list: {workshop.title}"


def test_the_worker_writes_every_reserved_mail_in_its_next_round(app, make_workshop):
    """The request renders nothing: its mail stays ``unwritten`` (never sent so) until the
    worker's round, which writes it from the registration as it is then, and sends it."""
    workshop = make_workshop(capacity=1)
    seat_pipeline.register(workshop.id, applicant(1))
    waiting = seat_pipeline.register(workshop.id, applicant(2))
    assert {m.status for m in db.session.scalars(select(OutboxMessage))} == {
        OutboxStatus.unwritten}
    assert sender.claim_next(utcnow()) is None  # nothing to send as is
    db.session.commit()

    jobs.run_due()
    db.session.commit()
    message = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.registration_id == waiting.registration_id)).one()
    assert message.status == OutboxStatus.queued and message.kind == "waitlisted"
    assert message.subject == f"Warteliste: {workshop.title}"
    assert "Platz 1" in message.body_text, message.body_text
    assert sender.send_due().sent == 2


def test_a_reserved_mail_that_is_no_longer_true_is_dropped_with_its_reason(
        app, make_workshop):
    """Cancelled, promoted or deleted before the worker came: ``dropped`` (their own mail
    tells what happened), never sent and never retried."""
    workshop = make_workshop(capacity=1)
    results = [seat_pipeline.register(workshop.id, applicant(n)) for n in range(4)]
    seats.cancel(results[0].registration_id)  # promotes the first waiting (1)
    db.session.commit()
    db.session.delete(db.session.get(Registration, results[2].registration_id))
    db.session.commit()

    assert unwritten_mail.write_unwritten() == 4
    db.session.commit()
    mails = {m.registration_id: m for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind.in_(["confirm_request", "waitlisted"])))}
    assert mails[results[3].registration_id].status == OutboxStatus.queued
    assert "Platz 1" in mails[results[3].registration_id].body_text  # 1 promoted, 2 gone
    for gone in (results[0], results[1]):
        message = mails[gone.registration_id]
        assert message.status == OutboxStatus.dropped and "überholt" in message.last_error
        assert message.body_text == ""
    deleted = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.registration_id.is_(None))).one()
    assert deleted.status == OutboxStatus.dropped and "gelöscht" in deleted.last_error
    assert sender.retry_failed() == 0
    db.session.commit()
    assert sender.send_due().sent == 3  # the waiting one's, the promotion, the cancellation


def test_a_mail_that_cannot_be_written_is_dropped_but_an_outage_drops_nothing(
        app, make_workshop, monkeypatch):
    """A row whose text fails to render is dropped with the error, the others are written;
    a database error while writing ends the round and leaves every row unwritten (the
    next round writes them)."""
    workshop = make_workshop(capacity=1)
    seat_pipeline.register(workshop.id, applicant(1))  # confirm_request
    seat_pipeline.register(workshop.id, applicant(2))  # waitlisted

    def outage(*_args, **_kwargs):
        raise OperationalError("UPDATE outbox_message", {}, Exception("server closed"))

    monkeypatch.setattr(notify, "confirm_request", outage)
    with pytest.raises(OperationalError):
        unwritten_mail.write_unwritten()
    db.session.rollback()
    assert {m.status for m in db.session.scalars(select(OutboxMessage))} == {
        OutboxStatus.unwritten}

    def broken(*_args, **_kwargs):
        raise ValueError("Vorlage kaputt")

    monkeypatch.setattr(notify, "confirm_request", broken)
    assert unwritten_mail.write_unwritten() == 2
    mails = {m.kind: m for m in db.session.scalars(select(OutboxMessage))}
    assert mails["confirm_request"].status == OutboxStatus.dropped
    assert "Vorlage kaputt" in mails["confirm_request"].last_error
    assert mails["waitlisted"].status == OutboxStatus.queued


def test_a_round_writes_mails_and_expires_reservations_together(app, make_workshop):
    """A worker round with reserved mails and an overdue reservation: both done (the
    expiry's seat change needs a transaction of its own)."""
    workshop = make_workshop(capacity=1)
    first = seat_pipeline.register(workshop.id, applicant(1))
    waiting = seat_pipeline.register(workshop.id, applicant(2))
    unwritten_mail.write_unwritten()
    seat_pipeline.register(workshop.id, applicant(3))  # its mail still to write
    registration = db.session.get(Registration, first.registration_id)
    registration.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    assert jobs.run_due()["expired"] == 1
    db.session.commit()
    assert db.session.get(Registration, waiting.registration_id).status == S.pending
    assert not db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.unwritten)).all()


def test_two_workers_never_write_the_same_mail(app, make_workshop):
    """Rows another worker holds are skipped (``SKIP LOCKED``), not waited for or written
    twice."""
    workshop = make_workshop(capacity=5)
    for n in range(3):
        seat_pipeline.register(workshop.id, applicant(n))
    with db.engine.connect() as other:  # the other worker, in the middle of its batch
        other.execute(text("SELECT id FROM outbox_message WHERE status = 'unwritten' "
                           "FOR UPDATE"))
        assert unwritten_mail.write_unwritten() == 0
        db.session.commit()
    assert unwritten_mail.write_unwritten() == 3
    db.session.commit()


def test_the_outbox_status_names_unwritten_mails(app, runner, make_workshop):
    workshop = make_workshop(capacity=1)
    seat_pipeline.register(workshop.id, applicant(1))
    output = runner.invoke(args=["outbox", "status"]).output
    assert "in Warteschlange: 0, gesendet: 0, fehlgeschlagen: 0, noch ungeschrieben: 1" in output


def test_connections_opened_in_advance_plan_the_procedure_and_write_nothing(
        app, make_workshop):
    """``open_connections`` (gunicorn's post_worker_init): the pool holds them open
    afterwards; the CALL for no workshop wrote no row; a registration then takes one."""
    workshop = make_workshop(capacity=2)
    db.session.commit()
    db.engine.dispose()
    assert seat_pipeline.open_connections(3) == 3
    assert db.engine.pool.checkedin() == 3
    for table in (Participant, Registration, OutboxMessage):
        assert db.session.scalar(select(func.count()).select_from(table)) == 0
    db.session.rollback()
    assert seat_pipeline.register(workshop.id, applicant(1)).status == RegistrationStatus.pending
    db.session.remove()
    assert db.engine.pool.checkedin() == 3  # the same connections, none new
