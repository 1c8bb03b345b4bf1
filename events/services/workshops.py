"""Changing workshops: capacity, publishing, editing and cancelling — under the programme lock.

Every change that a calendar feed shows bumps ``Programme.feed_version`` (the
feeds' ETag); every change of what a participant's calendar holds raises
``Workshop.sequence`` and sends the participants a new version.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from events.extensions import db
from events.locales import in_language
from events.models import (
    Programme,
    Registration,
    RegistrationStatus,
    Workshop,
    WorkshopStatus,
    utcnow,
)
from events.services import notify, workshop_changes
from events.services.errors import InvalidInput, NotFound, StateConflict
from events.services.locking import begin_serialised, lock_programme
from events.services.seats import promote, seat_holders, seats_taken
from events.services.workshop_changes import Change

log = logging.getLogger(__name__)
S = RegistrationStatus
ACTIVE = (S.pending, S.confirmed, S.waitlisted)


#: Highest capacity a workshop or the programme may have (a typo, not a plan, beyond it).
MAX_CAPACITY = 100_000


def lock_workshop(workshop_id: int) -> tuple[Workshop, Programme]:
    """Begin the serialised transaction, lock the workshop's programme, load the workshop fresh.

    Raises ``NotFound`` for an unknown workshop. Every change below starts here.
    """
    begin_serialised()
    programme_id = db.session.scalar(
        select(Workshop.programme_id).where(Workshop.id == workshop_id))
    if programme_id is None:
        raise NotFound()
    programme = lock_programme(programme_id)
    workshop = db.session.execute(
        select(Workshop).where(Workshop.id == workshop_id)
        .execution_options(populate_existing=True)).scalar_one()
    return workshop, programme


def _check_capacity_value(capacity: int) -> None:
    if capacity < 0:
        raise InvalidInput({"capacity": "Die Kapazität darf nicht negativ sein."})
    if capacity > MAX_CAPACITY:
        raise InvalidInput({"capacity": f"Die Kapazität darf höchstens {MAX_CAPACITY} sein."})


def set_capacity(workshop_id: int, capacity: int, now: datetime | None = None) -> Workshop:
    """Change a workshop's capacity; raising it promotes from the waiting list at once.

    Raises ``InvalidInput`` (field ``capacity``) for a value outside 0..MAX_CAPACITY or
    below the seats already held (pending + confirmed): nobody is thrown out.
    """
    _check_capacity_value(capacity)
    workshop, programme = lock_workshop(workshop_id)
    return change_capacity(workshop, programme, capacity, now)


def change_capacity(workshop: Workshop, programme: Programme, capacity: int,
                    now: datetime | None = None) -> Workshop:
    """``set_capacity`` for a caller that already holds the lock (``lock_workshop``)."""
    _check_capacity_value(capacity)
    held = seats_taken(workshop.id)
    if capacity < held:
        raise InvalidInput({"capacity": (
            f"Die Kapazität kann nicht unter die bereits vergebenen Plätze gesenkt werden: "
            f"{held} Personen halten einen Platz (reserviert oder bestätigt). "
            f"Bitte geben Sie mindestens {held} an.")})
    if capacity == workshop.capacity:
        return workshop
    workshop.capacity = capacity
    programme.feed_version += 1
    db.session.flush()
    promote(programme, now or utcnow())
    return workshop


def set_programme_capacity(programme_id: int, capacity: int, now: datetime | None = None
                           ) -> Programme:
    """Change the programme's cap on distinct people; raising it promotes at once.

    Raises ``InvalidInput`` (field ``capacity``) outside 0..MAX_CAPACITY or below the
    people already holding a seat (plus those the retention purge deleted).
    """
    _check_capacity_value(capacity)
    begin_serialised()
    programme = lock_programme(programme_id)
    return change_programme_capacity(programme, capacity, now)


def change_programme_capacity(programme: Programme, capacity: int,
                              now: datetime | None = None) -> Programme:
    """``set_programme_capacity`` for a caller that already holds the programme lock."""
    _check_capacity_value(capacity)
    held = len(seat_holders(programme.id)) + programme.deleted_participants
    if capacity < held:
        raise InvalidInput({"capacity": (
            f"Die Obergrenze kann nicht unter die Zahl der Personen gesenkt werden, die "
            f"bereits einen Platz halten: {held}. Bitte geben Sie mindestens {held} an.")})
    if capacity == programme.capacity:
        return programme
    programme.capacity = capacity
    db.session.flush()
    promote(programme, now or utcnow())
    return programme


def publish(workshop_id: int) -> Workshop:
    workshop, programme = lock_workshop(workshop_id)
    if workshop.status == WorkshopStatus.cancelled:
        raise StateConflict("Ein abgesagter Workshop kann nicht wieder veröffentlicht werden.")
    workshop.status = WorkshopStatus.published
    programme.feed_version += 1
    return workshop


def cancel_workshop(workshop_id: int, reason: str = "", now: datetime | None = None
                    ) -> list[Registration]:
    """Cancel the workshop: every active registration ends and is told by e-mail.

    The freed programme places promote waitlist entries of other workshops.
    Returns the registrations that were cancelled.
    """
    now = now or utcnow()
    workshop, programme = lock_workshop(workshop_id)
    if workshop.status == WorkshopStatus.cancelled:
        raise StateConflict("Dieser Workshop ist bereits abgesagt.")
    workshop.status = WorkshopStatus.cancelled
    workshop.cancel_reason = reason.strip()
    workshop.sequence += 1
    programme.feed_version += 1
    affected = db.session.scalars(
        select(Registration).where(Registration.workshop_id == workshop.id,
                                   Registration.status.in_(ACTIVE))
        .order_by(Registration.id)
    ).all()
    was_confirmed = {registration.id for registration in affected
                     if registration.status == S.confirmed}
    for registration in affected:
        registration.status = S.cancelled
        registration.status_changed_at = registration.cancelled_at = now
        registration.expires_at = None
        registration.accessibility_needs = registration.accessibility_consent_at = None
    db.session.flush()
    for registration in affected:  # confirmed ones get METHOD:CANCEL (SEQUENCE raised there)
        notify.workshop_cancelled(registration, workshop.cancel_reason,
                                  was_confirmed=registration.id in was_confirmed)
    log.info("workshop %s cancelled; %s registrations ended", workshop.id, len(affected))
    promote(programme, now)
    return affected


def unpublish(workshop_id: int) -> Workshop:
    """Take a published workshop back to draft; only while nobody is registered.

    Raises ``StateConflict`` when it is cancelled or has active registrations
    (those must be told: cancel the workshop instead).
    """
    workshop, programme = lock_workshop(workshop_id)
    if workshop.status == WorkshopStatus.cancelled:
        raise StateConflict("Ein abgesagter Workshop kann nicht zurückgezogen werden.")
    active = db.session.scalar(
        select(db.func.count(Registration.id)).where(Registration.workshop_id == workshop.id,
                                                     Registration.status.in_(ACTIVE)))
    if active:
        raise StateConflict("Für diesen Workshop gibt es Anmeldungen. Bitte sagen Sie ihn ab, "
                            "damit alle Angemeldeten informiert werden.")
    if workshop.status == WorkshopStatus.published:
        workshop.status = WorkshopStatus.draft
        programme.feed_version += 1
    return workshop


def update_workshop(workshop_id: int, *, starts_at: datetime | None = None,
                    ends_at: datetime | None = None, venue_name: str | None = None,
                    venue_address: str | None = None, online_url: str | None = None,
                    title: str | None = None, description: str | None = None,
                    now: datetime | None = None) -> list[str]:
    """Change time, place, link, title or description; ``None`` leaves a field alone.

    Moving only the start keeps the duration. When something changed: the
    workshop's SEQUENCE and the programme's feed version rise, and everyone
    registered is told what changed (German lines, returned too): confirmed
    participants with an updated invitation (same UID, higher SEQUENCE);
    pending and waitlisted people with a plain e-mail (the online link only
    goes to confirmed ones). A changed description alone sends no e-mail.
    A new start re-arms the reminder. Returns a German summary of what changed
    (empty: nothing did, and nothing was bumped or sent). Raises ``InvalidInput`` (naive or
    inverted times, empty title) or ``StateConflict`` (cancelled workshop).
    """
    _check_details(starts_at, ends_at, title)
    workshop, programme = lock_workshop(workshop_id)
    return change_details(workshop, programme, starts_at=starts_at, ends_at=ends_at,
                          venue_name=venue_name, venue_address=venue_address,
                          online_url=online_url, title=title, description=description)


def _check_details(starts_at: datetime | None, ends_at: datetime | None,
                   title: str | None) -> None:
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput({name: "Bitte geben Sie die Zeit mit Zeitzone an."})
    if title is not None and not title.strip():
        raise InvalidInput({"title": "Der Titel darf nicht leer sein."})


def change_details(workshop: Workshop, programme: Programme, *,
                   starts_at: datetime | None = None, ends_at: datetime | None = None,
                   venue_name: str | None = None, venue_address: str | None = None,
                   online_url: str | None = None, title: str | None = None,
                   description: str | None = None) -> list[str]:
    """``update_workshop`` for a caller that already holds the lock (``lock_workshop``)."""
    _check_details(starts_at, ends_at, title)
    if workshop.status == WorkshopStatus.cancelled:
        raise StateConflict("Ein abgesagter Workshop kann nicht mehr geändert werden.")

    old_start, old_end = workshop.starts_at, workshop.ends_at
    new_start = starts_at or old_start
    new_end = ends_at or (old_end + (new_start - old_start) if starts_at else old_end)
    if new_end <= new_start:
        raise InvalidInput({"ends_at": "Das Ende muss nach dem Beginn liegen."})

    changes: list[Change] = []  # for everyone registered
    link_changed = False
    if (new_start, new_end) != (old_start, old_end):
        changes.append(Change("time", (new_start, new_end), (old_start, old_end)))
        workshop.starts_at, workshop.ends_at = new_start, new_end
    values = {"title": title, "description": description, "venue_name": venue_name,
              "venue_address": venue_address, "online_url": online_url}
    changed_fields = set()
    for name, value in values.items():
        if value is None:
            continue
        value = value.strip()
        old = getattr(workshop, name) or ""
        if value == old:
            continue
        changed_fields.add(name)
        setattr(workshop, name, value or (None if name == "online_url" else ""))
        if name == "online_url":
            link_changed = True
        elif name in ("venue_name", "venue_address", "title"):
            changes.append(Change(name, value, old))
    if not changes and not changed_fields:
        return []

    workshop.sequence += 1
    programme.feed_version += 1
    if new_start != old_start:
        _rearm(workshop, new_start)
    db.session.flush()
    if changes or link_changed:
        _tell_registered(workshop, changes, link_changed)
    log.info("workshop %s updated (%s)", workshop.id,
             ", ".join(sorted(changed_fields | ({"time"} if new_start != old_start
                                                or new_end != old_end else set()))))
    with in_language(None):  # the organisers' summary: the default language
        told = workshop_changes.lines(changes)
    return told + (["Zugangslink geändert (nur an bestätigte Teilnehmende)"]
                      if link_changed else []) + (
        ["Beschreibung geändert"] if "description" in changed_fields else [])


def _rearm(workshop: Workshop, new_start: datetime) -> None:
    """A new start: reminders go again, and no confirmation window outlasts the start."""
    for registration in db.session.scalars(
            select(Registration).where(Registration.workshop_id == workshop.id,
                                       Registration.status.in_(ACTIVE))):
        registration.reminder_sent_at = None
        if registration.expires_at is not None and registration.expires_at > new_start:
            registration.expires_at = new_start


def _tell_registered(workshop: Workshop, changes: list[Change], link_changed: bool) -> None:
    registrations = db.session.scalars(
        select(Registration).where(Registration.workshop_id == workshop.id,
                                   Registration.status.in_(ACTIVE))
        .order_by(Registration.id)).all()
    for registration in registrations:
        lines = list(changes)
        if link_changed and registration.status == S.confirmed:
            lines.append(Change("online_url", workshop.online_url or ""))
        if lines:
            notify.workshop_changed(registration, lines)
