"""Seats: reserve, confirm, cancel, expire, promote — the capacity rules and their lock.

Rules (decided): two limits, the workshop's capacity and the programme's cap on
distinct people holding a seat. Pending and confirmed registrations hold a
seat. Whatever frees capacity promotes the earliest-joined waitlist entry of
the programme that fits both limits, again and again until none fits.

Each public function opens its own serialised transaction (``locking``) and
only adds and flushes; the caller commits once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, case, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import flag_modified

from events.extensions import db
from events.models import (
    SEAT_HOLDING,
    Participant,
    Programme,
    Registration,
    RegistrationStatus,
    Workshop,
    WorkshopStatus,
    normalise_email,
    utcnow,
)
from events.services import notify, tokens
from events.services.applicants import Applicant, validate
from events.services.errors import (
    InvalidInput,
    NotFound,
    RegistrationClosed,
    StateConflict,
)
from events.services.locking import (
    begin_serialised,
    lock_programme,
    lock_programme_of_workshop,
)

log = logging.getLogger(__name__)
S = RegistrationStatus

CLOSED_MESSAGES = {
    "draft": _l("Dieser Workshop ist noch nicht veröffentlicht."),
    "cancelled": _l("Dieser Workshop wurde abgesagt; eine Anmeldung ist nicht möglich."),
    "not_yet_open": _l("Die Anmeldung für diesen Workshop beginnt am %(opens)s."),
    "closed": _l("Die Anmeldefrist für diesen Workshop ist abgelaufen."),
    "past": _l("Dieser Workshop hat bereits stattgefunden oder läuft gerade."),
}


@dataclass
class RegistrationResult:
    registration_id: int
    #: False when the person was already registered (nothing was created).
    created: bool
    status: RegistrationStatus
    #: The place on the waiting list; None with a seat, or where it is not counted (the
    #: rush's path, ``seat_pipeline``: the mail tells it, written by the worker).
    waitlist_position: int | None
    #: True when the personal link was mailed again (repeated registration).
    link_resent: bool = False
    #: The row, where it was loaded anyway (here); the rush's path loads none.
    registration: Registration | None = None


# --- counting (always inside the lock) ------------------------------------------------


def seats_taken(workshop_id: int) -> int:
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.workshop_id == workshop_id, Registration.status.in_(SEAT_HOLDING)
        )
    )


def seat_holders(programme_id: int) -> set[int]:
    """Participant ids holding a seat anywhere in the programme."""
    rows = db.session.scalars(
        select(Registration.participant_id)
        .join(Workshop, Workshop.id == Registration.workshop_id)
        .where(Workshop.programme_id == programme_id, Registration.status.in_(SEAT_HOLDING))
        .distinct()
    )
    return set(rows)


def count_seat_holders(programme_id: int) -> int:
    """How many distinct people hold a seat in the programme (counted in the database)."""
    return db.session.scalar(
        select(func.count(func.distinct(Registration.participant_id)))
        .join(Workshop, Workshop.id == Registration.workshop_id)
        .where(Workshop.programme_id == programme_id, Registration.status.in_(SEAT_HOLDING))
    )


def waitlist_position(registration: Registration) -> int | None:
    """1-based place among the workshop's waiting list (earliest request first)."""
    if registration.status != S.waitlisted:
        return None
    return db.session.scalar(select(waitlist_place()).where(
        Registration.id == registration.id))


def waitlist_positions(registrations: list[Registration]) -> dict[int, int | None]:
    """``waitlist_position`` of many registrations, in one query."""
    if not registrations:
        return {}
    return dict(db.session.execute(
        select(Registration.id, waitlist_place())
        .where(Registration.id.in_([registration.id for registration in registrations]))).all())


