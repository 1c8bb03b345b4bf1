"""Language of the pages: German by default, English on request.

- ``/sprache/<code>?next=/pfad`` stores the choice in a cookie and sends the visitor back
  (only to a local path; an unknown language code answers 404).
- The locale selector reads that cookie; API requests (``/api/``) without it follow
  Accept-Language; everything else falls back to German.
- E-mails are not the page's business: each is written in its recipient's stored
  language (``events.locales.in_language``), whoever triggers it.
- ``compile_catalogues`` turns every ``translations/*/LC_MESSAGES/messages.po`` into its
  ``.mo`` when the .mo is missing or older (the .mo files are not in git).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    has_request_context,
    redirect,
    request,
)

from events.locales import LANGUAGES

bp = Blueprint("language", __name__)

COOKIE = "sprache"
COOKIE_AGE = 365 * 24 * 3600

log = logging.getLogger("events.language")


def select_locale() -> str | None:
    """The cookie's language if valid; for the API, Accept-Language; otherwise None, which
    means BABEL_DEFAULT_LOCALE (German unless APP_LOCALE says otherwise). Outside a
    request (mail worker, CLI) also None. A message to a person overrides all of this
    with ``locales.in_language``."""
    if not has_request_context():
        return None
    chosen = request.cookies.get(COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(LANGUAGES)
    return None


def safe_next(target: str | None) -> str:
    """``target`` if it is a local path ("/…", not "//…" nor "/\\…"), else the start page."""
    if (not target or not target.startswith("/") or target.startswith("//")
            or target.startswith("/\\") or any(c in target for c in "\r\n\t\\")):
        return "/"
    return target


@bp.get("/sprache/<code>")
def choose(code: str):
    """Remember the language in a cookie and go back to ``next`` (a local path)."""
    if code not in LANGUAGES:
        abort(404)
    response = redirect(safe_next(request.args.get("next")), code=303)
    response.set_cookie(COOKIE, code, max_age=COOKIE_AGE, samesite="Lax", httponly=True,
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


def compile_catalogues(directory: str | Path) -> None:
    """Compile each messages.po below ``directory`` whose .mo is missing or older.

    A catalogue that cannot be compiled is logged and skipped: the pages then stay German.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in Path(directory).glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            with po_path.open("rb") as source:
                catalog = read_po(source, locale=po_path.parent.parent.name)
            # a name of its own per process: several processes starting at once (gunicorn
            # workers, parallel test runs) never write into each other's file
            partial = mo_path.with_suffix(f".mo.{os.getpid()}.tmp")
            with partial.open("wb") as target:
                write_mo(target, catalog)
            partial.replace(mo_path)
        except (OSError, ValueError) as error:  # pragma: no cover - a broken deployment
            log.error("Cannot compile %s: %s", po_path, error)


def register(app: Flask) -> None:
    """Compile the catalogues, install the selector and the /sprache route."""
    for directory in str(app.config.get("BABEL_TRANSLATION_DIRECTORIES", "")).split(";"):
        if directory:
            compile_catalogues(directory)
    app.register_blueprint(bp)
    app.before_request(_forget_cached_locale)


def _forget_cached_locale() -> None:
    """flask-babel caches the locale on the app context, which may outlive one request
    (tests, CLI): each request asks the selector afresh."""
    from flask_babel import refresh

    refresh()
