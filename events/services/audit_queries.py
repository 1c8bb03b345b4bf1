"""Reading the audit log: filters, pages of 50, and each entry's changes as rows.

Read only: nothing here (nor anywhere in the back office) edits or deletes an entry.
Filter values come from a query string and are checked here: what cannot be a
filter is reported per field in German and left out, never an error page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from events import formatting
from events.extensions import db
from events.models import AuditEntry, Organiser
from events.services import audit_labels

PER_PAGE = 50
MAX_ID = 2**31 - 1
#: ``actor`` filter value for entries made by the command line or the system.
SYSTEM = "system"
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class Filters:
    """Checked filter values; None/empty means: not filtered."""

    actor_id: int | None = None
    system: bool = False
    action: str = ""
    object_type: str = ""
    object_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class Change:
    key: str
    before: str
    after: str
    #: the key as stored (shown in small print next to its German name)
    code: str = ""


@dataclass(frozen=True)
class Page:
    entries: list[AuditEntry]
    total: int
    page: int
    pages: int
    changes: dict[int, list[Change]] = field(default_factory=dict)


def _text(value: str | None, limit: int) -> str:
    """Trimmed, cut to ``limit``, without control characters (PostgreSQL refuses NUL)."""
    return "".join(c for c in (value or "") if c >= " ").strip()[:limit]


def _id(value: str) -> int | None:
    value = value.strip()
    if value.isascii() and value.isdigit() and len(value) <= 10 and 0 < int(value) <= MAX_ID:
        return int(value)
    return None


def _day(value: str) -> date | None:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2200 else None


def parse(args: dict[str, str]) -> tuple[Filters, dict[str, str]]:
    """Filters from query-string values and the German message for each refused one."""
    errors: dict[str, str] = {}
    actor = _text(args.get("actor"), 20)
    actor_id, system = None, False
    if actor == SYSTEM:
        system = True
    elif actor:
        actor_id = _id(actor)
        if actor_id is None:
            errors["actor"] = _("Diese Person gibt es nicht.")
    action = _text(args.get("action"), 60)
    object_type = _text(args.get("object_type"), 40)
    object_id = None
    if (args.get("object_id") or "").strip():
        object_id = _id(args["object_id"])
        if object_id is None:
            errors["object_id"] = _("Bitte eine Nummer (ganze Zahl ab 1) angeben.")
    days = {}
    for name in ("date_from", "date_to"):
        raw = (args.get(name) or "").strip()
        days[name] = _day(raw) if raw else None
        if raw and days[name] is None:
            errors[name] = _("Bitte ein Datum im Format JJJJ-MM-TT angeben.")
    if days["date_from"] and days["date_to"] and days["date_to"] < days["date_from"]:
        errors["date_to"] = _("Das Ende des Zeitraums liegt vor seinem Anfang.")
        days["date_to"] = None
    return Filters(actor_id, system, action, object_type, object_id, days["date_from"],
                   days["date_to"]), errors


def _start_of(day: date) -> datetime:
    """Midnight of ``day`` in the programme's time zone, as an aware datetime."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(current_app.config["APP_TIMEZONE"]))


def _query(filters: Filters):
    query = select(AuditEntry)
    if filters.system:
        query = query.where(AuditEntry.actor_id.is_(None))
    elif filters.actor_id is not None:
        query = query.where(AuditEntry.actor_id == filters.actor_id)
    if filters.action:
        query = query.where(AuditEntry.action.startswith(filters.action, autoescape=True))
    if filters.object_type:
        query = query.where(AuditEntry.object_type == filters.object_type)
    if filters.object_id is not None:
        query = query.where(AuditEntry.object_id == filters.object_id)
    if filters.date_from:
        query = query.where(AuditEntry.at >= _start_of(filters.date_from))
    if filters.date_to:
        query = query.where(AuditEntry.at < _start_of(filters.date_to + timedelta(days=1)))
    return query


