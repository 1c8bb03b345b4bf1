"""Forms of the workshop pages: create/edit, duplicate, cancel, themes.

Fields are plain strings so that whatever was typed comes back on an error;
``parsed()`` turns them into the service's input and collects German messages
per field. Local times are read in ``APP_TIMEZONE`` (Europe/Berlin): a time
that does not exist on that day (the hour skipped in spring) is refused.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.widgets import DateInput, DateTimeLocalInput, NumberInput, TimeInput

from events import formatting
from events.services.workshop_editing import WorkshopInput
from events.web.forms import ErrorsMixin

_DATE = (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
         re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"))
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(?::\d{2}(?:\.\d+)?)?$")


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["APP_TIMEZONE"])


def parse_date(value: str) -> date | None:
    """``2027-03-02`` (the browser's date field) or ``2.3.2027``; None if neither."""
    value = (value or "").strip()
    for number, pattern in enumerate(_DATE):
        match = pattern.match(value)
        if match:
            parts = [int(p) for p in match.groups()]
            year, month, day = parts if number == 0 else parts[::-1]
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def parse_time(value: str) -> time | None:
    match = _TIME.match((value or "").strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    return time(hour, minute) if hour < 24 and minute < 60 else None


def local_moment(day: date, clock: time) -> datetime | None:
    """The aware moment of a local date and time; None when the clock skips that time."""
    moment = datetime.combine(day, clock, tzinfo=zone())
    round_trip = moment.astimezone(ZoneInfo("UTC")).astimezone(zone())
    return moment if round_trip.replace(tzinfo=None) == moment.replace(tzinfo=None) else None


def parse_int(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value) else None


def parse_number(value: str, errors: dict, name: str, *, optional: bool = False) -> int | None:
    """A whole number; a German message in ``errors`` when it is not one (or too long)."""
    value = (value or "").strip()
    if not value and optional:
        return None
    if re.fullmatch(r"-[0-9]+", value):
        errors[name] = _("Bitte geben Sie keine negative Zahl an.")
        return None
    number = parse_int(value)
    if number is None:
        errors[name] = (_("Bitte geben Sie eine ganze Zahl an.") if not re.fullmatch(
            r"[0-9]+", value) else _("Diese Zahl ist zu groß."))
    return number


def _moment_from(date_text: str, time_text: str, errors: dict, key: str) -> datetime | None:
    if not (date_text or "").strip():
        errors[key] = _("Bitte geben Sie ein Datum an.")
        return None
    day = parse_date(date_text)
    if day is None:
        errors[key] = _("Bitte geben Sie ein gültiges Datum an, z. B. 02.03.2027.")
        return None
    clock = parse_time(time_text)
    if clock is None:
        errors[key.replace("_date", "_time")] = _("Bitte geben Sie eine Uhrzeit wie 10:00 an.")
        return None
    moment = local_moment(day, clock)
    if moment is None:
        errors[key.replace("_date", "_time")] = _(
            "Diese Uhrzeit gibt es an diesem Tag wegen der Zeitumstellung nicht.")
    return moment


def parse_local(value: str, errors: dict, key: str) -> datetime | None:
    """An optional ``2027-03-02T10:00`` (datetime-local) or ``02.03.2027 10:00``."""
    value = (value or "").strip()
    if not value:
        return None
    day_text, _sep, time_text = value.replace("T", " ").partition(" ")
    day, clock = parse_date(day_text), parse_time(time_text.strip())
    if day is None or clock is None:
        errors[key] = _("Bitte geben Sie Datum und Uhrzeit an, z. B. 02.03.2027 10:00.")
        return None
    moment = local_moment(day, clock)
    if moment is None:
        errors[key] = _("Diese Uhrzeit gibt es an diesem Tag wegen der Zeitumstellung nicht.")
    return moment


def local_fields(moment: datetime | None) -> tuple[str, str]:
    """``("2027-03-02", "10:00")`` in local time, for the form's date and time fields."""
    if moment is None:
        return "", ""
    local = formatting.local(moment)
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M")


class WorkshopForm(ErrorsMixin, FlaskForm):
    """Create or edit a workshop (the same fields)."""

    title = StringField(_l("Titel"))
    theme_id = SelectField(_l("Thema"), validate_choice=False)
    description = TextAreaField(_l("Beschreibung"))
    starts_at_date = StringField(_l("Datum"), widget=DateInput())
    starts_at_time = StringField(_l("Uhrzeit"), widget=TimeInput())
    ends_at_date = StringField(_l("Datum"), widget=DateInput())
    ends_at_time = StringField(_l("Uhrzeit"), widget=TimeInput())
    venue_name = StringField(_l("Veranstaltungsort"))
    venue_address = StringField(_l("Adresse"))
    online_url = StringField(_l("Zugangslink (Online-Workshop)"))
    capacity = StringField(_l("Kapazität (Plätze)"), widget=NumberInput(min=0, max=100000))
    registration_opens_at = StringField(_l("Anmeldung ab"), widget=DateTimeLocalInput())
    registration_closes_at = StringField(_l("Anmeldeschluss"), widget=DateTimeLocalInput())

    #: The service's field names → the field that shows the message.
    ALIASES = {"starts_at": "starts_at_date", "ends_at": "ends_at_time"}

    def show_errors(self, errors: dict[str, str]) -> None:
        super().show_errors({self.ALIASES.get(key, key): value for key, value in errors.items()})

    def fill(self, workshop, programme_default: tuple) -> None:
        """Show a workshop's values (the window blank where it is the programme default)."""
        self.title.data, self.description.data = workshop.title, workshop.description
        self.theme_id.data = str(workshop.theme_id)
        self.starts_at_date.data, self.starts_at_time.data = local_fields(workshop.starts_at)
        self.ends_at_date.data, self.ends_at_time.data = local_fields(workshop.ends_at)
        self.venue_name.data, self.venue_address.data = workshop.venue_name, workshop.venue_address
        self.online_url.data, self.capacity.data = workshop.online_url or "", str(workshop.capacity)
        for field, value, default in (
                (self.registration_opens_at, workshop.registration_opens_at, programme_default[0]),
                (self.registration_closes_at, workshop.registration_closes_at,
                 programme_default[1])):
            field.data = "" if value == default else "T".join(local_fields(value))

    def parsed(self) -> tuple[WorkshopInput | None, dict[str, str]]:
        """The service's input, or None with the messages of fields that cannot be read."""
        errors: dict[str, str] = {}
        starts = _moment_from(self.starts_at_date.data, self.starts_at_time.data, errors,
                              "starts_at_date")
        own_date = (self.ends_at_date.data or "").strip()
        ends = None
        if own_date or starts is not None:  # without its own date, the end needs the start's
            ends = _moment_from(own_date or self.starts_at_date.data, self.ends_at_time.data,
                                errors, "ends_at_date")
        capacity = parse_number(self.capacity.data, errors, "capacity")
        opens = parse_local(self.registration_opens_at.data, errors, "registration_opens_at")
        closes = parse_local(self.registration_closes_at.data, errors, "registration_closes_at")
        theme_id = parse_int(self.theme_id.data or "")
        if errors or starts is None or ends is None or capacity is None:
            return None, errors
        return WorkshopInput(
            title=self.title.data or "", theme_id=theme_id,
            description=self.description.data or "", starts_at=starts, ends_at=ends,
            venue_name=self.venue_name.data or "", venue_address=self.venue_address.data or "",
            online_url=self.online_url.data or "", capacity=capacity,
            registration_opens_at=opens, registration_closes_at=closes), errors


class DuplicateForm(ErrorsMixin, FlaskForm):
    """The next date of the same format: move by weeks, or give a new start date."""

    weeks = StringField(_l("Um so viele Wochen später"), widget=NumberInput(min=1, max=104),
                        default="1")
    starts_at_date = StringField(_l("Datum"), widget=DateInput())
    starts_at_time = StringField(_l("Uhrzeit"), widget=TimeInput())

    def parsed(self) -> tuple[dict, dict[str, str]]:
        """``{"weeks": n}`` or ``{"starts_at": moment}`` and the messages."""
        errors: dict[str, str] = {}
        if (self.starts_at_date.data or "").strip():
            moment = _moment_from(self.starts_at_date.data, self.starts_at_time.data, errors,
                                  "starts_at_date")
            return {"starts_at": moment}, errors
        weeks = parse_number(self.weeks.data, errors, "weeks")
        return {"weeks": weeks}, errors


class CancelForm(ErrorsMixin, FlaskForm):
    """Cancel a workshop: the reason first, then a confirmation (``confirmed`` = "1")."""

    reason = TextAreaField(_l("Grund der Absage"))
    confirmed = HiddenField()


class ThemeForm(ErrorsMixin, FlaskForm):
    name = StringField(_l("Name"))
    description = TextAreaField(_l("Beschreibung"))


class MoveForm(FlaskForm):
    """Move a theme up or down (the button says which)."""

    direction = HiddenField()
