"""Attendee lists for the back office: search, filter, sort and page in SQL.

A list is one workshop's registrations or the whole programme's. ``ListQuery``
is built from untrusted parameters (``from_params``) and never fails: unknown
sort keys, statuses or page numbers fall back to the defaults. ``page`` needs a
fixed number of queries however long the list is (status counts, rows; a count when searching);
the waitlist position is a correlated count inside the row query, not a query
per row. ``all_rows`` returns every row of the same filter and sort
for the exports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from events.extensions import db
from events.models import (
    Participant,
    Programme,
    ProgrammeTally,
    Registration,
    RegistrationStatus,
    RegistrationTally,
    Workshop,
)
from events.services.seats import waitlist_place

S = RegistrationStatus
PER_PAGE = 50
#: Longest search text we pass to the database (longer input is cut).
MAX_QUERY = 200
#: Highest page number we ever compute an offset for.
MAX_PAGE = 1_000_000

STATUS_LABELS = {
    S.pending: _l("Reserviert, Bestätigung offen"),
    S.confirmed: _l("Bestätigt"),
    S.waitlisted: _l("Warteliste"),
    S.cancelled: _l("Storniert"),
    S.expired: _l("Abgelaufen"),
}


#: The list's order of statuses: seat holders first, then waiting, then ended.
STATUS_ORDER = {status: index for index, status in enumerate(STATUS_LABELS)}


def status_label(status: RegistrationStatus | str) -> str:
    return str(STATUS_LABELS[S(status)])


@dataclass(frozen=True)
class ListQuery:
    """What the organiser asked for: the scope and the filter, sort and page."""

    #: One workshop's list; None: the whole programme (``programme_id``).
    workshop_id: int | None = None
    programme_id: int | None = None
    q: str = ""
    status: str = ""
    sort: str = "registered"
    descending: bool = False
    page: int = 1

    @classmethod
    def from_params(cls, params: Any, *, workshop_id: int | None = None,
                    programme_id: int | None = None) -> ListQuery:
        """Read ``q``, ``status``, ``sort``, ``dir`` and ``page`` from a mapping (request.args).

        Whatever cannot be used is dropped: a sort key outside ``SORTS``, an
        unknown status, a page that is not a positive number. Control characters
        (NUL included, which PostgreSQL refuses) are removed from ``q``.
        """
        q = "".join(ch for ch in str(params.get("q", "") or "") if ch.isprintable())
        q = " ".join(q.split())[:MAX_QUERY]
        status = str(params.get("status", "") or "")
        if status not in S._value2member_map_:
            status = ""
        sort = str(params.get("sort", "") or "")
        if sort not in SORTS or (sort == "workshop" and workshop_id is not None):
            sort = "registered"
        try:
            page = int(str(params.get("page", "1"))[:12])
        except ValueError:
            page = 1
        page = min(max(page, 1), MAX_PAGE)
        return cls(workshop_id=workshop_id, programme_id=programme_id, q=q, status=status,
                   sort=sort, descending=params.get("dir") == "desc", page=page)

    def params(self, **changes) -> dict[str, Any]:
        """Query parameters that reproduce this list (for links and exports); defaults left out."""
        query = replace(self, **changes) if changes else self
        out: dict[str, Any] = {}
        if query.q:
            out["q"] = query.q
        if query.status:
            out["status"] = query.status
        if query.sort != "registered" or query.descending:
            out["sort"] = query.sort
        if query.descending:
            out["dir"] = "desc"
        if query.page > 1:
            out["page"] = query.page
        return out

    def describe(self) -> dict[str, Any]:
        """The filter as plain values (for the audit entry of an export)."""
        return {"workshop_id": self.workshop_id, "programme_id": self.programme_id,
                "q": self.q, "status": self.status, "sort": self.sort,
                "dir": "desc" if self.descending else "asc"}


@dataclass(frozen=True)
class AttendeeRow:
    registration_id: int
    workshop_id: int
    workshop_title: str
    workshop_starts_at: datetime
    name: str
    email: str
    municipality: str
    role: str
    status: RegistrationStatus
    registered_at: datetime
    confirmed_at: datetime | None
    waitlist_position: int | None
    remarks: str
    attended_at: datetime | None
    accessibility_needs: str | None
    source: str

    @property
    def status_label(self) -> str:
        return status_label(self.status)


@dataclass
class AttendeePage:
    query: ListQuery
    rows: list[AttendeeRow]
    total: int
    pages: int
    #: Registrations per status in the whole scope (search and status filter ignored).
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def first_index(self) -> int:
        return (self.query.page - 1) * PER_PAGE + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.rows) - 1 if self.rows else 0


# --- the query --------------------------------------------------------------------------


def _fold(column):
    """The column in lower case for a case-insensitive search that knows umlauts.

    PostgreSQL's ``lower`` follows the database's (UTF-8) locale; SQLite's only
    knows ASCII, so there we register Python's ``str.lower`` on the connection.
    """
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return func.lower(column)
    raw = connection.connection.dbapi_connection
    raw.create_function("app_lower", 1, lambda value: value.lower() if value else value,
                        deterministic=True)
    return func.app_lower(column)


def _scoped(statement: Select, query: ListQuery, *, row_by_row: bool = False) -> Select:
    """Only the registrations of the query's workshop or programme.

    The programme is a list of its workshop ids, from which the database fetches each
    workshop's registrations: right for counting them all. ``row_by_row`` checks each
    registration's workshop instead, so that a page can be read in the order of an index
    (``ix_registration_requested``) and stop after it: with the id list, SQLite fetched
    every registration of the programme and sorted them all for each page.
    """
    if query.workshop_id is not None:
        return statement.where(Registration.workshop_id == query.workshop_id)
    if query.programme_id is not None and row_by_row:
        scope = aliased(Workshop)  # not the list's own join of the workshop (sort by it)
        return statement.where(select(scope.id).where(
            scope.id == Registration.workshop_id,
            scope.programme_id == query.programme_id).exists())
    if query.programme_id is not None:  # by workshop ids: no join needed for the scope
        return statement.where(Registration.workshop_id.in_(
            select(Workshop.id).where(Workshop.programme_id == query.programme_id)))
    return statement.where(False)  # no scope, no rows


def _filtered(statement: Select, query: ListQuery, *, row_by_row: bool = False) -> Select:
    statement = _scoped(statement, query, row_by_row=row_by_row)
    if query.status:
        statement = statement.where(Registration.status == S(query.status))
    if query.q:
        needle = query.q.lower()
        statement = statement.where(or_(
            *(_fold(column).contains(needle, autoescape=True) for column in
              (Participant.name, Participant.email, Participant.municipality))))
    return statement


#: Sort keys that are the participant's columns (the narrow queries join them only then).
PERSON_SORTS = ("name", "email", "municipality", "role")


def _base(*columns, people: bool = True, workshops: bool = True) -> Select:
    """``columns`` of registrations, joined to their participant and workshop; the counts
    and the page's ids leave out the joins they do not need (each is a lookup per row
    of the scope, which is every registration of the programme)."""
    statement = select(*columns).select_from(Registration)
    if people:
        statement = statement.join(Participant, Participant.id == Registration.participant_id)
    if workshops:
        statement = statement.join(Workshop, Workshop.id == Registration.workshop_id)
    return statement


def _ordered(statement: Select, query: ListQuery, position) -> Select:
    order = []
    for key in SORTS[query.sort](position):
        ordered = key.desc() if query.descending else key.asc()
        # empty values last; a NOT NULL column has none, and without NULLS LAST PostgreSQL
        # can read an index backwards for the descending order (newest registrations first)
        order.append(ordered if _not_null(key) else ordered.nulls_last())
    return statement.order_by(*order, Registration.id)


def _not_null(key) -> bool:
    """True for a column declared NOT NULL (not for an expression over one)."""
    return getattr(getattr(key, "expression", key), "nullable", True) is False


SORTS = {
    "name": lambda p: [func.lower(Participant.name)],
    "email": lambda p: [Participant.email],
    "municipality": lambda p: [func.lower(Participant.municipality)],
    "role": lambda p: [func.lower(Participant.role)],
    "status": lambda p: [case(STATUS_ORDER, value=Registration.status, else_=9)],
    "registered": lambda p: [Registration.requested_at],
    "confirmed": lambda p: [Registration.confirmed_at],
    "position": lambda p: [p],
    "remarks": lambda p: [Registration.remarks],
    "attended": lambda p: [Registration.attended_at],
    "accessibility": lambda p: [Registration.accessibility_needs],
    "workshop": lambda p: [Workshop.starts_at, Workshop.title],
}


def _row_statement(query: ListQuery) -> Select:
    position = waitlist_place().label("position")
    statement = _base(
        Registration.id, Registration.workshop_id, Workshop.title, Workshop.starts_at,
        Participant.name, Participant.email, Participant.municipality, Participant.role,
        Registration.status, Registration.requested_at, Registration.confirmed_at,
        position, Registration.remarks, Registration.attended_at,
        Registration.accessibility_needs, Registration.source,
    )
    return _ordered(_filtered(statement, query), query, position)


def _page_ids(query: ListQuery, limit: int, offset: int) -> Select:
    """The ids of one page: filter, order and offset over the narrow keys only.

    The row statement's waitlist place is a correlated count; sorted with every
    column of every row in the scope, it made page 1 of a programme with 200,000
    registrations take seconds. Picking the page's ids first and computing the full row
    for those 50 only keeps it one statement (a subquery), and in the same order.
    """
    narrow = _base(Registration.id, people=bool(query.q) or query.sort in PERSON_SORTS,
                   workshops=query.sort == "workshop")
    statement = _ordered(_filtered(narrow, query, row_by_row=query.sort == "registered"),
                         query, waitlist_place())
    return statement.limit(limit).offset(offset)


def _rows(query: ListQuery, limit: int | None, offset: int) -> list[AttendeeRow]:
    statement = _row_statement(query)
    if limit is not None:
        statement = statement.where(
            Registration.id.in_(_page_ids(query, limit, offset).scalar_subquery()))
    return [AttendeeRow(*row) for row in db.session.execute(statement)]


def page(query: ListQuery) -> AttendeePage:
    """One page of the list (``PER_PAGE`` rows); a page past the end shows the last one.

    The counts per status are the total as well unless a search narrows the list: each
    count passes over every registration of the scope, so it is done once, not twice.
    """
    counts = status_counts(query.workshop_id, query.programme_id)
    if query.q:
        total = db.session.scalar(_filtered(
            _base(func.count(Registration.id), workshops=False), query)) or 0
    elif query.status:
        total = counts.get(query.status, 0)
    else:
        total = sum(counts.values())
    pages = max(1, math.ceil(total / PER_PAGE))
    if query.page > pages:
        query = replace(query, page=pages)
    rows = _rows(query, PER_PAGE, (query.page - 1) * PER_PAGE)
    return AttendeePage(query, rows, total, pages, counts)


def status_counts(workshop_id: int | None, programme_id: int | None, *,
                  session: Session | None = None) -> dict[str, int]:
    """Registrations per status value of one workshop, else of the programme (none of
    either: nothing), from the tallies the database keeps per workshop and per programme
    (``RegistrationTally``, ``ProgrammeTally``): one row per status, however many
    registrations and workshops there are. Also the organiser API's totals
    (``registration_queries``)."""
    if workshop_id is not None:
        tally, scope = RegistrationTally, RegistrationTally.workshop_id == workshop_id
    elif programme_id is not None:
        tally, scope = ProgrammeTally, ProgrammeTally.programme_id == programme_id
    else:
        return {}
    counted = select(tally.status, tally.number).where(scope, tally.number > 0)
    return {S(status).value: int(number)
            for status, number in (session or db.session).execute(counted)}


def all_rows(query: ListQuery) -> list[AttendeeRow]:
    """Every row of the filter, in its order (the exports: all pages, not just one)."""
    return _rows(query, None, 0)


# --- scopes -------------------------------------------------------------------------------


def workshop_or_none(workshop_id: int) -> Workshop | None:
    return db.session.get(Workshop, workshop_id)


def programme_workshops(programme: Programme) -> list[Workshop]:
    """The programme's workshops by date (for move targets and filters)."""
    return list(db.session.scalars(
        select(Workshop).where(Workshop.programme_id == programme.id)
        .order_by(Workshop.starts_at, Workshop.id)))


def registration_row(registration_id: int) -> AttendeeRow | None:
    """One registration as a list row (its waitlist place included); None when unknown."""
    workshop_id = db.session.scalar(
        select(Registration.workshop_id).where(Registration.id == registration_id))
    if workshop_id is None:
        return None
    row = db.session.execute(_row_statement(ListQuery(workshop_id=workshop_id))
                             .where(Registration.id == registration_id)).first()
    return AttendeeRow(*row) if row else None
