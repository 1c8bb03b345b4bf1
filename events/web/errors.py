"""Error pages for people and JSON errors for programs: no 500 page with a traceback.

Paths under ``/api/`` (and clients that ask for JSON) get ``{"error": {...}}``;
everyone else a page in the site's look that says what to do next.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadHost, HTTPException

from events.database import database_unavailable
from events.extensions import db
from events.services.errors import DomainError
from events.web.common import security_headers

log = logging.getLogger(__name__)

#: status → (title, what happened, what to do next)
MESSAGES = {
    400: (_l("Ungültige Anfrage"),
          _l("Die Anfrage konnte nicht verarbeitet werden."),
          _l("Bitte gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es noch "
             "einmal.")),
    401: (_l("Anmeldung erforderlich"),
          _l("Für diese Seite müssen Sie im Verwaltungsbereich angemeldet sein."),
          _l("Bitte melden Sie sich an und versuchen Sie es erneut.")),
    403: (_l("Keine Berechtigung"),
          _l("Ihr Konto darf diese Seite nicht öffnen oder diese Aktion nicht ausführen."),
          _l("Wenn Sie den Zugang brauchen, wenden Sie sich an eine Administratorin oder "
             "einen Administrator.")),
    404: (_l("Seite nicht gefunden"),
          _l("Diese Seite gibt es nicht (mehr). Vielleicht ist die Adresse unvollständig "
             "oder der Workshop wurde entfernt."),
          _l("In der Übersicht finden Sie alle Workshops der Reihe.")),
    405: (_l("Aktion nicht möglich"),
          _l("Diese Aktion ist auf dieser Seite nicht möglich."),
          _l("Bitte nutzen Sie die Schaltflächen auf der Seite selbst, statt die Adresse "
             "direkt aufzurufen.")),
    409: (_l("Aktion nicht möglich"),
          _l("Die Aktion passt nicht zum aktuellen Stand."),
          _l("Bitte laden Sie die Seite neu; sie zeigt den aktuellen Stand.")),
    413: (_l("Anfrage zu groß"),
          _l("Die gesendeten Angaben sind zu groß."),
          _l("Bitte kürzen Sie lange Texte, z. B. Bemerkungen, und senden Sie erneut.")),
    422: (_l("Bitte prüfen Sie Ihre Angaben"),
          _l("Die Angaben sind unvollständig oder ungültig."),
          _l("Bitte gehen Sie zurück und korrigieren Sie Ihre Angaben.")),
    429: (_l("Zu viele Anfragen"),
          _l("Sie haben in kurzer Zeit sehr viele Anfragen gesendet."),
          _l("Bitte warten Sie einen Moment und versuchen Sie es dann erneut. Ihre bisherigen "
             "Anmeldungen bleiben bestehen.")),
    503: (_l("Vorübergehend nicht erreichbar"),
          _l("Der Dienst ist gerade für einen Moment nicht erreichbar, zum Beispiel wegen "
             "Wartungsarbeiten. Ihre letzte Eingabe wurde nicht gespeichert."),
          _l("Bitte versuchen Sie es in einer Minute noch einmal.")),
    500: (_l("Ein Fehler ist aufgetreten"),
          _l("Das hat leider nicht geklappt. Der Fehler liegt bei uns, nicht bei Ihnen."),
          _l("Bitte versuchen Sie es in einigen Minuten erneut. Wenn der Fehler bleibt, "
             "schreiben Sie uns.")),
}
CSRF_MESSAGE = _l("Das Formular ist abgelaufen oder unvollständig übertragen worden. Bitte "
                  "laden Sie die Seite neu und senden Sie es noch einmal.")

#: Headers of the original answer that must survive (405 Allow, 429 Retry-After).
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _answer(status: int, code: str, message: str | None = None, headers=None,
            fields: dict | None = None):
    title, text, next_step = MESSAGES.get(status) or MESSAGES[400 if status < 500 else 500]
    kept = [(k, v) for k, v in (headers or []) if k in KEPT_HEADERS]
    # BadHost: a Host header IDNA cannot encode left no URL adapter to build page links with
    if wants_json() or isinstance(request.routing_exception, BadHost):
        error = {"code": code, "message": str(message or text)}
        if fields:  # an edge check's 422 outside any API blueprint still names its fields
            error["fields"] = {key: str(value) for key, value in fields.items()}
        return jsonify(error=error), status, kept
    response = make_response(render_template(
        "errors/error.html", status=status, title=title, text=message or text,
        next_step=next_step), status)
    for key, value in kept:
        response.headers[key] = value
    return security_headers(response)


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return _answer(400, "csrf", str(CSRF_MESSAGE))

    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        db.session.rollback()
        return _answer(error.status, error.code, error.message,
                       fields=getattr(error, "errors", None))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 413: "payload_too_large",
                429: "rate_limited"}.get(
            error.code, "http_error")
        return _answer(error.code or 500, code, headers=error.get_headers())

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection may be gone; the answer matters
            log.debug("rollback failed after %s", type(error).__name__)
        if database_unavailable(error):
            # a restart or failover: one line per request, not a traceback each
            log.warning("database unavailable on %s %s (%s)", request.method, request.path,
                        type(error).__name__)
            return _answer(503, "database_unavailable",
                           headers=[("Retry-After", str(RETRY_AFTER_SECONDS))])
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _answer(500, "internal_error")


#: What a 503 asks clients to wait before trying again.
RETRY_AFTER_SECONDS = 30