def waitlist_place():
    """SQL: the row's place on its workshop's waiting list (1 = next), NULL for anyone
    not waiting; the attendee lists and the organiser API show it too.

    A correlated count on the (workshop, status, …) index rather than a window function
    joined back: with stale planner statistics (right after a bulk import) PostgreSQL
    re-ran the window for every row (1.8 s for 5,000 rows); this stays in milliseconds
    either way, and is part of the one row query: no query per row.
    """
    ahead = Registration.__table__.alias("ahead")
    count = (select(func.count(ahead.c.id))
             .where(ahead.c.workshop_id == Registration.workshop_id,
                    ahead.c.status == S.waitlisted.value,
                    or_(ahead.c.requested_at < Registration.requested_at,
                        and_(ahead.c.requested_at == Registration.requested_at,
                             ahead.c.id < Registration.id)))
             .scalar_subquery())
    return case((Registration.status == S.waitlisted, count + 1), else_=None)


def confirmation_deadline(workshop: Workshop, now: datetime) -> datetime:
    hours = current_app.config["CONFIRMATION_HOURS"]
    return min(now + timedelta(hours=hours), workshop.starts_at)


def set_status(registration: Registration, status: RegistrationStatus, now: datetime) -> None:
    registration.status = status
    registration.status_changed_at = now


# --- registering ------------------------------------------------------------------------


def register(workshop_id: int, applicant: Applicant, now: datetime | None = None, *,
             flush_later: bool = False) -> RegistrationResult:
    """Reserve a seat (``pending``) or join the waiting list.

    Raises ``InvalidInput`` (per-field messages), ``NotFound`` (unknown or draft
    workshop) or ``RegistrationClosed`` (cancelled, not yet open, closed, past).
    Registering again while pending, confirmed or waitlisted creates nothing and
    mails the personal link again (at most once per ``LINK_RESEND_MINUTES``).

    The programme lock serialises every registration of the programme, so the time
    it is held bounds the rush (issue 15): the person is written before it is taken
    (no seat depends on it), and under it one statement reads the workshop, the
    person's registration and every count the decision needs. ``flush_later``: the
    commit releases the lock before the disk has the change and then waits for the disk
    (``locking.lock_programme_of_workshop``), so that the fsync is not serialised.
    """
    applicant = applicant.cleaned()
    errors = validate(applicant)
    if errors:
        raise InvalidInput(errors)

    begin_serialised()
    # a public registration never changes a known person's details (issue 13)
    participant, new_person = person_with_address(applicant)
    programme = lock_programme_of_workshop(workshop_id, flush_later=flush_later)
    if programme is None:
        raise NotFound()
    now = now or utcnow()  # after the lock, so requested_at follows the serialised order
    workshop, registration, counts = _seat_state(workshop_id, programme.id, participant.id,
                                                 now, look_up=not new_person)
    if workshop.status == WorkshopStatus.draft:
        raise NotFound()
    state = workshop.registration_state(now)
    if state != "open":
        opens = workshop.registration_opens_at
        raise RegistrationClosed(
            str(CLOSED_MESSAGES[state]) % {"opens": notify.format_datetime(opens) if opens else ""}
        )

    # decided before the row changes; read for a repeat too, so that both take as long
    fits = counts.fits(workshop, programme)
    if registration is not None and not registration.can_register_again:
        return repeat(registration, now, applicant.language)

    reused = registration is not None
    if registration is None:
        registration = Registration(workshop=workshop, participant=participant,
                                    token_salt=tokens.new_salt(), created_at=now)
        db.session.add(registration)
    registration.requested_at = now
    registration.confirmed_at = registration.cancelled_at = registration.expires_at = None
    registration.consent_version = current_app.config["CONSENT_VERSION"]
    registration.consent_at = now
    registration.remarks = applicant.remarks
    registration.language = participant.language = applicant.language
    if applicant.accessibility_needs and applicant.accessibility_consent:
        registration.accessibility_needs = applicant.accessibility_needs
        registration.accessibility_consent_at = now
    else:
        registration.accessibility_needs = registration.accessibility_consent_at = None

    position = None
    if fits:
        set_status(registration, S.pending, now)
        registration.expires_at = confirmation_deadline(workshop, now)
        db.session.flush()
        notify.confirm_request(registration)
    else:
        set_status(registration, S.waitlisted, now)
        db.session.flush()
        # a new row comes after every entry requested up to now (its id is the highest);
        # a reused row keeps its old id, which decides a tie at the same instant
        position = waitlist_position(registration) if reused else counts.waiting + 1
        notify.waitlisted(registration, position)
    log.info("registration %s for workshop %s: %s", registration.id, workshop.id,
             registration.status.value)
    return RegistrationResult(registration.id, True, registration.status, position,
                              registration=registration)


