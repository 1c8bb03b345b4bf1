"""The audit log's filter form (GET: no CSRF token, it changes nothing)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.widgets import DateInput

from events.web.forms import ErrorsMixin


class AuditFilterForm(ErrorsMixin, FlaskForm):
    """Who, what, which object, when. Values are checked by ``services.audit_queries``."""

    class Meta:
        csrf = False

    actor = SelectField(_l("Wer"), validate_choice=False, choices=[])
    action = SelectField(_l("Aktion"), validate_choice=False, choices=[])
    object_type = SelectField(_l("Objektart"), validate_choice=False, choices=[])
    object_id = StringField(_l("Objekt-Nr."))
    #: Dates as typed (``JJJJ-MM-TT``, a browser's date picker sends that form).
    date_from = StringField(_l("Von (Datum)"), widget=DateInput())
    date_to = StringField(_l("Bis (Datum)"), widget=DateInput())
