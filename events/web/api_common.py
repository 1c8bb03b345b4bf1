"""What every JSON blueprint shares: the error body, the ``DomainError`` handler, the
reading of a JSON body and the German messages for a refused pydantic model.

Every error is ``{"error": {"code", "message", "fields"?}}``; ``fields`` maps a field
name to a German message (422 only). Blueprints import these from here, never from
each other.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, jsonify, request
from pydantic import ValidationError as SchemaError
from werkzeug.exceptions import BadRequest

from events.extensions import db
from events.services.errors import DomainError
from events.web.api_models import Error, answer

#: pydantic's error type → the German message a field shows.
SCHEMA_MESSAGES = {
    "missing": "Dieses Feld fehlt.",
    "extra_forbidden": "Dieses Feld ist unbekannt.",
    "string_type": "Erwartet wird ein Text.",
    "bool_type": "Erwartet wird true oder false.",
    "int_type": "Erwartet wird eine ganze Zahl.",
    "list_type": "Erwartet wird eine Liste.",
    "too_short": "Bitte mindestens einen Eintrag.",
    "too_long": "Zu lang.",
    "string_too_long": "Zu lang.",
}
#: For an error type missing in ``SCHEMA_MESSAGES``.
OTHER_PROBLEM = "Dieser Wert passt nicht."
NOT_AN_OBJECT = "Erwartet wird ein JSON-Objekt."


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"
    default_message = "Bitte senden Sie JSON (Content-Type: application/json)."


class InvalidJson(DomainError):
    status = 400
    code = "invalid_json"
    default_message = "Der Inhalt ist kein gültiges JSON."


def error_response(status: int, code: str, message: str, fields: dict | None = None,
                   headers: dict | None = None):
    """The JSON error answer (an ``api_models.Error``); messages (lazy ones too) become
    plain text."""
    error = {"code": code, "message": str(message)}
    if fields:
        error["fields"] = {key: str(value) for key, value in fields.items()}
    return jsonify(answer(Error, {"error": error})), status, headers or {}


def domain_error(error: DomainError):
    """A rule said no: undo the request's changes, answer with the error's status."""
    db.session.rollback()
    return error_response(error.status, error.code, error.message,
                          getattr(error, "errors", None))


def json_errors(bp: Blueprint) -> Blueprint:
    """Answer every ``DomainError`` raised in ``bp``'s views as JSON (not the HTML page)."""
    bp.register_error_handler(DomainError, domain_error)
    return bp


def json_body():
    """The request's JSON (any JSON value; the caller checks its shape).

    Raises ``UnsupportedMediaType`` (415) when the body is not declared as JSON and
    ``InvalidJson`` (400) when it does not parse.
    """
    if not request.is_json:
        raise UnsupportedMediaType()
    try:
        return request.get_json()
    except BadRequest:
        raise InvalidJson() from None


def schema_fields(error: SchemaError,
                  message: Callable[[str, str], str] | None = None) -> dict[str, str]:
    """Field name → German message for a refused pydantic model, the first problem of
    each field (``body`` for a problem of the whole). ``message(name, error_type)``
    chooses the text; by default ``SCHEMA_MESSAGES`` by error type."""
    message = message or (lambda _name, kind: SCHEMA_MESSAGES.get(kind, OTHER_PROBLEM))
    fields: dict[str, str] = {}
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else "body"
        fields.setdefault(name, message(name, problem["type"]))
    return fields
