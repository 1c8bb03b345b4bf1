"""Forms of the second factor: a code, switching off, the admin's requirement."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField

from events.web.forms import ErrorsMixin


class CodeForm(ErrorsMixin, FlaskForm):
    """One code: from the app (six digits) or, at the login, a recovery code."""

    code = StringField(_l("Code"))


class DisableForm(ErrorsMixin, FlaskForm):
    password = PasswordField(_l("Ihr Passwort"))
    code = StringField(_l("Aktueller Code aus der App oder Wiederherstellungscode"))


class PolicyForm(ErrorsMixin, FlaskForm):
    required = BooleanField(_l("Zweiter Faktor für alle Konten vorgeschrieben"))
