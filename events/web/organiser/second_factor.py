"""Sicherheit: the second factor of one's own account, the login's second step, and the
admin's requirement and reset.

Every organiser manages their own second factor here (permission ``organise``);
the requirement and the reset of another account need ``manage_accounts``
(``access.ENDPOINT_PERMISSIONS``). The login's second step (``verify``) is open
(``access.OPEN_ENDPOINTS``): after the right password the session only holds who
is waiting for the code (``PENDING_KEY``), it is not logged in; the right code
starts a new session (``access.start_session``). A secret being enrolled lives in
the session (``SETUP_KEY``) until it is confirmed; the QR code is drawn here
(segno, SVG) and never cached.
"""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from events.extensions import db
from events.models import Organiser
from events.services import accounts, audit, second_factor
from events.services.errors import DomainError, InvalidInput
from events.web.forms import ActionForm
from events.web.organiser.access import safe_next, start_session
from events.web.organiser.forms.second_factor import CodeForm, DisableForm, PolicyForm

bp = Blueprint("second_factor", __name__)

#: Who passed the password and waits for the code: id, session version, time, next page.
PENDING_KEY = "second_factor_login"
#: The secret shown on the enrolment page until a code confirms it.
SETUP_KEY = "second_factor_secret"
PENDING_SECONDS = 5 * 60


def _address() -> str:
    return request.remote_addr or "unknown"


# --- the login's second step --------------------------------------------------------------


def ask_for_code(organiser: Organiser, next_url: str):
    """After the right password: remember who waits for the code (not logged in) and ask."""
    session.clear()  # whatever the session held before the login is gone
    session[PENDING_KEY] = {"id": organiser.id, "v": organiser.session_version,
                            "at": time.time(), "next": next_url}
    return redirect(url_for("organiser.second_factor.verify"), 303)


