"""Forms of the accounts and API-token pages (one per use case).

The rules (address in use, last admin, name length) live in
``services.accounts`` and ``services.api_tokens``; the views put their messages
onto these fields with ``show_errors``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField

from events.models import Role
from events.web.forms import ErrorsMixin


def role_choices() -> list[tuple[str, str]]:
    return [(Role.organiser.value, str(_l("Organisation (Workshops, Teilnehmende, "
                                           "Nachrichten)"))),
            (Role.admin.value, str(_l("Admin (alles, auch Konten und Programm)")))]


class InviteForm(ErrorsMixin, FlaskForm):
    """Invite a person: an account without password and a mail with a link."""

    name = StringField(_l("Name"))
    email = EmailField(_l("E-Mail-Adresse"))
    role = SelectField(_l("Rolle"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class RoleForm(ErrorsMixin, FlaskForm):
    role = SelectField(_l("Rolle"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class TokenForm(ErrorsMixin, FlaskForm):
    """A new API token; only its name is asked."""

    name = StringField(_l("Name des Tokens"))
