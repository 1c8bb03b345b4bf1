"""Forms of the attendee lists: one per seat action. The rules live in ``services.seat_admin``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField

from events.services.applicants import Applicant
from events.web.forms import ErrorsMixin


class AddParticipantForm(ErrorsMixin, FlaskForm):
    """Add a person by hand: no double opt-in, so a reason is required (and logged)."""

    name = StringField(_l("Vor- und Nachname"))
    email = EmailField(_l("E-Mail-Adresse"))
    municipality = StringField(_l("Kommune oder Landkreis"))
    role = StringField(_l("Fachbereich oder Funktion"))
    reason = TextAreaField(_l("Begründung"))

    def applicant(self) -> Applicant:
        return Applicant(name=self.name.data or "", email=self.email.data or "",
                         municipality=self.municipality.data or "", role=self.role.data or "",
                         consent=True)


class CancelForm(ErrorsMixin, FlaskForm):
    reason = TextAreaField(_l("Begründung"))


class SeatForm(ErrorsMixin, FlaskForm):
    """From the waiting list onto a seat; admins may exceed the workshop's capacity."""

    reason = TextAreaField(_l("Begründung"))
    exceed = BooleanField(_l("Kapazität des Workshops überschreiten, falls er voll ist"))


class MoveForm(ErrorsMixin, FlaskForm):
    target = SelectField(_l("Neuer Workshop"), coerce=int, validate_choice=False)
    reason = TextAreaField(_l("Begründung"))

    def process_target(self, choices: list[tuple[int, str]]) -> None:
        self.target.choices = [(0, str(_l("Bitte wählen")))] + choices


class DataRequestForm(ErrorsMixin, FlaskForm):
    """A person's request for their data or its erasure (Art. 15, 17, 20 DSGVO): one form,
    two buttons; the reason is required and logged, the erasure needs the tick too."""

    reason = TextAreaField(_l("Anlass der Anfrage"))
    confirm = BooleanField(_l("Alle Angaben dieser Person endgültig löschen (alle "
                              "Anmeldungen, in allen Programmen)"))