@dataclass
class SeatState:
    """What a registration's decision needs, read in one statement under the lock."""

    taken: int  # seats held in the workshop
    holders: int  # distinct people holding a seat in the programme
    holds: bool  # the person is one of them
    waiting: int  # waitlist entries of the workshop requested up to now

    def fits(self, workshop: Workshop, programme: Programme) -> bool:
        return self.taken < workshop.capacity and (
            self.holds or self.holders + programme.deleted_participants < programme.capacity)


def _seat_state(workshop_id: int, programme_id: int, participant_id: int, now: datetime,
                *, look_up: bool = True) -> tuple[Workshop, Registration | None, SeatState]:
    """The workshop and the person's registration for it (None if there is none; not
    looked up when ``look_up`` is False, for a person created just now), fresh from the
    database, with the counts of ``SeatState``: one round trip, each count an indexed
    aggregate, so its cost does not grow with rows shipped to Python. Needs the lock."""
    row = db.session.execute(_seat_state_query(look_up), {
        "workshop_id": workshop_id, "programme_id": programme_id,
        "participant_id": participant_id, "now": now}).one()
    if look_up:
        workshop, registration, taken, holders, holds, waiting = row
    else:
        (workshop, taken, holders, holds, waiting), registration = row, None
    return workshop, registration, SeatState(taken, holders, holds > 0, waiting)


@cache
def _seat_state_query(look_up: bool):
    """The statement of ``_seat_state``, built once: under the lock, every registration
    of the rush runs it, and building and keying a statement of this size costs more
    CPU than the database needs to answer it."""
    workshop_id, programme_id = bindparam("workshop_id"), bindparam("programme_id")
    participant_id, now = bindparam("participant_id"), bindparam("now")
    holding = Registration.status.in_(SEAT_HOLDING)
    in_programme = (select(func.count(func.distinct(Registration.participant_id)))
                    .join(Workshop, Workshop.id == Registration.workshop_id)
                    .where(Workshop.programme_id == programme_id, holding))
    holds = (select(func.count(Registration.id))
             .join(Workshop, Workshop.id == Registration.workshop_id)
             .where(Registration.participant_id == participant_id,
                    Workshop.programme_id == programme_id, holding))
    taken = select(func.count(Registration.id)).where(
        Registration.workshop_id == workshop_id, holding)
    waiting = select(func.count(Registration.id)).where(
        Registration.workshop_id == workshop_id, Registration.status == S.waitlisted,
        Registration.requested_at <= now)
    counts = [query.scalar_subquery() for query in (taken, in_programme, holds, waiting)]
    if look_up:
        query = (select(Workshop, Registration, *counts)
                 .outerjoin(Registration, and_(Registration.workshop_id == Workshop.id,
                                               Registration.participant_id == participant_id)))
    else:
        query = select(Workshop, *counts)
    return query.where(Workshop.id == workshop_id).execution_options(populate_existing=True)


def participant_for(applicant: Applicant, *, update_details: bool = True) -> Participant:
    """The person with the applicant's address (created if new).

    ``update_details``: an existing person's name, municipality and role become the
    applicant's. A public registration passes False: whoever types somebody else's address
    must not overwrite that person's details (the mailbox owner is not asked).
    """
    participant, created = person_with_address(applicant)
    if update_details and not created:
        participant.name = applicant.name
        participant.municipality = applicant.municipality
        participant.role = applicant.role
    return participant


def person_with_address(applicant: Applicant) -> tuple[Participant, bool]:
    """``(person, True when created now)``: the applicant's details for a new address.

    One ``INSERT … ON CONFLICT (email) DO NOTHING RETURNING`` (PostgreSQL and SQLite),
    and a SELECT only when the address is known. The same new person inserted at the
    same moment by another transaction (another programme's lock, or before any lock)
    makes the insert wait for it and then do nothing, so neither fails.
    """
    email = normalise_email(applicant.email)
    participant = db.session.scalars(
        _person_insert(db.session.get_bind().dialect.name),
        {"email": email, "name": applicant.name, "municipality": applicant.municipality,
         "role": applicant.role, "language": applicant.language}).one_or_none()
    if participant is not None:
        return participant, True
    return db.session.execute(
        select(Participant).where(Participant.email == email)
        .execution_options(populate_existing=True)
    ).scalar_one(), False


