"""The programme settings form (admin)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.widgets import NumberInput

from events.services.programme_settings import SettingsInput
from events.web.forms import ErrorsMixin
from events.web.organiser.forms.workshops import parse_number


class ProgrammeForm(ErrorsMixin, FlaskForm):
    name = StringField(_l("Name des Programms"))
    capacity = StringField(_l("Obergrenze (verschiedene Personen)"),
                           widget=NumberInput(min=0, max=100000))
    registration_opens_days = StringField(_l("Anmeldung öffnet (Tage vor Beginn)"),
                                          widget=NumberInput(min=0, max=730))
    registration_closes_hours = StringField(_l("Anmeldung schließt (Stunden vor Beginn)"),
                                            widget=NumberInput(min=0, max=8760))
    contact_name = StringField(_l("Kontakt: Name"))
    contact_email = EmailField(_l("Kontakt: E-Mail-Adresse"))

    def fill(self, values) -> None:
        """Show a programme's (or the defaults') values."""
        self.name.data = values.name
        self.capacity.data = str(values.capacity)
        days = values.registration_opens_days
        self.registration_opens_days.data = "" if days is None else str(days)
        self.registration_closes_hours.data = str(values.registration_closes_hours or 0)
        self.contact_name.data, self.contact_email.data = values.contact_name, values.contact_email

    def parsed(self) -> tuple[SettingsInput | None, dict[str, str]]:
        errors: dict[str, str] = {}
        capacity = parse_number(self.capacity.data, errors, "capacity")
        opens = parse_number(self.registration_opens_days.data, errors,
                             "registration_opens_days", optional=True)
        closes = parse_number(self.registration_closes_hours.data, errors,
                              "registration_closes_hours", optional=True)
        if errors or capacity is None:
            return None, errors
        return SettingsInput(self.name.data or "", capacity, opens, closes or 0,
                             self.contact_name.data or "", self.contact_email.data or ""), errors