def _pending() -> tuple[Organiser, str] | None:
    """The account waiting for its code, while the wait is fresh and the account unchanged."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("at"), int | float):
        return None
    if time.time() - pending["at"] > PENDING_SECONDS:
        return None
    organiser = accounts.load(f"{pending.get('id')}:{pending.get('v')}")
    if organiser is None or not organiser.has_second_factor:
        return None
    return organiser, str(pending.get("next") or "")


@bp.route("/anmelden/code", methods=["GET", "POST"])
def verify():
    if current_user.is_authenticated:
        return redirect(url_for("organiser.dashboard.index"), 303)
    pending = _pending()
    if pending is None:
        session.pop(PENDING_KEY, None)
        flash(_("Bitte melden Sie sich erneut mit E-Mail-Adresse und Passwort an."), "error")
        return redirect(url_for("organiser.auth.login"), 303)
    organiser, next_url = pending
    form = CodeForm()
    if request.method == "GET":
        return render_template("organiser/second_factor/verify.html", form=form)
    if not form.validate_on_submit():
        form.show_errors(form.field_errors())
        return render_template("organiser/second_factor/verify.html", form=form), 400
    try:
        kind = second_factor.check(organiser, form.code.data or "", _address())
    except DomainError as error:
        db.session.commit()  # the failure counts
        form.show_errors({"code": str(error)})
        form.code.data = ""
        return render_template("organiser/second_factor/verify.html", form=form), error.status
    audit.record(organiser, "organiser.login", "organiser", organiser.id,
                 "Angemeldet (zweiter Faktor: "
                 + ("App-Code)" if kind == "totp" else "Wiederherstellungscode)"))
    db.session.commit()
    start_session(organiser)  # a new session again: the pending one is gone
    if kind == "recovery":
        flash(_("Sie haben einen Wiederherstellungscode benutzt; er gilt nicht mehr. "
                "Noch %(num)d übrig. Legen Sie unter „Sicherheit“ neue an, wenn es "
                "wenige werden.", num=second_factor.recovery_codes_left(organiser)),
              "warning")
    return redirect(safe_next(next_url), 303)


# --- one's own second factor ----------------------------------------------------------------


def _index_page(*, disable_form=None, renew_form=None, status=200):
    return render_template(
        "organiser/second_factor/index.html",
        left=second_factor.recovery_codes_left(current_user),
        required=second_factor.required(),
        disable_form=disable_form or DisableForm(formdata=None),
        renew_form=renew_form or CodeForm(formdata=None, prefix="renew"),
        policy_form=PolicyForm(formdata=None, data={"required": second_factor.required()}),
    ), status


@bp.get("/konten/sicherheit")
def index():
    return _index_page()


@bp.route("/konten/sicherheit/einrichten", methods=["GET", "POST"])
def setup():
    """Show a new secret (QR code and text); a current code switches it on."""
    if current_user.has_second_factor:
        flash(_("Für Ihr Konto ist der zweite Faktor schon eingerichtet."), "info")
        return redirect(url_for(".index"), 303)
    secret = session.get(SETUP_KEY)
    if not isinstance(secret, str) or len(secret) != 32:
        secret = session[SETUP_KEY] = second_factor.new_secret()
    form = CodeForm()

    def page(status=200):
        return render_template("organiser/second_factor/setup.html", form=form,
                               secret=second_factor.grouped(secret),
                               required=second_factor.required()), status

    if request.method == "GET":
        return page()
    if not form.validate_on_submit():
        form.show_errors(form.field_errors())
        return page(400)
    try:
        codes = second_factor.enable(current_user, secret, form.code.data or "")
    except DomainError as error:
        db.session.rollback()
        form.show_errors(error.errors if isinstance(error, InvalidInput)
                         else {"code": str(error)})
        form.code.data = ""
        return page(error.status)
    db.session.commit()
    session.pop(SETUP_KEY, None)
    return render_template("organiser/second_factor/codes.html", codes=codes, new=True)


@bp.get("/konten/sicherheit/qr.svg")
def qr():
    """The QR code of the secret being enrolled; 404 when none is."""
    secret = session.get(SETUP_KEY)
    if not isinstance(secret, str) or current_user.has_second_factor:
        abort(404)
    uri = second_factor.provisioning_uri(current_user, secret)
    response = Response(second_factor.qr_svg(uri), mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/konten/sicherheit/neue-codes")
def renew():
    """Ten new recovery codes after a current code; the old ones stop working."""
    form = CodeForm(prefix="renew")
    if not form.validate_on_submit():
        form.show_errors(form.field_errors())
        return _index_page(renew_form=form, status=400)
    try:
        codes = second_factor.renew_recovery_codes(current_user, form.code.data or "",
                                                   _address())
    except DomainError as error:
        db.session.commit()  # a wrong code counts
        form.show_errors({"code": str(error)})
        form.code.data = ""
        return _index_page(renew_form=form, status=error.status)
    db.session.commit()
    return render_template("organiser/second_factor/codes.html", codes=codes, new=False)


@bp.post("/konten/sicherheit/abschalten")
def disable():
    """Switch one's own second factor off: password and a code."""
    form = DisableForm()
    if not form.validate_on_submit():
        form.show_errors(form.field_errors())
        return _index_page(disable_form=form, status=400)
    try:
        second_factor.disable(current_user, form.password.data or "", form.code.data or "",
                              _address())
    except DomainError as error:
        db.session.commit()  # a wrong password or code counts
        form.show_errors(error.errors if isinstance(error, InvalidInput)
                         else {"code": str(error)})
        form.password.data = form.code.data = ""
        return _index_page(disable_form=form, status=error.status)
    db.session.commit()
    flash(_("Der zweite Faktor ist abgeschaltet. Sie melden sich jetzt nur mit dem "
            "Passwort an."), "success")
    return redirect(url_for(".index"), 303)


# --- admins: the requirement and the reset ----------------------------------------------------


@bp.post("/konten/sicherheit/pflicht")
def policy():
    form = PolicyForm()
    if not form.validate_on_submit():
        form.show_errors(form.field_errors())
        return _index_page(status=400)
    second_factor.set_required(bool(form.required.data), actor=current_user)
    db.session.commit()
    if form.required.data:
        flash(_("Der zweite Faktor ist jetzt für alle Konten vorgeschrieben. Wer keinen hat, "
                "richtet ihn beim nächsten Aufruf ein."), "success")
    else:
        flash(_("Der zweite Faktor ist jetzt freiwillig."), "success")
    return redirect(url_for(".index"), 303)


@bp.post("/konten/<int:organiser_id>/zweiter-faktor/zuruecksetzen")
def reset(organiser_id: int):
    """Remove another account's second factor (lost phone); audited."""
    if not ActionForm().validate_on_submit():
        abort(400)
    account = accounts.get(organiser_id)
    try:
        second_factor.reset(account, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("organiser.accounts.detail", organiser_id=account.id), 303)
    db.session.commit()
    flash(_("Der zweite Faktor von %(name)s ist zurückgesetzt. Die Person meldet sich mit "
            "dem Passwort an und richtet ihn neu ein.", name=account.name), "success")
    return redirect(url_for("organiser.accounts.detail", organiser_id=account.id), 303)
