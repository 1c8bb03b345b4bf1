"""The programme's settings (admin): name, total cap, default registration window, contact.

``save`` locks the programme row first (the cap is a seat rule): raising the cap
promotes from the waiting list at once; lowering it below the people already
holding a seat is refused. Every field is checked before anything is written;
the caller commits. Errors: ``InvalidInput`` per field (German).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _

from events.extensions import db
from events.models import Organiser, Programme, utcnow
from events.services import audit, seats, text, workshops
from events.services.errors import InvalidInput
from events.services.locking import begin_serialised, lock_programme

FIELDS = ("name", "capacity", "registration_opens_days", "registration_closes_hours",
          "contact_name", "contact_email")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class SettingsInput:
    name: str
    capacity: int
    registration_opens_days: int | None
    registration_closes_hours: int
    contact_name: str
    contact_email: str


def problems(data: SettingsInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.name:
        errors["name"] = _("Bitte geben Sie einen Namen an.")
    elif len(data.name) > 200:
        errors["name"] = _("Bitte höchstens %(num)d Zeichen.", num=200)
    if not 0 <= data.capacity <= workshops.MAX_CAPACITY:
        errors["capacity"] = _("Bitte eine Zahl von 0 bis %(num)d.", num=workshops.MAX_CAPACITY)
    if data.registration_opens_days is not None and not 0 <= data.registration_opens_days <= 730:
        errors["registration_opens_days"] = _("Bitte eine Zahl von 0 bis %(num)d.", num=730)
    if not 0 <= data.registration_closes_hours <= 8760:
        errors["registration_closes_hours"] = _("Bitte eine Zahl von 0 bis %(num)d.", num=8760)
    if len(data.contact_name) > 200:
        errors["contact_name"] = _("Bitte höchstens %(num)d Zeichen.", num=200)
    if data.contact_email and (len(data.contact_email) > 254
                               or not EMAIL.match(data.contact_email)):
        errors["contact_email"] = _("Bitte geben Sie eine E-Mail-Adresse wie "
                                    "name@beispiel.de an.")
    return errors


def _cleaned(data: SettingsInput) -> SettingsInput:
    return SettingsInput(text.line(data.name), data.capacity, data.registration_opens_days,
                         data.registration_closes_hours, text.line(data.contact_name),
                         text.line(data.contact_email).lower())


def save(actor: Organiser | None, programme_id: int | None, data: SettingsInput,
         now: datetime | None = None) -> Programme:
    """Change the programme's settings (or create the first programme when there is none).

    Raises ``InvalidInput`` (every field's problem at once, the cap below the current
    seat holders included) before anything is written.
    """
    data = _cleaned(data)
    errors = problems(data)
    if programme_id is None:
        if errors:
            raise InvalidInput(errors)
        programme = Programme(slug=text.slugify(data.name, 80, "programm"), **{
            name: getattr(data, name) for name in FIELDS})
        db.session.add(programme)
        db.session.flush()
        audit.record(actor, "programme.create", "programme", programme.id,
                     f"Programm „{programme.name}“ angelegt",
                     after=audit.snapshot(programme, FIELDS))
        return programme
    begin_serialised()
    programme = lock_programme(programme_id)
    held = len(seats.seat_holders(programme.id)) + programme.deleted_participants
    if "capacity" not in errors and data.capacity < held:
        errors["capacity"] = _(
            "Die Obergrenze kann nicht unter die Zahl der Personen gesenkt werden, die "
            "bereits einen Platz halten: %(num)d. Bitte geben Sie mindestens %(num)d an.",
            num=held)
    if errors:
        raise InvalidInput(errors)
    before = audit.snapshot(programme, FIELDS)
    for name in FIELDS:
        if name != "capacity":
            setattr(programme, name, getattr(data, name))
    workshops.change_programme_capacity(programme, data.capacity, now or utcnow())
    old, new = audit.changed(before, audit.snapshot(programme, FIELDS))
    if new:
        audit.record(actor, "programme.update", "programme", programme.id,
                     f"Programmeinstellungen geändert: {', '.join(sorted(new))}",
                     before=old, after=new)
    return programme


def defaults() -> SettingsInput:
    """What a new programme starts with (the cap from ``PROGRAMME_CAPACITY``)."""
    config = current_app.config
    return SettingsInput("", int(config.get("PROGRAMME_CAPACITY", 150)), None, 0,
                         config.get("CONTACT_NAME") or "", config.get("CONTACT_EMAIL") or "")