@cache
def _person_insert(dialect: str):
    """The statement of ``person_with_address`` for the dialect, built once."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return (insert(Participant)
            .values(email=bindparam("email"), name=bindparam("name"),
                    municipality=bindparam("municipality"), role=bindparam("role"),
                    language=bindparam("language"))
            .on_conflict_do_nothing(index_elements=[Participant.email])
            .returning(Participant))


def repeat(registration: Registration, now: datetime, language: str) -> RegistrationResult:
    """A repeated registration: nothing new; the link goes to the mailbox again, in
    ``language``, which from now on is the registration's (the person's latest choice).
    Changes no seat: needs the registration's row, not the programme's lock.

    At most once per ``LINK_RESEND_MINUTES``. Within that time the same work is done
    without the mail (the message is rendered, the registration row written with its
    unchanged value), so that the answer's timing does not tell whether an address is
    registered and whether its link went out a moment ago (issue 13, no enumeration).
    """
    resend_after = timedelta(minutes=current_app.config["LINK_RESEND_MINUTES"])
    registration.language = registration.participant.language = language
    position = waitlist_position(registration)
    resent = registration.link_sent_at is None or now - registration.link_sent_at >= resend_after
    if resent:
        registration.link_sent_at = now
        notify.link_again(registration, position)
    else:
        flag_modified(registration, "link_sent_at")  # the UPDATE a resend writes
        notify.link_again_unsent(registration, position)
    db.session.flush()
    log.info("registration %s repeated (%s), link resent: %s", registration.id,
             registration.status.value, resent)
    return RegistrationResult(registration.id, False, registration.status, position,
                              link_resent=resent, registration=registration)


def fits_programme(programme: Programme, participant_id: int) -> bool:
    """True when the person holds a seat already or the programme's cap has room."""
    holds = db.session.scalar(
        select(func.count(Registration.id))
        .join(Workshop, Workshop.id == Registration.workshop_id)
        .where(Registration.participant_id == participant_id,
               Workshop.programme_id == programme.id, Registration.status.in_(SEAT_HOLDING)))
    return bool(holds) or (count_seat_holders(programme.id) + programme.deleted_participants
                           < programme.capacity)


# --- confirming and cancelling ------------------------------------------------------------


def locked_registration(registration_id: int) -> tuple[Registration, Programme]:
    """Begin the serialised transaction, lock the registration's programme, return both
    fresh from the database. Raises ``NotFound`` for an unknown registration."""
    begin_serialised()
    programme_id = db.session.scalar(
        select(Workshop.programme_id)
        .join(Registration, Registration.workshop_id == Workshop.id)
        .where(Registration.id == registration_id)
    )
    if programme_id is None:
        raise NotFound()
    programme = lock_programme(programme_id)
    registration = db.session.execute(
        select(Registration).where(Registration.id == registration_id)
        .execution_options(populate_existing=True)
    ).scalar_one()
    return registration, programme


def confirm(registration_id: int, now: datetime | None = None) -> Registration:
    """Confirm a pending reservation. Confirming twice is harmless.

    After the deadline the reservation is expired instead (the seat is freed and
    the waiting list moves up) and returned with status ``expired``: the caller
    commits that too and tells the person. Raises ``StateConflict`` when
    waitlisted, cancelled or already expired.
    """
    now = now or utcnow()
    registration, programme = locked_registration(registration_id)
    if registration.status == S.confirmed:
        return registration
    if registration.status == S.pending:
        if registration.expires_at is not None and registration.expires_at <= now:
            _expire(registration, now)
            promote(programme, now)
            return registration
        set_status(registration, S.confirmed, now)
        registration.confirmed_at = now
        registration.expires_at = None
        db.session.flush()
        notify.confirmed(registration)
        log.info("registration %s confirmed", registration.id)
        return registration
    raise StateConflict(_STATE_MESSAGES[registration.status])


