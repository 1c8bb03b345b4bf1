"""The dashboard's figures: a read model in a fixed number of queries.

Seven queries, whatever the number of workshops or registrations: every count is
an aggregate in SQL (no query per workshop). "Participants" in the breakdowns are
people holding a seat (pending or confirmed) somewhere in the programme, counted
once each, as the programme's cap counts them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, select

from events.extensions import db
from events.models import (
    SEAT_HOLDING,
    Participant,
    Programme,
    Registration,
    RegistrationStatus,
    Theme,
    Workshop,
    utcnow,
)
from events.services.catalogue import current_programme

S = RegistrationStatus
TOP_MUNICIPALITIES = 15
#: Above this many days the registrations are counted per week instead of per day.
DAILY_UP_TO = 62


@dataclass(frozen=True)
class WorkshopFigures:
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str
    theme: str
    capacity: int
    confirmed: int
    pending: int
    waitlisted: int
    attended: int
    no_shows: int
    is_over: bool

    @property
    def seats_taken(self) -> int:
        return self.confirmed + self.pending


@dataclass(frozen=True)
class Figures:
    programme: Programme
    #: Distinct people holding a seat, plus those the retention purge removed.
    seat_holders: int
    #: Distinct people on at least one waiting list.
    waiting_people: int
    workshops: list[WorkshopFigures]
    #: (first day of the period, registrations) for each day or week, gaps filled.
    over_time: list[tuple[date, int]]
    weekly: bool
    municipalities: list[tuple[str, int]]
    states: list[tuple[str, int]]
    themes: list[tuple[str, int]]

    @property
    def places_left(self) -> int:
        return max(self.programme.capacity - self.seat_holders, 0)

    def total(self, name: str) -> int:
        """The sum of one ``WorkshopFigures`` attribute over all workshops."""
        return sum(getattr(w, name) for w in self.workshops)


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _in_programme(query, programme_id: int):
    return query.join(Workshop, Workshop.id == Registration.workshop_id).where(
        Workshop.programme_id == programme_id)


def dashboard(programme: Programme | None = None, now: datetime | None = None
              ) -> Figures | None:
    """Every figure of ``programme`` (default: the current one); None without one."""
    programme = programme or current_programme()
    if programme is None:
        return None
    now = now or utcnow()
    holders, waiting = db.session.execute(_in_programme(select(
        func.count(func.distinct(case((Registration.status.in_(SEAT_HOLDING),
                                       Registration.participant_id)))),
        func.count(func.distinct(case((Registration.status == S.waitlisted,
                                       Registration.participant_id))))), programme.id)).one()
    weekly, over_time = _over_time(programme.id)
    return Figures(
        programme=programme, seat_holders=(holders or 0) + programme.deleted_participants,
        waiting_people=waiting or 0, workshops=_workshops(programme.id, now),
        over_time=over_time, weekly=weekly,
        municipalities=_top(_people_by(func.trim(Participant.municipality), programme.id)),
        states=[(name or _("unbekannt"), n) for name, n in
                _merge_blank(_people_by(func.trim(Participant.federal_state), programme.id))],
        themes=_themes(programme.id),
    )


def _workshops(programme_id: int, now: datetime) -> list[WorkshopFigures]:
    over = Workshop.ends_at < now
    rows = db.session.execute(
        select(Workshop.id, Workshop.title, Workshop.starts_at, Workshop.ends_at,
               Workshop.status, Theme.name, Workshop.capacity,
               _count(Registration.status == S.confirmed),
               _count(Registration.status == S.pending),
               _count(Registration.status == S.waitlisted),
               _count(Registration.attended_at.is_not(None)),
               _count(and_(Registration.status == S.confirmed,
                           Registration.attended_at.is_(None), over)))
        .join(Theme, Theme.id == Workshop.theme_id)
        .outerjoin(Registration, Registration.workshop_id == Workshop.id)
        .where(Workshop.programme_id == programme_id)
        .group_by(Workshop.id, Theme.id, Theme.name)
        .order_by(Workshop.starts_at, Workshop.id))
    return [WorkshopFigures(i, title, starts, ends, getattr(status, "value", status), theme,
                            capacity, int(c), int(p), int(w), int(a), int(n), ends < now)
            for i, title, starts, ends, status, theme, capacity, c, p, w, a, n in rows]


def _people_by(column, programme_id: int) -> list[tuple[str, int]]:
    """Seat holders counted once per value of ``column``, most first."""
    number = func.count(func.distinct(Participant.id))
    return [(value or "", int(n)) for value, n in db.session.execute(
        _in_programme(select(column, number)
                      .select_from(Registration)
                      .join(Participant, Participant.id == Registration.participant_id),
                      programme_id)
        .where(Registration.status.in_(SEAT_HOLDING))
        .group_by(column).order_by(number.desc(), column))]


def _merge_blank(rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Empty values last, as one row."""
    blank = sum(n for name, n in rows if not name)
    return [(name, n) for name, n in rows if name] + ([("", blank)] if blank else [])


def _top(rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The first ``TOP_MUNICIPALITIES`` and one row for the rest."""
    rows = [(name or _("unbekannt"), n) for name, n in rows]
    if len(rows) <= TOP_MUNICIPALITIES + 1:
        return rows
    rest = rows[TOP_MUNICIPALITIES:]
    return rows[:TOP_MUNICIPALITIES] + [(
        _("Übrige (%(n)d Kommunen)", n=len(rest)), sum(n for _name, n in rest))]


def _themes(programme_id: int) -> list[tuple[str, int]]:
    people = func.count(func.distinct(case((Registration.status.in_(SEAT_HOLDING),
                                            Registration.participant_id))))
    return [(name, int(n)) for name, n in db.session.execute(
        select(Theme.name, people)
        .join(Workshop, Workshop.theme_id == Theme.id)
        .outerjoin(Registration, Registration.workshop_id == Workshop.id)
        .where(Workshop.programme_id == programme_id)
        .group_by(Theme.id, Theme.name, Theme.position)
        .order_by(Theme.position, Theme.name))]


def _hour_bucket():
    """``YYYY-MM-DD HH`` of the registration's creation in UTC, in each dialect's words."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", Registration.created_at), "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", Registration.created_at)


def _over_time(programme_id: int) -> tuple[bool, list[tuple[date, int]]]:
    """Registrations per day (or per week when the span is long), by Berlin date.

    SQL counts per UTC hour (rows bounded by the span, not by the registrations);
    the hours are then moved to the programme's time zone here, which is exact for
    zones whose offsets are whole hours, as Berlin's are.
    """
    bucket = _hour_bucket()
    rows = db.session.execute(_in_programme(
        select(bucket, func.count(Registration.id)).select_from(Registration), programme_id)
        .group_by(bucket).order_by(bucket))
    zone = ZoneInfo(current_app.config["APP_TIMEZONE"])
    days: Counter[date] = Counter()
    for hour, number in rows:
        moment = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=ZoneInfo("UTC"))
        days[moment.astimezone(zone).date()] += int(number)
    if not days:
        return False, []
    first, last = min(days), max(days)
    weekly = (last - first).days > DAILY_UP_TO
    if weekly:
        weeks: Counter[date] = Counter()
        for day, number in days.items():
            weeks[day - timedelta(days=day.weekday())] += number
        start = first - timedelta(days=first.weekday())
        count = (last - start).days // 7 + 1
        return True, [(start + timedelta(weeks=i), weeks[start + timedelta(weeks=i)])
                      for i in range(count)]
    return False, [(first + timedelta(days=i), days[first + timedelta(days=i)])
                   for i in range((last - first).days + 1)]
