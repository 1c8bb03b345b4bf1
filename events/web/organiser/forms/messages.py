"""The message form: audience, selection, subject, text (checked by services.broadcasts)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from events.web.forms import ErrorsMixin


class MessageForm(ErrorsMixin, FlaskForm):
    """Write to a workshop's participants. The fields only carry what was typed; the
    rules (audience, lengths, placeholders, recipients) live in ``services.broadcasts``,
    so WTForms' own (English) choice checks are off."""

    audience = RadioField(_l("Empfängerinnen und Empfänger"), validate_choice=False, choices=[
        SelectChoice("confirmed", _l("Alle bestätigten Teilnehmenden")),
        SelectChoice("waitlisted", _l("Alle auf der Warteliste")),
        SelectChoice("selection", _l("Nur die unten ausgewählten Personen")),
    ], default="confirmed")
    #: Registration ids (the template lists the workshop's active registrations).
    selection = SelectMultipleField(_l("Auswahl"), validate_choice=False, choices=[])
    subject = StringField(_l("Betreff"))
    body = TextAreaField(_l("Text"))
    #: Fingerprint of the previewed draft: only what was previewed can be sent.
    digest = HiddenField()
