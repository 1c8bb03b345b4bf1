"""Changing workshops: capacity, publishing and cancelling — under the programme lock."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from events.extensions import db
from events.models import Registration, RegistrationStatus, Workshop, WorkshopStatus, utcnow
from events.services import notify
from events.services.errors import InvalidInput, NotFound, StateConflict
from events.services.locking import begin_serialised, lock_programme
from events.services.seats import promote

log = logging.getLogger(__name__)
S = RegistrationStatus
ACTIVE = (S.pending, S.confirmed, S.waitlisted)


def _locked_workshop(workshop_id: int):
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


def set_capacity(workshop_id: int, capacity: int, now: datetime | None = None) -> Workshop:
    """Change a workshop's capacity; raising it promotes from the waiting list.

    Lowering it below the seats already held keeps those seats (nobody is
    thrown out); new people then join the waiting list.
    """
    if capacity < 0:
        raise InvalidInput({"capacity": "Die Kapazität darf nicht negativ sein."})
    workshop, programme = _locked_workshop(workshop_id)
    workshop.capacity = capacity
    programme.feed_version += 1
    db.session.flush()
    promote(programme, now or utcnow())
    return workshop


def set_programme_capacity(programme_id: int, capacity: int, now: datetime | None = None):
    if capacity < 0:
        raise InvalidInput({"capacity": "Die Kapazität darf nicht negativ sein."})
    begin_serialised()
    programme = lock_programme(programme_id)
    programme.capacity = capacity
    db.session.flush()
    promote(programme, now or utcnow())
    return programme


def publish(workshop_id: int) -> Workshop:
    workshop, programme = _locked_workshop(workshop_id)
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
    workshop, programme = _locked_workshop(workshop_id)
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
    for registration in affected:
        registration.status = S.cancelled
        registration.status_changed_at = registration.cancelled_at = now
        registration.expires_at = None
        registration.ical_sequence += 1
        registration.accessibility_needs = registration.accessibility_consent_at = None
    db.session.flush()
    for registration in affected:
        notify.workshop_cancelled(registration, workshop.cancel_reason)
    log.info("workshop %s cancelled; %s registrations ended", workshop.id, len(affected))
    promote(programme, now)
    return affected
