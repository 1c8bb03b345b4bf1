"""Forms of the practice exchange's public side: submit, edit through the private link.

They only carry the fields; the checks live in ``services.contribution_input`` (one
place for form, API and moderation), whose messages ``show_errors`` puts on the
fields. Choices (themes, workshops) are filled by the view from the database.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    MultipleFileField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from events import locales
from events.models import FEDERAL_STATES
from events.services.contribution_input import Submission, body_kind_labels
from events.web.forms import ErrorsMixin


def whole_number(value) -> int:
    """Coerce a choice to int; anything else becomes 0 (the service refuses it in German)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes; unknown values are left for the service to refuse."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", whole_number)
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)

    def pre_validate(self, form):
        pass


class ContributionFields(ErrorsMixin, FlaskForm):
    """What a contribution consists of (submit, edit, moderation edit)."""

    title = StringField(_l("Titel des Praxisbeispiels"))
    municipality = StringField(_l("Kommune oder Einrichtung"))
    federal_state = SelectField(_l("Bundesland"), validate_choice=False)
    body_kind = SelectField(_l("Art der Einrichtung"), validate_choice=False)
    themes = CheckboxesField(_l("Themen"))
    summary = TextAreaField(_l("Kurzbeschreibung"))
    description = TextAreaField(_l("Beschreibung"))
    results = TextAreaField(_l("Ergebnisse und Kennzahlen"))
    partners = TextAreaField(_l("Partner"))
    links = TextAreaField(_l("Links"))
    contact_name = StringField(_l("Name der Kontaktperson"))
    contact_email = EmailField(_l("E-Mail-Adresse der Kontaktperson"))
    contact_phone = StringField(_l("Telefon der Kontaktperson"))
    contact_public = BooleanField(_l("Die Kontaktperson ist einverstanden, dass Name, E-Mail-"
                                     "Adresse und Telefonnummer öffentlich gezeigt werden."))
    workshops = CheckboxesField(_l("Vorgestellt in diesen Workshops"))

    def fill_choices(self, themes, workshops) -> None:
        self.federal_state.choices = [("", _l("– bundesweit oder ohne Angabe –"))] + [
            (state, state) for state in FEDERAL_STATES]
        self.body_kind.choices = [("", _l("Bitte wählen"))] + list(body_kind_labels().items())
        self.themes.choices = [(theme.id, theme.name) for theme in themes]
        self.workshops.choices = [(workshop.id, workshop.title) for workshop in workshops]

    def fill_from(self, submission: Submission) -> None:
        """Put a contribution's current values into the fields (GET of an edit form)."""
        for name in ("title", "municipality", "federal_state", "body_kind", "summary",
                     "description", "results", "partners", "links", "contact_name",
                     "contact_email", "contact_phone", "contact_public"):
            getattr(self, name).data = getattr(submission, name)
        self.themes.data = submission.theme_ids
        self.workshops.data = submission.workshop_ids

    def submission(self) -> Submission:
        """The submitted values as the service's ``Submission`` (the service cleans them)."""
        return Submission(
            title=self.title.data or "", municipality=self.municipality.data or "",
            federal_state=self.federal_state.data or "", body_kind=self.body_kind.data or "",
            theme_ids=list(self.themes.data or []), summary=self.summary.data or "",
            description=self.description.data or "", results=self.results.data or "",
            partners=self.partners.data or "", links=self.links.data or "",
            contact_name=self.contact_name.data or "",
            contact_email=self.contact_email.data or "",
            contact_phone=self.contact_phone.data or "",
            contact_public=bool(self.contact_public.data),
            workshop_ids=list(self.workshops.data or []),
            language=locales.current(),
            **self._submitter())

    def _submitter(self) -> dict:
        return {}


class SubmitContributionForm(ContributionFields):
    """``/praxisbeispiele/einreichen``: everything, the files and who submits."""

    attachments = MultipleFileField(_l("Anhänge"))
    submitter_name = StringField(_l("Ihr Name"))
    submitter_email = EmailField(_l("Ihre E-Mail-Adresse"))
    consent = BooleanField(_l("Ich bin einverstanden, dass meine Angaben zur Prüfung und "
                              "Veröffentlichung des Praxisbeispiels verarbeitet werden."))

    def _submitter(self) -> dict:
        return {"submitter_name": self.submitter_name.data or "",
                "submitter_email": self.submitter_email.data or "",
                "consent": bool(self.consent.data)}


class EditContributionForm(ContributionFields):
    """The submitter's edit through the private link."""


class EraseContributionForm(ErrorsMixin, FlaskForm):
    """Erase (or, when published, anonymise) one's contribution from the private link."""

    confirm = BooleanField(_l("Ja, ich habe verstanden: Das lässt sich nicht rückgängig "
                              "machen."))
