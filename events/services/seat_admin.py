"""The organisers' seat actions: add by hand, confirm, cancel, seat from the waiting list,
move to another workshop, mail the link or the invitation again.

Every action that changes a seat runs like ``seats``: ``locked_registration`` (or the
programme lock) first, then check, then write, in the caller's transaction; each
records an audit entry with before and after in the same transaction. The workshop's
capacity may be exceeded only by an actor with the ``exceed_capacity`` permission and
with a reason; the programme's cap never. Errors: ``InvalidInput`` (per field),
``StateConflict`` (the registration's state or a limit says no), ``NotFound``.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from events.extensions import db
from events.models import ENDED, Organiser, Registration, RegistrationStatus, Workshop, utcnow
from events.models import WorkshopStatus as WS
from events.services import audit, notify, permissions, seats, tokens
from events.services.applicants import Applicant, validate
from events.services.attendee_lists import status_label
from events.services.errors import InvalidInput, NotFound, StateConflict
from events.services.locking import begin_serialised, lock_programme
from events.services.text import UNSTORABLE, UNSTORABLE_MESSAGE

S = RegistrationStatus
#: Largest id we look up (ids from URLs and forms; larger ones overflow the databases).
MAX_ID = 2**31 - 1
REASON_LIMIT = 2000
FIELDS = ("status", "workshop_id", "requested_at", "confirmed_at", "cancelled_at",
          "expires_at", "source")


def _check_id(value: int | None, message: str | None = None) -> int:
    if not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise NotFound(message)
    return value


def _reason(reason: str | None, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise InvalidInput({"reason": _("Bitte geben Sie eine Begründung an; sie wird im "
                                        "Protokoll festgehalten.")})
    if len(text) > REASON_LIMIT:
        raise InvalidInput({"reason": _("Bitte höchstens %(n)d Zeichen.", n=REASON_LIMIT)})
    if UNSTORABLE.search(text):
        raise InvalidInput({"reason": str(UNSTORABLE_MESSAGE)})
    return text


def _snap(registration: Registration | None) -> dict | None:
    return audit.snapshot(registration, FIELDS) if registration is not None else None


def _record(actor: Organiser, action: str, registration: Registration, text: str,
            before: dict | None, reason: str = "", **extra) -> None:
    after = {**_snap(registration), **extra}
    if reason:
        after["reason"] = reason
        text = f"{text} – Begründung: {reason}"
    audit.record(actor, action, "registration", registration.id, text, before=before,
                 after=after)


def _who(registration: Registration) -> str:
    return f"{registration.participant.name} ({registration.workshop.title})"


def _cap_message(programme) -> str:
    return _("Die Obergrenze des Programms (%(cap)d Personen) ist erreicht. Sie kann nicht "
             "überschritten werden; erst wenn jemand storniert, wird ein Platz frei.",
             cap=programme.capacity)


# --- add by hand --------------------------------------------------------------------------


def add_by_hand(workshop_id: int, applicant: Applicant, reason: str, actor: Organiser,
                now: datetime | None = None) -> Registration:
    """Register a person without double opt-in: confirmed when both limits allow, else
    waitlisted; source ``organiser``. The person gets the invitation (or the waitlist mail).

    Raises ``InvalidInput`` (the person's fields, ``reason``), ``NotFound``, or
    ``StateConflict`` (workshop not published, over, or the person already registered).
    """
    _check_id(workshop_id)
    applicant = applicant.cleaned()
    applicant.consent = True  # the organisers act on the person's request, off the form
    errors = validate(applicant)
    try:
        reason = _reason(reason, required=True)
    except InvalidInput as error:
        errors.update(error.errors)
    if errors:
        raise InvalidInput(errors)

    begin_serialised()
    programme_id = db.session.scalar(select(Workshop.programme_id)
                                     .where(Workshop.id == workshop_id))
    if programme_id is None:
        raise NotFound()
    programme = lock_programme(programme_id)
    now = now or utcnow()
    workshop = db.session.execute(select(Workshop).where(Workshop.id == workshop_id)
                                  .execution_options(populate_existing=True)).scalar_one()
    if workshop.status != WS.published:
        raise StateConflict(_("Personen können nur zu veröffentlichten Workshops hinzugefügt "
                              "werden."))
    if now >= workshop.ends_at:
        raise StateConflict(_("Dieser Workshop ist bereits vorbei."))
    participant = seats.participant_for(applicant)
    registration = db.session.scalar(
        select(Registration).where(Registration.workshop_id == workshop.id,
                                   Registration.participant_id == participant.id)
        .execution_options(populate_existing=True))
    if registration is not None and registration.status not in ENDED:
        raise StateConflict(_("%(name)s ist für diesen Workshop schon angemeldet (%(status)s).",
                              name=participant.name,
                              status=status_label(registration.status)))
    before = _snap(registration)
    fits = (seats.seats_taken(workshop.id) < workshop.capacity
            and seats.fits_programme(programme, participant.id))
    if registration is None:
        registration = Registration(workshop=workshop, participant=participant,
                                    token_salt=tokens.new_salt(), created_at=now)
        db.session.add(registration)
    registration.requested_at = registration.consent_at = now
    registration.consent_version = "organiser"
    registration.confirmed_at = registration.cancelled_at = registration.expires_at = None
    registration.remarks = ""
    registration.accessibility_needs = registration.accessibility_consent_at = None
    registration.source = "organiser"
    registration.language = participant.language  # the person's last choice, not the organiser's
    if fits:
        seats.set_status(registration, S.confirmed, now)
        registration.confirmed_at = now
        db.session.flush()
        notify.confirmed(registration)
    else:
        seats.set_status(registration, S.waitlisted, now)
        db.session.flush()
        notify.waitlisted(registration, seats.waitlist_position(registration))
    _record(actor, "registration.add", registration,
            f"Von Hand hinzugefügt: {_who(registration)}, {status_label(registration.status)}",
            before, reason, email=participant.email)
    return registration


# --- confirm and cancel -------------------------------------------------------------------


def confirm(registration_id: int, actor: Organiser, now: datetime | None = None
            ) -> Registration:
    """Confirm a pending reservation (also after its deadline: the seat is still held).

    Raises ``StateConflict`` unless it is pending.
    """
    registration, _programme = seats.locked_registration(_check_id(registration_id))
    now = now or utcnow()
    if registration.status != S.pending:
        raise StateConflict(_("Nur reservierte Anmeldungen können bestätigt werden; diese "
                              "ist: %(status)s.", status=status_label(registration.status)))
    before = _snap(registration)
    seats.set_status(registration, S.confirmed, now)
    registration.confirmed_at = now
    registration.expires_at = None
    db.session.flush()
    notify.confirmed(registration)
    _record(actor, "registration.confirm", registration, f"Bestätigt: {_who(registration)}",
            before)
    return registration


def cancel(registration_id: int, actor: Organiser, reason: str = "",
           now: datetime | None = None) -> list[Registration]:
    """Cancel for the person, who is told; a freed seat promotes from the waiting list.

    Returns the promoted registrations. Raises ``StateConflict`` when already ended.
    """
    reason = _reason(reason, required=False)
    registration, programme = seats.locked_registration(_check_id(registration_id))
    now = now or utcnow()
    if registration.status in ENDED:
        raise StateConflict(_("Diese Anmeldung ist bereits beendet (%(status)s).",
                              status=status_label(registration.status)))
    before = _snap(registration)
    held, was = registration.holds_seat, registration.status
    seats.set_status(registration, S.cancelled, now)
    registration.cancelled_at = now
    registration.expires_at = None
    registration.accessibility_needs = registration.accessibility_consent_at = None
    db.session.flush()
    notify.cancelled_by_organiser(registration, was_confirmed=was == S.confirmed)
    promoted = seats.promote(programme, now) if held else []
    _record(actor, "registration.cancel", registration, f"Storniert: {_who(registration)}",
            before, reason, promoted=[r.id for r in promoted])
    return promoted


# --- from the waiting list onto a seat --------------------------------------------------


def seat(registration_id: int, actor: Organiser, reason: str = "", exceed: bool = False,
         now: datetime | None = None) -> Registration:
    """Give a waitlisted person a seat now (``pending`` with a fresh confirmation window,
    the promotion mail), ahead of the queue.

    Both limits apply. A full workshop: ``exceed`` by an actor allowed to
    ``exceed_capacity`` with a reason takes a seat beyond its capacity; anyone else is
    refused. The programme's cap is never exceeded. Raises ``StateConflict`` or
    ``InvalidInput`` (``reason``).
    """
    reason = _reason(reason, required=False)
    registration, programme = seats.locked_registration(_check_id(registration_id))
    now = now or utcnow()
    workshop = registration.workshop
    if registration.status != S.waitlisted:
        raise StateConflict(_("Nur Personen auf der Warteliste können auf einen Platz gesetzt "
                              "werden; diese Anmeldung ist: %(status)s.",
                              status=status_label(registration.status)))
    if workshop.status != WS.published or now >= workshop.starts_at:
        raise StateConflict(_("Der Workshop ist nicht mehr offen (abgesagt, zurückgezogen "
                              "oder begonnen)."))
    if not seats.fits_programme(programme, registration.participant_id):
        raise StateConflict(_cap_message(programme))
    taken = seats.seats_taken(workshop.id)
    exceeded = taken >= workshop.capacity
    if exceeded:
        if not exceed:
            raise StateConflict(_("Der Workshop ist voll (%(taken)d von %(capacity)d Plätzen "
                                  "belegt).", taken=taken, capacity=workshop.capacity))
        if not permissions.allowed(actor, "exceed_capacity"):
            raise StateConflict(_("Nur Administratorinnen und Administratoren dürfen die "
                                  "Kapazität eines Workshops überschreiten."))
        reason = _reason(reason, required=True)
    before = _snap(registration)
    seats.set_status(registration, S.pending, now)
    registration.expires_at = seats.confirmation_deadline(workshop, now)
    db.session.flush()
    notify.promoted(registration)
    text = f"Von der Warteliste auf einen Platz gesetzt: {_who(registration)}"
    if exceeded:
        text += f" (Kapazität überschritten: {taken + 1} von {workshop.capacity})"
    _record(actor, "registration.seat", registration, text, before, reason,
            exceeded_capacity=exceeded)
    return registration


# --- move to another workshop -----------------------------------------------------------


def move(registration_id: int, target_workshop_id: int | None, actor: Organiser,
         reason: str = "", now: datetime | None = None) -> Registration:
    """Move an active registration to another open workshop of the same programme.

    The new place must fit both limits (a confirmed person stays confirmed and gets the
    invitation; anyone else gets a reservation to confirm); the old place ends with a
    mail (and METHOD:CANCEL when it was confirmed) and its seat promotes from the
    waiting list. Returns the new registration. Raises ``InvalidInput`` (``target``),
    ``StateConflict`` or ``NotFound``.
    """
    reason = _reason(reason, required=False)
    if not isinstance(target_workshop_id, int) or not 0 < target_workshop_id <= MAX_ID:
        raise InvalidInput({"target": _("Bitte wählen Sie den neuen Workshop.")})
    old, programme = seats.locked_registration(_check_id(registration_id))
    now = now or utcnow()
    if old.status in ENDED:
        raise StateConflict(_("Diese Anmeldung ist bereits beendet (%(status)s).",
                              status=status_label(old.status)))
    target = db.session.execute(
        select(Workshop).where(Workshop.id == target_workshop_id,
                               Workshop.programme_id == programme.id)
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if target is None or target.id == old.workshop_id:
        raise InvalidInput({"target": _("Bitte wählen Sie einen anderen Workshop dieses "
                                        "Programms.")})
    if target.status != WS.published or now >= target.starts_at:
        raise InvalidInput({"target": _("Dieser Workshop ist nicht offen (Entwurf, abgesagt "
                                        "oder schon begonnen).")})
    new = db.session.scalar(
        select(Registration).where(Registration.workshop_id == target.id,
                                   Registration.participant_id == old.participant_id)
        .execution_options(populate_existing=True))
    if new is not None and new.status not in ENDED:
        raise StateConflict(_("%(name)s ist für „%(title)s“ schon angemeldet (%(status)s).",
                              name=old.participant.name, title=target.title,
                              status=status_label(new.status)))
    taken = seats.seats_taken(target.id)
    if taken >= target.capacity:
        raise StateConflict(_("Im Workshop „%(title)s“ ist kein Platz frei (%(taken)d von "
                              "%(capacity)d Plätzen belegt).", title=target.title, taken=taken,
                              capacity=target.capacity))
    if not seats.fits_programme(programme, old.participant_id):
        raise StateConflict(_cap_message(programme))

    before = _snap(old)
    was = old.status
    if new is None:
        new = Registration(workshop=target, participant=old.participant,
                           token_salt=tokens.new_salt(), created_at=now)
        db.session.add(new)
    new.requested_at = now
    new.consent_version, new.consent_at = old.consent_version, old.consent_at
    new.remarks = old.remarks
    new.accessibility_needs = old.accessibility_needs
    new.accessibility_consent_at = old.accessibility_consent_at
    new.source = "organiser"
    new.language = old.language
    new.cancelled_at = None
    if was == S.confirmed:
        seats.set_status(new, S.confirmed, now)
        new.confirmed_at, new.expires_at = now, None
    else:
        seats.set_status(new, S.pending, now)
        new.confirmed_at = None
        new.expires_at = seats.confirmation_deadline(target, now)
    seats.set_status(old, S.cancelled, now)
    old.cancelled_at = now
    old.expires_at = None
    old.accessibility_needs = old.accessibility_consent_at = None
    db.session.flush()
    notify.moved(old, new, was_confirmed=was == S.confirmed)
    if new.status == S.confirmed:
        notify.confirmed(new)
    else:
        notify.confirm_request(new)
    promoted = seats.promote(programme, now) if was in (S.pending, S.confirmed) else []
    _record(actor, "registration.move", old,
            f"Verlegt: {old.participant.name} von „{old.workshop.title}“ nach "
            f"„{target.title}“", before, reason, new_registration_id=new.id,
            new_workshop_id=target.id, new_status=new.status.value,
            promoted=[r.id for r in promoted])
    return new


# --- mail again ---------------------------------------------------------------------------


def _active(registration_id: int) -> Registration:
    registration = db.session.get(Registration, _check_id(registration_id))
    if registration is None:
        raise NotFound()
    if registration.status in ENDED:
        raise StateConflict(_("Diese Anmeldung ist beendet (%(status)s); es gibt nichts "
                              "erneut zu senden.", status=status_label(registration.status)))
    return registration


def resend_link(registration_id: int, actor: Organiser, now: datetime | None = None
                ) -> Registration:
    """Mail the personal link again. Raises ``StateConflict`` when the registration ended."""
    registration = _active(registration_id)
    before = _snap(registration)
    registration.link_sent_at = now or utcnow()
    notify.link_again(registration, seats.waitlist_position(registration))
    _record(actor, "registration.resend_link", registration,
            f"Persönlichen Link erneut gesendet: {_who(registration)}", before)
    return registration


def resend_invitation(registration_id: int, actor: Organiser) -> Registration:
    """Mail the invitation (with the calendar entry) again; only for confirmed people."""
    registration = _active(registration_id)
    if registration.status != S.confirmed:
        raise StateConflict(_("Eine Einladung gibt es nur für bestätigte Anmeldungen."))
    before = _snap(registration)
    notify.confirmed(registration)
    _record(actor, "registration.resend_invitation", registration,
            f"Einladung erneut gesendet: {_who(registration)}", before)
    return registration
