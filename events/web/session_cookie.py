"""Flask's signed session cookie, with its signer built once and each cookie read once.

Flask builds a new ``URLSafeTimedSerializer`` each time it opens or saves a session
(twice per request with a session), and itsdangerous tries the serializer on ``{}`` each
time it builds one; the page cache's ``FastPath`` reads the cookie before Flask does, to
see whether the session is personal. Here the serializer is kept until the keys
(``SECRET_KEY``, ``SECRET_KEY_FALLBACKS``) change, and what a request's cookie holds is
verified once and remembered in the request's environ for the second reader. Same cookie,
same checks (signature, ``PERMANENT_SESSION_LIFETIME``) as Flask's own interface. Issue 15:
part of the cost of a workshop page, which always gives the visitor a session (its form's
CSRF token).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

#: In the WSGI environ: ``(cookie value, what it holds)`` once a reader verified it.
READ = "events.session_cookie.read"


class SignedCookieSessions(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._kept: tuple[tuple, URLSafeTimedSerializer | None] = ((), None)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        known, serializer = self._kept  # one read: threads may replace it meanwhile
        if known != keys:
            serializer = super().get_signing_serializer(app)
            self._kept = (keys, serializer)
        return serializer

    def read(self, app: Flask, value: str, environ: dict) -> Any:
        """What the cookie ``value`` holds: ``{}`` when it does not verify or has expired
        (as for Flask: a foreign or old cookie is an empty session, not an error); None
        without a secret key (no session at all)."""
        kept = environ.get(READ)
        if kept is not None and kept[0] == value:
            return kept[1]
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        try:
            data = serializer.loads(
                value, max_age=int(app.permanent_session_lifetime.total_seconds()))
        except BadSignature:
            data = {}
        environ[READ] = (value, data)
        return data

    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        if self.get_signing_serializer(app) is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        return self.session_class(self.read(app, value, request.environ))
