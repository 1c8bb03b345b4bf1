"""Read model of registrations for the organiser API: one workshop, or the programme.

Plain reads, no locks: what the caller gets is a snapshot. The waiting-list
position is part of the row query, so a page of 200 rows costs one query, not
201. Accessibility needs are health data (Art. 9 DSGVO): rows carry them only
when the caller asks with ``accessibility=True``.

The back office's lists use ``attendee_lists`` (lenient parameters, fixed page
size, sorting); the API needs strict parameters (422 naming each bad one), its
own page size and no health data unless asked, hence this small module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from events.extensions import db
from events.models import (
    Participant,
    Programme,
    Registration,
    RegistrationStatus,
    Workshop,
)
from events.services import text
from events.services.attendee_lists import STATUS_ORDER, status_counts
from events.services.errors import InvalidInput, NotFound
from events.services.seats import waitlist_place

S = RegistrationStatus
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50
MAX_PAGE = 1_000_000
MAX_QUERY = 200
#: Largest id a database integer column can hold; beyond it nothing can exist.
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Row:
    """One registration as organisers see it."""

    id: int
    workshop_id: int
    workshop_title: str
    name: str
    email: str
    municipality: str
    role: str
    status: RegistrationStatus
    registered_at: datetime
    confirmed_at: datetime | None
    waitlist_position: int | None
    attended_at: datetime | None
    remarks: str
    source: str
    #: None unless asked for (and None when the person gave none).
    accessibility_needs: str | None = None


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _query(accessibility: bool):
    columns = [Registration.id, Registration.workshop_id, Workshop.title, Participant.name,
               Participant.email, Participant.municipality, Participant.role,
               Registration.status, Registration.requested_at, Registration.confirmed_at,
               waitlist_place(), Registration.attended_at, Registration.remarks,
               Registration.source]
    if accessibility:
        columns.append(Registration.accessibility_needs)
    return (select(*columns)
            .join(Participant, Participant.id == Registration.participant_id)
            .join(Workshop, Workshop.id == Registration.workshop_id))


def _rows(result) -> list[Row]:
    return [Row(*row) for row in result]


def workshop(workshop_id: int, *, accessibility: bool = False,
             session: Session | None = None) -> tuple[Workshop, list[Row]]:
    """Every registration of one workshop (drafts included): seats first (pending, then
    confirmed, as the attendee list sorts), the waiting list in order, the ended ones.
    Raises ``NotFound`` for an unknown id."""
    session = session or db.session
    found = session.get(Workshop, workshop_id) if 0 < workshop_id <= MAX_ID else None
    if found is None:
        raise NotFound(_l("Diesen Workshop gibt es nicht."))
    rows = _rows(session.execute(_query(accessibility)
                                 .where(Registration.workshop_id == workshop_id)
                                 .order_by(Registration.requested_at, Registration.id)))
    rows.sort(key=lambda row: (STATUS_ORDER[row.status], row.waitlist_position or 0))
    return found, rows


def parse_filters(status: str | None, q: str | None, page: str | None,
                  per_page: str | None) -> tuple[RegistrationStatus | None, str, int, int]:
    """Query-string values checked; raises ``InvalidInput`` naming each bad one."""
    errors: dict[str, str] = {}
    parsed_status = None
    if status:
        try:
            parsed_status = RegistrationStatus(status)
        except ValueError:
            errors["status"] = str(_l("Unbekannter Status. Erlaubt: %(values)s.",
                                      values=", ".join(s.value for s in RegistrationStatus)))
    q = text.line(q)  # control characters dropped, as the attendee lists do (NUL: PostgreSQL)
    if len(q) > MAX_QUERY:
        errors["q"] = str(_l("Bitte höchstens %(n)d Zeichen.", n=MAX_QUERY))
    numbers = {}
    for name, raw, default, top in (("page", page, 1, MAX_PAGE),
                                    ("per_page", per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE)):
        if raw is None or raw == "":
            numbers[name] = default
        elif not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or not 1 <= int(raw) <= top:
            errors[name] = str(_l("Bitte eine ganze Zahl von 1 bis %(top)d.", top=top))
        else:
            numbers[name] = int(raw)
    if errors:
        raise InvalidInput(errors)
    return parsed_status, q, numbers["page"], numbers["per_page"]


def _folded(column, sqlite: bool):
    """``lower(column)``; on SQLite, whose lower() knows only ASCII, the German capital
    umlauts are lowered first, so "öztürk" finds "Öztürk" there too."""
    if sqlite:
        for upper, lower in (("Ä", "ä"), ("Ö", "ö"), ("Ü", "ü"), ("ẞ", "ß")):
            column = func.replace(column, upper, lower)
    return func.lower(column)


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def programme(programme_: Programme | None, *, status: RegistrationStatus | None = None,
              q: str = "", page: int = 1, per_page: int = DEFAULT_PER_PAGE,
              accessibility: bool = False, session: Session | None = None) -> Page:
    """Registrations across the programme's workshops, filtered and paginated.

    ``q`` finds a part of the name, e-mail address or municipality (case does not
    matter). Order: workshop start, then the time of the request. Without a
    programme the page is empty.
    """
    session = session or db.session
    if programme_ is None:
        return Page([], page, per_page, 0)
    conditions = [Workshop.programme_id == programme_.id]
    if status is not None:
        conditions.append(Registration.status == status)
    if q:
        pattern = _like(q.lower())
        sqlite = session.get_bind().dialect.name == "sqlite"
        conditions.append(or_(*(_folded(column, sqlite).like(pattern, escape="\\")
                                for column in (Participant.name, Participant.email,
                                               Participant.municipality))))
    where = and_(*conditions)
    narrow = select(Registration.id).join(Workshop, Workshop.id == Registration.workshop_id)
    if q:  # the person's columns only for the search: a lookup per registration otherwise
        narrow = narrow.join(Participant, Participant.id == Registration.participant_id)
    narrow = narrow.where(where)
    if q:
        total = session.scalar(narrow.with_only_columns(func.count(Registration.id))) or 0
    else:  # without a search: the tally the database keeps (a few rows per workshop)
        counts = status_counts(None, programme_.id, session=session)
        total = counts.get(status.value, 0) if status is not None else sum(counts.values())
    order = (Workshop.starts_at, Workshop.id, Registration.requested_at, Registration.id)
    # the page's ids first, then the full rows of those only: ordered with every column,
    # the waiting-list place (a correlated count) was computed for every registration of
    # the programme before the page was cut (SQLite: 0.8 s at 200,000)
    page_ids = narrow.order_by(*order).limit(per_page).offset((page - 1) * per_page)
    rows = _rows(session.execute(
        _query(accessibility).where(Registration.id.in_(page_ids.scalar_subquery()))
        .order_by(*order)))
    return Page(rows, page, per_page, total)
