"""Error pages for people and JSON errors for programs: no 500 page with a traceback."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from events.extensions import db
from events.services.errors import DomainError

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Ungültige Anfrage", "Die Anfrage konnte nicht verarbeitet werden."),
    404: ("Seite nicht gefunden", "Diese Seite gibt es nicht (mehr). Vielleicht finden Sie, "
          "was Sie suchen, in der Übersicht der Workshops."),
    405: ("Aktion nicht möglich", "Diese Aktion ist auf dieser Seite nicht möglich. Bitte "
          "nutzen Sie die Schaltflächen auf der Seite."),
    429: ("Zu viele Anfragen", "Sie haben in kurzer Zeit sehr viele Anfragen gesendet. Bitte "
          "warten Sie einen Moment und versuchen Sie es dann erneut."),
    500: ("Ein Fehler ist aufgetreten", "Das hat leider nicht geklappt; Ihre Angaben sind "
          "nicht verloren gegangen. Bitte versuchen Sie es in einigen Minuten erneut."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _answer(status: int, code: str, message: str | None = None):
    title, text = MESSAGES.get(status, MESSAGES[400] if status < 500 else MESSAGES[500])
    if wants_json():
        return jsonify(error={"code": code, "message": message or text}), status
    return render_template("errors/error.html", status=status, title=title,
                           text=message or text), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return _answer(400, "csrf", "Das Formular ist abgelaufen. Bitte laden Sie die Seite "
                                    "neu und senden Sie es noch einmal.")

    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        db.session.rollback()
        return _answer(error.status, error.code, error.message)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        code = {404: "not_found", 405: "method_not_allowed", 429: "rate_limited"}.get(
            error.code, "http_error")
        return _answer(error.code or 500, code)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _answer(500, "internal_error")
