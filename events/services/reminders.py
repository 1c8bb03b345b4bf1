"""Reminders: one e-mail a while (``REMINDER_BEFORE``, default 3 days) before each workshop.

Rules: every confirmed participant of a published workshop gets exactly one
reminder per workshop, once the reminder time has come and before the start;
nobody who confirmed after the reminder time gets one (their invitation is
fresh). Moving the workshop's start re-arms it (``workshops.update_workshop``).

Exactly once, with several workers too: each reminder is claimed by an atomic
``UPDATE registration SET reminder_sent_at = now WHERE id = … AND
reminder_sent_at IS NULL AND status = 'confirmed'`` in the same transaction that
enqueues the mail. Of two workers only one sees a row count of 1 (PostgreSQL:
the second waits for the first's row lock and then finds the condition false;
SQLite: writers are serialised). A rollback undoes claim and mail together.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from events.extensions import db
from events.models import Registration, RegistrationStatus, Workshop, WorkshopStatus, utcnow
from events.services import notify

log = logging.getLogger(__name__)
DEFAULT_BEFORE = timedelta(days=3)


def reminder_before() -> timedelta:
    """``REMINDER_BEFORE`` as a timedelta (a number is read as hours)."""
    value = current_app.config.get("REMINDER_BEFORE", DEFAULT_BEFORE)
    if isinstance(value, timedelta):
        return value
    return timedelta(hours=float(value))


def due(now: datetime) -> list[int]:
    """Ids of the registrations whose reminder is due now (a read; nothing is claimed)."""
    before = reminder_before()
    rows = db.session.execute(
        select(Registration.id, Registration.confirmed_at, Workshop.starts_at)
        .join(Workshop, Workshop.id == Registration.workshop_id)
        .where(Registration.status == RegistrationStatus.confirmed,
               Registration.reminder_sent_at.is_(None),
               Workshop.status == WorkshopStatus.published,
               Workshop.starts_at > now, Workshop.starts_at <= now + before)
        .order_by(Workshop.starts_at, Registration.id)
    ).all()
    return [registration_id for registration_id, confirmed_at, starts_at in rows
            if confirmed_at is not None and confirmed_at <= starts_at - before]


def claim(registration_id: int, now: datetime) -> bool:
    """Mark the reminder as sent unless another worker did; True when this call won."""
    result = db.session.execute(
        update(Registration)
        .where(Registration.id == registration_id, Registration.reminder_sent_at.is_(None),
               Registration.status == RegistrationStatus.confirmed)
        .values(reminder_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def send_due(now: datetime | None = None) -> int:
    """Claim and enqueue every due reminder; return how many. The caller commits."""
    now = now or utcnow()
    sent = 0
    for registration_id in due(now):
        if not claim(registration_id, now):
            continue
        registration = db.session.execute(
            select(Registration).where(Registration.id == registration_id)
            .execution_options(populate_existing=True)
        ).scalar_one()
        notify.reminder(registration)
        sent += 1
        log.info("reminder for registration %s queued", registration_id)
    return sent
