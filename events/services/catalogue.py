"""Read models for pages and the API: availability of every workshop in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from events.extensions import db
from events.models import (
    SEAT_HOLDING,
    Programme,
    Registration,
    RegistrationStatus,
    Theme,
    Workshop,
    WorkshopStatus,
    utcnow,
)

PUBLIC_STATUSES = (WorkshopStatus.published, WorkshopStatus.cancelled)


@dataclass(frozen=True)
class Availability:
    workshop: Workshop
    seats_taken: int
    waitlist_length: int
    registration_state: str

    @property
    def seats_left(self) -> int:
        return max(self.workshop.capacity - self.seats_taken, 0)

    @property
    def is_full(self) -> bool:
        return self.seats_left == 0

    @property
    def registration_open(self) -> bool:
        return self.registration_state == "open"


@dataclass(frozen=True)
class ProgrammeFigures:
    programme: Programme
    participants: int

    @property
    def places_left(self) -> int:
        return max(self.programme.capacity - self.participants, 0)


def _seat_sums() -> tuple:
    held = func.sum(case((Registration.status.in_(SEAT_HOLDING), 1), else_=0))
    waiting = func.sum(case((Registration.status == RegistrationStatus.waitlisted, 1), else_=0))
    return func.coalesce(held, 0), func.coalesce(waiting, 0)


def _availability_query():
    return (
        select(Workshop, *_seat_sums())
        .outerjoin(Registration, Registration.workshop_id == Workshop.id)
        .options(joinedload(Workshop.theme))
        .group_by(Workshop.id)
        .order_by(Workshop.starts_at, Workshop.id)
    )


def list_workshops(now: datetime | None = None, theme_slug: str | None = None,
                   include_cancelled: bool = True) -> list[Availability]:
    """Published (and, by default, cancelled) workshops with their availability."""
    now = now or utcnow()
    statuses = PUBLIC_STATUSES if include_cancelled else (WorkshopStatus.published,)
    query = _availability_query().where(Workshop.status.in_(statuses))
    if theme_slug:
        query = query.join(Theme, Theme.id == Workshop.theme_id).where(Theme.slug == theme_slug)
    return [Availability(w, taken, waiting, w.registration_state(now))
            for w, taken, waiting in db.session.execute(query).unique().all()]


def get_workshop(workshop_id: int, now: datetime | None = None,
                 public_only: bool = True) -> Availability | None:
    query = _availability_query().where(Workshop.id == workshop_id)
    if public_only:
        query = query.where(Workshop.status.in_(PUBLIC_STATUSES))
    row = db.session.execute(query).unique().first()
    if row is None:
        return None
    workshop, taken, waiting = row
    return Availability(workshop, taken, waiting, workshop.registration_state(now or utcnow()))


def workshop_is_public(workshop_id: int) -> bool:
    """True for a published or cancelled workshop (one indexed lookup, no counting)."""
    return db.session.scalar(
        select(Workshop.id).where(Workshop.id == workshop_id,
                                  Workshop.status.in_(PUBLIC_STATUSES))) is not None


def get_workshop_by_slug(slug: str, now: datetime | None = None) -> Availability | None:
    workshop_id = db.session.scalar(select(Workshop.id).where(Workshop.slug == slug))
    return get_workshop(workshop_id, now) if workshop_id else None


def programme_figures(programme: Programme | None = None) -> ProgrammeFigures | None:
    programme = programme or current_programme()
    if programme is None:
        return None
    participants = db.session.scalar(
        select(func.count(func.distinct(Registration.participant_id)))
        .join(Workshop, Workshop.id == Registration.workshop_id)
        .where(Workshop.programme_id == programme.id, Registration.status.in_(SEAT_HOLDING))
    )
    return ProgrammeFigures(programme, (participants or 0) + programme.deleted_participants)


def current_programme() -> Programme | None:
    """The programme the site serves (the first one; one programme per site for now)."""
    return db.session.scalars(select(Programme).order_by(Programme.id).limit(1)).first()


def themes() -> list[Theme]:
    return list(db.session.scalars(select(Theme).order_by(Theme.position, Theme.name)))


# --- for the page cache: what a kept workshop page is checked against on every request ----


@dataclass(frozen=True)
class WorkshopFacts:
    """What a workshop's registration state depends on, free of the session (it is kept
    across requests by the page cache)."""

    id: int
    status: WorkshopStatus
    starts_at: datetime
    registration_opens_at: datetime | None
    registration_deadline: datetime

    def registration_state(self, now: datetime) -> str:
        return Workshop.registration_state(self, now)  # the same rule, on these fields


def workshop_facts(slug: str) -> WorkshopFacts | None:
    """The facts of the public (published or cancelled) workshop with this slug, else None."""
    workshop = db.session.scalars(select(Workshop).where(
        Workshop.slug == slug, Workshop.status.in_(PUBLIC_STATUSES))).first()
    if workshop is None:
        return None
    return WorkshopFacts(workshop.id, workshop.status, workshop.starts_at,
                         workshop.registration_opens_at, workshop.registration_deadline)


def seat_counts(workshop_id: int) -> tuple[int, int]:
    """``(seats taken, waiting list length)`` of one workshop, read now.

    The workshop page asks this on every request, also when the page itself comes from
    the cache, so it is kept lean: one indexed statement on a pooled driver connection,
    without SQLAlchemy's execution machinery or the ORM session (the same sums as
    ``_availability_query``). One statement needs no transaction: it runs in autocommit
    (SQLite's connections are so anyway; psycopg's are switched for it), which spares
    PostgreSQL the BEGIN and the ROLLBACK round trips."""
    connection = db.engine.raw_connection()
    driver = connection.driver_connection
    switched = getattr(driver, "autocommit", None) is False
    try:
        if switched:
            driver.autocommit = True
        cursor = connection.cursor()
        cursor.execute(_seat_counts_sql(db.engine.dialect.paramstyle), (workshop_id,))
        taken, waiting = cursor.fetchone()
        cursor.close()
    finally:
        if switched:
            driver.autocommit = False
        connection.close()
    return int(taken), int(waiting)


def _seat_counts_sql(paramstyle: str) -> str:
    placeholder = "?" if paramstyle == "qmark" else "%s"
    holding = ", ".join(f"'{status.name}'" for status in SEAT_HOLDING)  # fixed enum names
    return (f"SELECT coalesce(sum(CASE WHEN status IN ({holding}) THEN 1 ELSE 0 END), 0), "
            f"coalesce(sum(CASE WHEN status = '{RegistrationStatus.waitlisted.name}' "
            f"THEN 1 ELSE 0 END), 0) FROM registration WHERE workshop_id = {placeholder}")
