"""Read models of the back office's workshop pages: figures per workshop in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from events.extensions import db
from events.models import (
    AuditEntry,
    Registration,
    RegistrationStatus,
    Workshop,
    WorkshopStatus,
    utcnow,
)

S = RegistrationStatus
#: Filter values of the list (besides the workshop statuses).
STATUS_FILTERS = ("draft", "published", "cancelled", "upcoming", "past")


@dataclass(frozen=True)
class WorkshopRow:
    workshop: Workshop
    confirmed: int
    pending: int
    waitlisted: int
    attended: int

    @property
    def held(self) -> int:
        """Seats taken: pending and confirmed hold one."""
        return self.confirmed + self.pending

    @property
    def seats_left(self) -> int:
        return max(self.workshop.capacity - self.held, 0)


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _query():
    return (
        select(Workshop, _count(Registration.status == S.confirmed),
               _count(Registration.status == S.pending),
               _count(Registration.status == S.waitlisted),
               _count(Registration.attended_at.is_not(None)
                      & (Registration.status == S.confirmed)))
        .outerjoin(Registration, Registration.workshop_id == Workshop.id)
        .options(joinedload(Workshop.theme))
        .group_by(Workshop.id)
    )


def rows(*, status: str | None = None, theme_id: int | None = None,
         now: datetime | None = None) -> list[WorkshopRow]:
    """All workshops with their figures: upcoming first (soonest on top), then past ones
    (latest on top). ``status``: one of ``STATUS_FILTERS``; unknown values filter nothing."""
    now = now or utcnow()
    query = _query()
    if status in ("draft", "published", "cancelled"):
        query = query.where(Workshop.status == WorkshopStatus(status))
    elif status == "upcoming":
        query = query.where(Workshop.ends_at > now, Workshop.status != WorkshopStatus.cancelled)
    elif status == "past":
        query = query.where(Workshop.ends_at <= now)
    if theme_id is not None:
        query = query.where(Workshop.theme_id == theme_id)
    found = [WorkshopRow(*row) for row in db.session.execute(
        query.order_by(Workshop.starts_at, Workshop.id)).unique().all()]
    upcoming = [row for row in found if row.workshop.ends_at > now]
    past = [row for row in found if row.workshop.ends_at <= now]
    return upcoming + past[::-1]


def row(workshop_id: int) -> WorkshopRow | None:
    found = db.session.execute(_query().where(Workshop.id == workshop_id)).unique().first()
    return WorkshopRow(*found) if found else None


def history(workshop_id: int, limit: int = 10) -> list[AuditEntry]:
    """The latest audit entries about the workshop, newest first."""
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "workshop",
                                 AuditEntry.object_id == workshop_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))


def state_if_published(workshop: Workshop, now: datetime | None = None) -> str:
    """The registration state the public page would show if the workshop were published."""
    now = now or utcnow()
    if workshop.is_cancelled:
        return "cancelled"
    if now >= workshop.starts_at:
        return "past"
    if workshop.registration_opens_at and now < workshop.registration_opens_at:
        return "not_yet_open"
    if now >= workshop.registration_deadline:
        return "closed"
    return "open"
