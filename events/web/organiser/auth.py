"""Login, logout, setting a password through a link, and "forgot password".

The login answers the same for an unknown address, a wrong password and a
deactivated account; throttling (``services.accounts``) says only "wait". A
successful login starts a new session (the old cookie's content is dropped), so
a session fixed before the login is worth nothing afterwards.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from events.extensions import db, limiter
from events.services import accounts, audit
from events.services.errors import DomainError, InvalidInput, InvalidLink
from events.web.common import registration_limit
from events.web.forms import ActionForm
from events.web.organiser import second_factor
from events.web.organiser.access import safe_next, start_session
from events.web.organiser.forms.auth import ForgotForm, LoginForm, PasswordForm

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(safe_next(form.next.data))
        return render_template("organiser/login.html", form=form)
    if not form.validate_on_submit():
        form.show_errors(form.field_errors())
        return render_template("organiser/login.html", form=form), 400
    try:
        organiser = accounts.authenticate(form.email.data or "", form.password.data or "",
                                          request.remote_addr or "unknown")
    except DomainError as error:
        db.session.commit()  # the failure counts
        form.show_errors({"password": str(error)})
        form.password.data = ""
        return render_template("organiser/login.html", form=form), error.status
    if organiser.has_second_factor:  # not logged in yet: the code comes first
        db.session.commit()
        return second_factor.ask_for_code(organiser, safe_next(form.next.data))
    audit.record(organiser, "organiser.login", "organiser", organiser.id, "Angemeldet")
    db.session.commit()
    start_session(organiser)
    return redirect(safe_next(form.next.data), 303)


@bp.post("/logout")
def logout():
    form = ActionForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
        flash(_("Sie sind abgemeldet."), "success")
    return redirect(url_for("organiser.auth.login"), 303)


@bp.route("/passwort/<token>", methods=["GET", "POST"])
def password(token: str):
    """Set a password through an invitation or reset link; then logged in."""
    try:
        organiser = accounts.organiser_for_link(token)
    except InvalidLink as error:
        return render_template("organiser/password.html", form=None, message=str(error)), 404
    form = PasswordForm()
    if request.method == "GET":
        return render_template("organiser/password.html", form=form, organiser=organiser)
    if not form.validate_on_submit():
        form.show_errors(form.field_errors())
        return render_template("organiser/password.html", form=form, organiser=organiser), 400
    if (form.password.data or "") != (form.password_again.data or ""):
        form.show_errors({"password_again": _("Die beiden Passwörter stimmen nicht überein.")})
        return render_template("organiser/password.html", form=form, organiser=organiser), 422
    try:
        accounts.set_password(organiser, form.password.data or "")
    except InvalidInput as error:
        db.session.rollback()
        form.show_errors(error.errors)
        return render_template("organiser/password.html", form=form, organiser=organiser), 422
    audit.record(organiser, "organiser.password", "organiser", organiser.id,
                 "Passwort über Link gesetzt")
    db.session.commit()
    if organiser.has_second_factor:  # the link alone (a mailbox) must not be enough
        answer = second_factor.ask_for_code(organiser, url_for("organiser.dashboard.index"))
        flash(_("Ihr Passwort ist gespeichert. Bitte geben Sie noch den Code aus Ihrer App "
                "ein."), "success")
        return answer
    start_session(organiser)
    flash(_("Ihr Passwort ist gespeichert. Willkommen im Verwaltungsbereich."), "success")
    return redirect(url_for("organiser.dashboard.index"), 303)


@bp.route("/passwort-vergessen", methods=["GET", "POST"])
@limiter.limit(registration_limit, methods=["POST"])
def forgot():
    """The same answer whether or not an account exists for the address."""
    form = ForgotForm()
    if request.method == "POST":
        if form.validate_on_submit():
            accounts.request_reset(form.email.data or "")
            db.session.commit()
            return render_template("organiser/forgot.html", form=None, sent=True)
        form.show_errors(form.field_errors())
        return render_template("organiser/forgot.html", form=form), 400
    return render_template("organiser/forgot.html", form=form)
