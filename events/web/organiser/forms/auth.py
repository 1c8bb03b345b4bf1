"""Login, password and "forgot password" forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField

from events.web.forms import ErrorsMixin


class LoginForm(ErrorsMixin, FlaskForm):
    email = EmailField(_l("E-Mail-Adresse"))
    password = PasswordField(_l("Passwort"))
    next = HiddenField()


class PasswordForm(ErrorsMixin, FlaskForm):
    """Set a password through an invitation or reset link."""

    password = PasswordField(_l("Neues Passwort"))
    password_again = PasswordField(_l("Neues Passwort wiederholen"))


class ForgotForm(ErrorsMixin, FlaskForm):
    email = EmailField(_l("E-Mail-Adresse"))
