"""Errors that carry the message a user should read (German).

Views flash ``str(error)``; the API answers ``error.code`` with ``error.status``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A rule said no. ``code`` is stable for programs, ``str()`` is for people."""

    status = 400
    code = "domain_error"

    def __init__(self, message=None, **details):
        self.message = str(message) if message is not None else str(self.default_message)
        self.details = details
        super().__init__(self.message)

    default_message = _l("Die Aktion ist nicht möglich.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _l("Diese Veranstaltung gibt es nicht (mehr).")


class InvalidInput(DomainError):
    """Per-field messages in ``errors`` (field name → message)."""

    status = 422
    code = "invalid_input"
    default_message = _l("Bitte prüfen Sie Ihre Angaben.")

    def __init__(self, errors: dict[str, str], message=None):
        self.errors = errors
        super().__init__(message)


class RegistrationClosed(DomainError):
    status = 409
    code = "registration_closed"
    default_message = _l("Für diesen Workshop ist keine Anmeldung möglich.")


class StateConflict(DomainError):
    """The registration is not in a state that allows the action."""

    status = 409
    code = "state_conflict"


class ConfirmationExpired(StateConflict):
    code = "confirmation_expired"
    default_message = _l(
        "Die Frist zur Bestätigung ist abgelaufen; der Platz wurde freigegeben. "
        "Sie können sich erneut anmelden."
    )


class InvalidLink(DomainError):
    status = 404
    code = "invalid_link"
    default_message = _l(
        "Dieser Link ist ungültig oder wurde durch einen neueren ersetzt. "
        "Fordern Sie einen neuen Link an, indem Sie sich mit derselben E-Mail-Adresse "
        "erneut anmelden."
    )
