"""Creating and editing workshops from the back office, each change audited.

The seat-relevant parts go through ``services.workshops`` under ONE programme lock:
``save`` locks, checks every field (capacity against the seats already held
included), and only then changes time/place (updated invitations), the plain
fields and the capacity (promotion) — so a refused value leaves nothing half-saved.
The caller commits once. Errors: ``InvalidInput`` (per field, German),
``StateConflict`` (cancelled workshop), ``NotFound``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from events import formatting
from events.extensions import db
from events.models import Organiser, Programme, Theme, Workshop, WorkshopStatus, utcnow
from events.services import audit, seats, text, workshops
from events.services.errors import InvalidInput, NotFound, StateConflict

#: What the audit log keeps of a workshop, before and after.
FIELDS = ("title", "slug", "theme_id", "description", "starts_at", "ends_at", "venue_name",
          "venue_address", "online_url", "capacity", "registration_opens_at",
          "registration_closes_at", "status")
LIMITS = {"title": 200, "venue_name": 200, "venue_address": 300, "online_url": 500,
          "description": 20_000}
SLUG_LENGTH = 120


@dataclass(frozen=True)
class WorkshopInput:
    """What the form says about a workshop. A window of None means: the programme's default."""

    title: str
    theme_id: int | None
    description: str
    starts_at: datetime
    ends_at: datetime
    venue_name: str
    venue_address: str
    online_url: str
    capacity: int
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None

    def cleaned(self) -> WorkshopInput:
        return replace(self, title=text.line(self.title), description=text.text(self.description),
                       venue_name=text.line(self.venue_name),
                       venue_address=text.line(self.venue_address),
                       online_url=text.line(self.online_url))


def default_window(programme: Programme, starts_at: datetime
                   ) -> tuple[datetime | None, datetime | None]:
    """The programme's default window for a workshop starting at ``starts_at``."""
    opens = (starts_at - timedelta(days=programme.registration_opens_days)
             if programme.registration_opens_days is not None else None)
    closes = (starts_at - timedelta(hours=programme.registration_closes_hours)
              if programme.registration_closes_hours else None)
    return opens, closes


def window(programme: Programme, data: WorkshopInput) -> tuple[datetime | None, datetime | None]:
    """The window to store: the given ends, the default for the missing ones."""
    opens, closes = default_window(programme, data.starts_at)
    return (data.registration_opens_at or opens, data.registration_closes_at or closes)


def is_https_link(value: str) -> bool:
    parts = urlsplit(value)
    return (parts.scheme == "https" and bool(parts.hostname) and " " not in value
            and not parts.username and not parts.password)


def problems(data: WorkshopInput, programme: Programme, *, now: datetime,
             check_past: bool = True) -> dict[str, str]:
    """Every field's problem at once (field → German message); empty when all is well."""
    errors: dict[str, str] = {}
    if not data.title:
        errors["title"] = _("Bitte geben Sie einen Titel an.")
    for name, limit in LIMITS.items():
        if len(getattr(data, name)) > limit and name not in errors:
            errors[name] = _("Bitte höchstens %(num)d Zeichen.", num=limit)
    if (data.theme_id is None or not 0 < data.theme_id < 2**31
            or db.session.get(Theme, data.theme_id) is None):
        errors["theme_id"] = _("Bitte wählen Sie ein Thema.")
    if data.ends_at <= data.starts_at:
        errors["ends_at"] = _("Das Ende muss nach dem Beginn liegen.")
    elif data.ends_at - data.starts_at > timedelta(days=14):
        errors["ends_at"] = _("Ein Workshop dauert höchstens 14 Tage.")
    if check_past and data.starts_at <= now:
        errors["starts_at"] = _("Der Beginn liegt in der Vergangenheit.")
    if not data.venue_name and not data.online_url:
        errors["venue_name"] = _("Bitte geben Sie einen Ort oder einen Zugangslink an.")
    if data.online_url and "online_url" not in errors and not is_https_link(data.online_url):
        errors["online_url"] = _("Bitte geben Sie einen Link an, der mit https:// beginnt.")
    if data.capacity < 0:
        errors["capacity"] = _("Die Kapazität darf nicht negativ sein.")
    elif data.capacity > workshops.MAX_CAPACITY:
        errors["capacity"] = _("Die Kapazität darf höchstens %(num)d sein.",
                               num=workshops.MAX_CAPACITY)
    opens, closes = window(programme, data)
    if closes is not None and closes > data.starts_at:
        errors["registration_closes_at"] = _("Der Anmeldeschluss darf nicht nach dem Beginn "
                                             "liegen.")
    if opens is not None and opens >= (closes or data.starts_at):
        errors["registration_opens_at"] = _("Der Anmeldebeginn muss vor dem Anmeldeschluss "
                                            "und vor dem Beginn liegen.")
    return errors