_STATE_MESSAGES = {
    S.waitlisted: _l("Sie stehen noch auf der Warteliste. Sobald ein Platz frei wird, "
                     "schreiben wir Ihnen."),
    S.cancelled: _l("Diese Anmeldung wurde storniert. Sie können sich erneut anmelden."),
    S.expired: _l("Die Frist zur Bestätigung ist abgelaufen. Sie können sich erneut anmelden."),
}


def cancel(registration_id: int, now: datetime | None = None) -> Registration:
    """Cancel (by the participant). A freed seat promotes from the waiting list.

    Raises ``StateConflict`` when the registration has already ended.
    """
    now = now or utcnow()
    registration, programme = locked_registration(registration_id)
    if registration.status in (S.cancelled, S.expired):
        raise StateConflict(_STATE_MESSAGES[registration.status])
    held = registration.holds_seat
    was = registration.status
    set_status(registration, S.cancelled, now)
    registration.cancelled_at = now
    registration.expires_at = None
    registration.accessibility_needs = registration.accessibility_consent_at = None
    db.session.flush()
    notify.cancelled(registration, was_confirmed=was == S.confirmed)
    log.info("registration %s cancelled (was %s)", registration.id, was.value)
    if held:
        promote(programme, now)
    return registration


# --- expiry and promotion -----------------------------------------------------------------


def _expire(registration: Registration, now: datetime) -> None:
    set_status(registration, S.expired, now)
    registration.expires_at = None
    registration.accessibility_needs = registration.accessibility_consent_at = None
    db.session.flush()
    notify.expired(registration)
    log.info("registration %s expired", registration.id)


def expire_due(now: datetime | None = None) -> int:
    """Expire every pending reservation past its deadline and promote; return the count."""
    now = now or utcnow()
    programme_ids = list(db.session.scalars(
        select(Workshop.programme_id).distinct()
        .join(Registration, Registration.workshop_id == Workshop.id)
        .where(Registration.status == S.pending, Registration.expires_at <= now)
    ))
    if not programme_ids:
        return 0
    begin_serialised()
    count = 0
    for programme_id in sorted(programme_ids):
        programme = lock_programme(programme_id)
        due = db.session.scalars(
            select(Registration)
            .join(Workshop, Workshop.id == Registration.workshop_id)
            .where(Workshop.programme_id == programme_id, Registration.status == S.pending,
                   Registration.expires_at <= now)
            .order_by(Registration.expires_at, Registration.id)
            .execution_options(populate_existing=True)
        ).all()
        for registration in due:
            _expire(registration, now)
        count += len(due)
        promote(programme, now)
    return count


def promote(programme: Programme, now: datetime | None = None) -> list[Registration]:
    """Move up waitlist entries, earliest first, that fit both limits. Needs the lock held.

    Only entries of published workshops that have not started are considered.
    Returns the promoted registrations (now ``pending`` with a fresh window).
    """
    now = now or utcnow()
    waiting = db.session.scalars(
        select(Registration)
        .join(Workshop, Workshop.id == Registration.workshop_id)
        .where(Workshop.programme_id == programme.id, Registration.status == S.waitlisted,
               Workshop.status == WorkshopStatus.published, Workshop.starts_at > now)
        .order_by(Registration.requested_at, Registration.id)
    ).all()
    if not waiting:
        return []
    holders = seat_holders(programme.id)
    taken: dict[int, int] = {}
    promoted: list[Registration] = []
    for registration in waiting:
        workshop = registration.workshop
        if workshop.id not in taken:
            taken[workshop.id] = seats_taken(workshop.id)
        if taken[workshop.id] >= workshop.capacity:
            continue
        if (registration.participant_id not in holders
                and len(holders) + programme.deleted_participants >= programme.capacity):
            continue
        set_status(registration, S.pending, now)
        registration.expires_at = confirmation_deadline(workshop, now)
        taken[workshop.id] += 1
        holders.add(registration.participant_id)
        promoted.append(registration)
    if promoted:
        db.session.flush()
        for registration in promoted:
            notify.promoted(registration)
            log.info("registration %s promoted from the waiting list", registration.id)
    return promoted
