"""One FlaskForm per use case.

The forms only carry the fields and the CSRF token: the checks live in one place,
``events.services.applicants.validate``, which the JSON API uses too. The views
hand its ``InvalidInput.errors`` back to the fields with ``show_errors``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField

from events import locales
from events.services.applicants import Applicant


class ActionForm(FlaskForm):
    """An empty form for POST-only buttons (confirm, cancel): it carries the CSRF token."""


class ErrorsMixin:
    """``show_errors`` and ``has_errors`` for every form: the service's per-field messages
    go onto the fields, the rest into ``other_errors`` (shown in the error summary)."""

    #: Messages for keys the form has no field for (shown in the error summary).
    other_errors: list[str]

    def show_errors(self, errors: dict[str, str]) -> None:
        self.other_errors = []
        for key, message in errors.items():
            field = self._fields.get(key)
            if field is None or key == "csrf_token":
                self.other_errors.append(str(message))
            else:
                field.errors = [str(message)]

    def field_errors(self) -> dict[str, str]:
        """WTForms' own validation errors as field → one message."""
        return {name: "; ".join(map(str, field.errors)) for name, field
                in self._fields.items() if field.errors}

    @property
    def has_errors(self) -> bool:
        return bool(getattr(self, "other_errors", None)) or any(
            field.errors for field in self if field.name != "csrf_token")


class ApplicantFields(ErrorsMixin, FlaskForm):
    """The person's details, shared by the registration and the new-link form."""

    name = StringField(_l("Vor- und Nachname"))
    email = EmailField(_l("E-Mail-Adresse"))
    municipality = StringField(_l("Kommune oder Landkreis"))
    role = StringField(_l("Fachbereich oder Funktion"))
    consent = BooleanField(_l("Ich bin mit der Verarbeitung meiner Angaben für die "
                              "Organisation des Workshops einverstanden."))

    def applicant(self) -> Applicant:
        """The submitted values as the service's ``Applicant`` (the service cleans them)."""
        return Applicant(
            name=self.name.data or "",
            email=self.email.data or "",
            municipality=self.municipality.data or "",
            role=self.role.data or "",
            consent=bool(self.consent.data),
            remarks=self._text("remarks"),
            accessibility_needs=self._text("accessibility_needs"),
            accessibility_consent=bool(getattr(self, "accessibility_consent", None)
                                       and self.accessibility_consent.data),
            language=locales.current(),  # the page's: the person's mails follow it
        )

    def _text(self, name: str) -> str:
        field = getattr(self, name, None)
        return (field.data or "") if field is not None else ""


class RegistrationForm(ApplicantFields):
    """Register for one workshop (``/workshops/<slug>``)."""

    remarks = TextAreaField(_l("Anmerkungen"))
    accessibility_needs = TextAreaField(_l("Ihr Unterstützungsbedarf"))
    accessibility_consent = BooleanField(_l(
        "Ich willige ausdrücklich ein, dass meine Angaben zum Unterstützungsbedarf "
        "(Gesundheitsdaten, Art. 9 DSGVO) zur Organisation meiner Teilnahme verarbeitet "
        "werden. Die Einwilligung kann ich jederzeit widerrufen."))


class LinkRequestForm(ApplicantFields):
    """Ask for the personal link again: registering again with the same e-mail address
    creates nothing new and mails the link (the service's rule)."""

    workshop = SelectField(_l("Workshop"), coerce=int, validate_choice=False)


class EraseDataForm(ErrorsMixin, FlaskForm):
    """Erase one's own data (personal link): a ticked confirmation and the CSRF token."""

    confirm = BooleanField(_l("Ja, ich möchte alle meine Angaben endgültig löschen. Meine "
                              "Anmeldungen werden dabei storniert."))

    def confirmed(self) -> bool:
        """True when ticked; otherwise the message goes onto the checkbox."""
        if self.confirm.data:
            return True
        self.show_errors({"confirm": _l("Bitte bestätigen Sie, dass Ihre Angaben gelöscht "
                                        "werden sollen.")})
        return False