def unique_slug(title: str, exclude_id: int | None = None) -> str:
    """A workshop slug from ``title`` that no other workshop has (``-2``, ``-3`` … added)."""
    base = text.slugify(title, SLUG_LENGTH - 6, fallback="workshop")
    taken = set(db.session.scalars(select(Workshop.slug).where(
        Workshop.slug.like(f"{base}%"), Workshop.id != (exclude_id or 0))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create(actor: Organiser | None, programme: Programme, data: WorkshopInput,
           now: datetime | None = None) -> Workshop:
    """A new DRAFT in ``programme``; its slug comes from the title. Raises ``InvalidInput``."""
    data = data.cleaned()
    errors = problems(data, programme, now=now or utcnow())
    if errors:
        raise InvalidInput(errors)
    opens, closes = window(programme, data)
    workshop = Workshop(  # by id: the programme relationship would add it to the session now
        programme_id=programme.id, theme_id=data.theme_id,
        title=data.title, description=data.description, starts_at=data.starts_at,
        ends_at=data.ends_at, venue_name=data.venue_name, venue_address=data.venue_address,
        online_url=data.online_url or None, capacity=data.capacity,
        registration_opens_at=opens, registration_closes_at=closes,
        status=WorkshopStatus.draft, sequence=0)
    for attempt in range(3):  # two organisers may pick the same title at the same moment
        workshop.slug = unique_slug(data.title)
        try:
            with db.session.begin_nested():
                db.session.add(workshop)
                db.session.flush()
            break
        except IntegrityError:
            if attempt == 2:
                raise
    audit.record(actor, "workshop.create", "workshop", workshop.id,
                 f"Workshop „{workshop.title}“ als Entwurf angelegt",
                 after=audit.snapshot(workshop, FIELDS))
    return workshop


def save(actor: Organiser | None, workshop_id: int, data: WorkshopInput,
         now: datetime | None = None) -> list[str]:
    """Apply the form to a workshop in one locked transaction; returns what participants
    were told (German lines, empty when nothing that concerns them changed).

    Raises ``InvalidInput`` with every field's problem (capacity below the seats held
    included) before anything is written, ``StateConflict`` for a cancelled workshop.
    """
    now = now or utcnow()
    data = data.cleaned()
    workshop, programme = workshops.lock_workshop(workshop_id)
    if workshop.is_cancelled:
        raise StateConflict(_("Ein abgesagter Workshop kann nicht mehr geändert werden."))
    before = audit.snapshot(workshop, FIELDS)
    data = replace(data, starts_at=_same_minute(workshop.starts_at, data.starts_at),
                   ends_at=_same_minute(workshop.ends_at, data.ends_at))
    errors = problems(data, programme, now=now,
                      check_past=data.starts_at != workshop.starts_at)
    held = seats.seats_taken(workshop.id)
    if "capacity" not in errors and data.capacity < held:
        errors["capacity"] = _(
            "Die Kapazität kann nicht unter die bereits vergebenen Plätze gesenkt werden: "
            "%(num)d Personen halten einen Platz (reserviert oder bestätigt). Bitte geben "
            "Sie mindestens %(num)d an.", num=held)
    if errors:
        raise InvalidInput(errors)
    told = workshops.change_details(
        workshop, programme, starts_at=data.starts_at, ends_at=data.ends_at,
        venue_name=data.venue_name, venue_address=data.venue_address,
        online_url=data.online_url, title=data.title, description=data.description)
    opens, closes = window(programme, data)
    opens = _same_minute(workshop.registration_opens_at, opens)
    closes = _same_minute(workshop.registration_closes_at, closes)
    if (workshop.theme_id, workshop.registration_opens_at, workshop.registration_closes_at) != (
            data.theme_id, opens, closes):
        workshop.theme_id = data.theme_id
        workshop.registration_opens_at, workshop.registration_closes_at = opens, closes
        programme.feed_version += 1
    workshops.change_capacity(workshop, programme, data.capacity, now)
    old, new = audit.changed(before, audit.snapshot(workshop, FIELDS))
    if new:
        audit.record(actor, "workshop.update", "workshop", workshop.id,
                     f"Workshop „{workshop.title}“ geändert: {', '.join(sorted(new))}",
                     before=old, after=new)
    return told


def _same_minute(stored: datetime | None, given: datetime | None) -> datetime | None:
    """The stored moment when the form (which shows minutes) gave the same minute back:
    saving a form unchanged must not move a workshop by its seconds."""
    if stored is None or given is None:
        return given
    return stored if stored.replace(second=0, microsecond=0) == given else given


def shifted(moment: datetime, weeks: int) -> datetime:
    """``moment`` moved by whole weeks at the same local wall-clock time (DST-safe)."""
    local = formatting.local(moment)
    return (local.replace(tzinfo=None) + timedelta(weeks=weeks)).replace(
        tzinfo=local.tzinfo).astimezone(moment.tzinfo)


def duplicate(actor: Organiser | None, workshop_id: int, *, weeks: int | None = None,
              starts_at: datetime | None = None, now: datetime | None = None) -> Workshop:
    """A new draft for the next date of the same format: title, theme, description,
    place, link and capacity copied; dates moved by ``weeks`` or to ``starts_at``
    (same duration; the window moves along). Raises ``InvalidInput``, ``NotFound``."""
    source = db.session.get(Workshop, workshop_id)
    if source is None:
        raise NotFound()
    if starts_at is None:
        if weeks is None or not 1 <= weeks <= 104:
            raise InvalidInput({"weeks": _("Bitte geben Sie eine Zahl von 1 bis 104 an.")})
        new_start = shifted(source.starts_at, weeks)
    else:
        new_start = starts_at
    offset = new_start - source.starts_at

    def moved(value: datetime | None) -> datetime | None:
        return value + offset if value is not None else None

    data = WorkshopInput(
        title=source.title, theme_id=source.theme_id, description=source.description,
        starts_at=new_start, ends_at=source.ends_at + offset, venue_name=source.venue_name,
        venue_address=source.venue_address, online_url=source.online_url or "",
        capacity=source.capacity, registration_opens_at=moved(source.registration_opens_at),
        registration_closes_at=moved(source.registration_closes_at))
    try:
        copy = create(actor, source.programme, data, now)
    except InvalidInput as error:  # only the dates can be wrong here: name the date fields
        field = "starts_at" if starts_at is not None else "weeks"
        raise InvalidInput({field: " ".join(map(str, error.errors.values()))}) from error
    audit.record(actor, "workshop.duplicate", "workshop", copy.id,
                 f"Kopie von Workshop #{source.id} „{source.title}“",
                 before={"source_id": source.id}, after={"starts_at": copy.starts_at})
    return copy
