"""The gate of the back office: login, idle timeout and permissions, in one place.

Anonymous requests are sent to the login page (HTML) or answered 401 (JSON);
a logged-in organiser without the permission a page group needs gets 403.
Which permission each page group needs is the table below; what each role may
do is ``services.permissions``. Pages are never cached (they show personal data).
"""

from __future__ import annotations

import time

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from events.extensions import login_manager
from events.services import accounts, permissions, second_factor
from events.web.common import security_headers
from events.web.errors import wants_json

#: Endpoints that anyone may open (the login and the password links).
OPEN_ENDPOINTS = {
    "organiser.auth.login", "organiser.auth.password", "organiser.auth.forgot",
    # the second step of the login: the password was right, the session is not logged in yet
    "organiser.second_factor.verify",
}
#: What an account may open while it must still enrol a second factor (the admin requires
#: one and it has none): the enrolment and the logout.
ENROLMENT_ENDPOINTS = {
    "organiser.second_factor.setup", "organiser.second_factor.qr", "organiser.auth.logout",
}
#: Child blueprint → permission; every other child needs ``organise``.
BLUEPRINT_PERMISSIONS = {
    "organiser.accounts": "manage_accounts",
    "organiser.programme": "manage_programme",
    "organiser.audit_log": "read_audit",
}
#: Single endpoints that need more than their blueprint (e.g. the own API tokens).
ENDPOINT_PERMISSIONS = {
    "organiser.accounts.tokens": "organise",
    "organiser.accounts.token_create": "organise",
    "organiser.accounts.token_revoke": "organise",
    "organiser.second_factor.policy": "manage_accounts",
    "organiser.second_factor.reset": "manage_accounts",
}
SEEN_KEY = "organiser_seen"


def required_permission(endpoint: str) -> str | None:
    """The permission ``endpoint`` needs; None for the open ones."""
    if endpoint in OPEN_ENDPOINTS:
        return None
    if endpoint in ENDPOINT_PERMISSIONS:
        return ENDPOINT_PERMISSIONS[endpoint]
    blueprint = endpoint.rpartition(".")[0]
    return BLUEPRINT_PERMISSIONS.get(blueprint, "organise")


def init_app(app: Flask) -> None:
    """flask-login's loader and answers, and ``can(permission)`` for the templates."""
    login_manager.login_view = "organiser.auth.login"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(user_id: str):
        return accounts.load(user_id)

    @login_manager.unauthorized_handler
    def _unauthorized():
        return _to_login()

    @app.before_request
    def _fresh_request_state():
        # flask-login and Flask-WTF cache the user and the CSRF token on ``g``, which lives
        # as long as the app context: when an outer context spans several requests (tests,
        # scripts) they must not leak from one request into the next.
        g.pop("_login_user", None)
        g.pop("csrf_token", None)

    @app.context_processor
    def _can():
        def can(permission: str) -> bool:
            return current_user.is_authenticated and permissions.allowed(current_user,
                                                                         permission)
        def has_endpoint(name: str) -> bool:
            return name in current_app.view_functions

        return {"can": can, "has_endpoint": has_endpoint}


def _to_login():
    if wants_json():
        abort(401)
    nxt = request.full_path if request.method == "GET" else None
    return redirect(url_for("organiser.auth.login",
                            next=nxt.rstrip("?") if nxt else None), 303)


def gate():
    """Before every back-office request: open page, logged in, not idle, permitted."""
    permission = required_permission(request.endpoint or "")
    if permission is None:
        return None
    if not current_user.is_authenticated:
        return _to_login()
    idle = current_app.config["ORGANISER_IDLE_MINUTES"] * 60
    now = time.time()
    seen = session.get(SEEN_KEY)
    if not isinstance(seen, int | float) or now - seen > idle:
        logout_user()
        session.pop(SEEN_KEY, None)
        if not wants_json():
            flash(_("Sie wurden nach %(minutes)d Minuten ohne Aktivität abgemeldet. Bitte "
                    "melden Sie sich erneut an.", minutes=idle // 60), "error")
        return _to_login()
    session[SEEN_KEY] = now
    if not permissions.allowed(current_user, permission):
        abort(403)
    if request.endpoint not in ENROLMENT_ENDPOINTS and second_factor.enrolment_due(
            current_user):
        if wants_json():
            abort(403)
        return redirect(url_for("organiser.second_factor.setup"), 303)
    return None


def start_session(organiser) -> None:
    """Log ``organiser`` in on a new session: nothing from before the login survives."""
    session.clear()
    g.pop("csrf_token", None)  # nor the CSRF token cached for this request
    login_user(organiser)
    session.permanent = True
    session[SEEN_KEY] = time.time()


def private(response):
    """Back-office answers: never cached, never indexed, with the security headers."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return security_headers(response)


def safe_next(target: str | None) -> str:
    """A redirect target inside the back office; anything else becomes its start page."""
    if (target and target.startswith("/organiser") and not target.startswith("//")
            and "\\" not in target and all(31 < ord(c) < 127 for c in target)):
        return target
    return url_for("organiser.dashboard.index")