def search(filters: Filters, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """One page of matching entries, newest first (two queries)."""
    query = _query(filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    entries = list(db.session.scalars(
        query.options(joinedload(AuditEntry.actor))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * per_page).limit(per_page)))
    return Page(entries, total, page, pages, {e.id: changes(e) for e in entries})


def choices() -> tuple[list[Organiser], list[str], list[str]]:
    """What the filter form offers: accounts, object types and action codes in the log."""
    organisers = list(db.session.scalars(select(Organiser).order_by(Organiser.name)))
    types = list(db.session.scalars(
        select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)))
    actions = list(db.session.scalars(
        select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
    return organisers, types, actions


# --- before/after as readable rows ------------------------------------------------------

#: German names of the keys services record most often.
KEY_LABELS = {
    "title": _l("Titel"), "capacity": _l("Kapazität"), "status": _l("Status"),
    "starts_at": _l("Beginn"), "ends_at": _l("Ende"), "venue_name": _l("Ort"),
    "venue_address": _l("Adresse"), "online_url": _l("Online-Link"),
    "description": _l("Beschreibung"), "theme_id": _l("Thema (Nr.)"),
    "registration_opens_at": _l("Anmeldung ab"), "registration_closes_at": _l("Anmeldung bis"),
    "cancel_reason": _l("Absagegrund"), "name": _l("Name"), "email": _l("E-Mail-Adresse"),
    "role": _l("Rolle"), "active": _l("Aktiv"), "municipality": _l("Kommune"),
    "reason": _l("Grund"), "workshop_id": _l("Workshop (Nr.)"), "subject": _l("Betreff"),
    "audience": _l("An"), "recipients": _l("Empfänger"), "contact_name": _l("Kontakt"),
    "contact_email": _l("Kontakt-E-Mail"),
    "registration_opens_days": _l("Anmeldung öffnet (Tage vorher)"),
    "registration_closes_hours": _l("Anmeldung schließt (Stunden vorher)"),
    "attended_at": _l("Anwesend seit"), "slug": _l("Adresse (Slug)"),
    "position": _l("Reihenfolge"),
    "code": _l("Prüfcode"), "registration_id": _l("Anmeldung (Nr.)"),
    "broadcast_id": _l("Nachricht (Nr.)"), "again": _l("Erneut gesendet"),
    "format": _l("Dateiformat"), "rows": _l("Zeilen"), "health_data": _l("Mit Gesundheitsdaten"),
    "filter": _l("Auswahl"), "revision": _l("Änderung (Nr.)"),
    "revision_state": _l("Stand der Änderung"), "order": _l("Reihenfolge"),
    "certificate_revoked": _l("Bescheinigung widerrufen (Prüfcode)"),
    "requested_at": _l("Angemeldet am"), "confirmed_at": _l("Bestätigt am"),
    "cancelled_at": _l("Storniert am"), "expires_at": _l("Reserviert bis"),
    "source": _l("Herkunft"), "exceeded_capacity": _l("Über der Kapazität"),
    "new_registration_id": _l("Neue Anmeldung (Nr.)"), "new_status": _l("Neuer Status"),
    "new_workshop_id": _l("Neuer Workshop (Nr.)"), "promoted": _l("Nachgerückt (Nr.)"),
    "state": _l("Status"), "federal_state": _l("Bundesland"),
    "body_kind": _l("Art der Einrichtung"),
    "summary": _l("Kurzbeschreibung"), "results": _l("Ergebnisse"), "partners": _l("Partner"),
    "links": _l("Links"), "contact_phone": _l("Kontakt-Telefon"),
    "contact_public": _l("Kontakt öffentlich"), "featured": _l("Auf der Startseite"),
    "moderation_comment": _l("Kommentar der Moderation"), "published_at": _l("Veröffentlicht am"),
    "themes": _l("Themen"), "workshops": _l("Workshops"),
    "account_key": _l("Konto-Schlüssel (Hash der eingegebenen Adresse)"),
    "address_key": _l("Client-Adresse"),
    "require_second_factor": _l("Zweiter Faktor vorgeschrieben"),
}


def show(value) -> str:
    """A value as a person reads it: dates in Berlin time, yes/no, "—" for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("ja") if value else _("nein")
    if isinstance(value, str) and _ISO_MOMENT.match(value):
        try:
            return formatting.format_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def changes(entry: AuditEntry) -> list[Change]:
    """Every key of before/after (in the order recorded), with both sides shown; known
    values by their German name with the stored value in brackets."""
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    keys = list(dict.fromkeys([*before, *after]))

    def side(values: dict, key: str) -> str:
        if key not in values:
            return ""
        name = audit_labels.value_label(entry.object_type, key, values[key])
        return f"{name} ({values[key]})" if name else show(values[key])

    return [Change(str(KEY_LABELS.get(key, key)), side(before, key), side(after, key), key)
            for key in keys]
