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

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
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
from events.services.locking import begin_serialised, lock_programme

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
    registration: Registration
    #: False when the person was already registered (nothing was created).
    created: bool
    status: RegistrationStatus
    waitlist_position: int | None
    #: True when the personal link was mailed again (repeated registration).
    link_resent: bool = False


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


def waitlist_position(registration: Registration) -> int | None:
    """1-based place among the workshop's waiting list (earliest request first)."""
    if registration.status != S.waitlisted:
        return None
    ahead = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.workshop_id == registration.workshop_id,
            Registration.status == S.waitlisted,
            or_(
                Registration.requested_at < registration.requested_at,
                and_(
                    Registration.requested_at == registration.requested_at,
                    Registration.id < registration.id,
                ),
            ),
        )
    )
    return ahead + 1


def confirmation_deadline(workshop: Workshop, now: datetime) -> datetime:
    hours = current_app.config["CONFIRMATION_HOURS"]
    return min(now + timedelta(hours=hours), workshop.starts_at)


def set_status(registration: Registration, status: RegistrationStatus, now: datetime) -> None:
    registration.status = status
    registration.status_changed_at = now


# --- registering ------------------------------------------------------------------------


def register(workshop_id: int, applicant: Applicant, now: datetime | None = None
             ) -> RegistrationResult:
    """Reserve a seat (``pending``) or join the waiting list.

    Raises ``InvalidInput`` (per-field messages), ``NotFound`` (unknown or draft
    workshop) or ``RegistrationClosed`` (cancelled, not yet open, closed, past).
    Registering again while pending, confirmed or waitlisted creates nothing and
    mails the personal link again (at most once per ``LINK_RESEND_MINUTES``).
    """
    applicant = applicant.cleaned()
    errors = validate(applicant)
    if errors:
        raise InvalidInput(errors)

    begin_serialised()
    programme_id = db.session.scalar(
        select(Workshop.programme_id).where(Workshop.id == workshop_id)
    )
    if programme_id is None:
        raise NotFound()
    programme = lock_programme(programme_id)
    now = now or utcnow()  # after the lock, so requested_at follows the serialised order
    workshop = db.session.execute(
        select(Workshop).where(Workshop.id == workshop_id)
        .execution_options(populate_existing=True)
    ).scalar_one()
    if workshop.status == WorkshopStatus.draft:
        raise NotFound()
    state = workshop.registration_state(now)
    if state != "open":
        opens = workshop.registration_opens_at
        raise RegistrationClosed(
            str(CLOSED_MESSAGES[state]) % {"opens": notify.format_datetime(opens) if opens else ""}
        )

    participant = participant_for(applicant, update_details=False)
    registration = db.session.scalar(
        select(Registration)
        .where(Registration.workshop_id == workshop.id,
               Registration.participant_id == participant.id)
        .execution_options(populate_existing=True)
    )
    # decided before the row changes; read for a repeat too, so that both take as long
    fits = _fits(workshop, programme, participant.id)
    if registration is not None and not registration.can_register_again:
        return _repeat(registration, now, applicant.language)

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

    if fits:
        set_status(registration, S.pending, now)
        registration.expires_at = confirmation_deadline(workshop, now)
        db.session.flush()
        notify.confirm_request(registration)
    else:
        set_status(registration, S.waitlisted, now)
        db.session.flush()
        notify.waitlisted(registration, waitlist_position(registration))
    log.info("registration %s for workshop %s: %s", registration.id, workshop.id,
             registration.status.value)
    return RegistrationResult(registration, True, registration.status,
                              waitlist_position(registration))


def participant_for(applicant: Applicant, *, update_details: bool = True) -> Participant:
    """The person with the applicant's address (created if new).

    ``update_details``: an existing person's name, municipality and role become the
    applicant's. A public registration passes False: whoever types somebody else's address
    must not overwrite that person's details (the mailbox owner is not asked).
    """
    email = normalise_email(applicant.email)
    participant = db.session.scalar(select(Participant).where(Participant.email == email))
    if participant is None:
        # The programme lock does not cover other programmes: the same new person may
        # be inserted at the same moment by a registration elsewhere. A savepoint lets
        # the loser of that race take the winner's row instead of failing.
        try:
            with db.session.begin_nested():
                participant = Participant(email=email, name=applicant.name,
                                          municipality=applicant.municipality,
                                          role=applicant.role)
                db.session.add(participant)
            return participant
        except IntegrityError:
            participant = db.session.execute(
                select(Participant).where(Participant.email == email)
                .execution_options(populate_existing=True)
            ).scalar_one()
    if not update_details:
        return participant
    participant.name = applicant.name
    participant.municipality = applicant.municipality
    participant.role = applicant.role
    return participant


def _repeat(registration: Registration, now: datetime, language: str) -> RegistrationResult:
    """A repeated registration: nothing new; the link goes to the mailbox again, in
    ``language``, which from now on is the registration's (the person's latest choice).

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
    return RegistrationResult(registration, False, registration.status, position,
                              link_resent=resent)


def _fits(workshop: Workshop, programme: Programme, participant_id: int) -> bool:
    if seats_taken(workshop.id) >= workshop.capacity:
        return False
    return fits_programme(programme, participant_id)


def fits_programme(programme: Programme, participant_id: int) -> bool:
    """True when the person holds a seat already or the programme's cap has room."""
    holders = seat_holders(programme.id)
    return (participant_id in holders
            or len(holders) + programme.deleted_participants < programme.capacity)


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
