"""Konten (admins) and API-Tokens (everyone, their own; admins see all).

The gate requires ``manage_accounts`` for this blueprint, except the three token
endpoints (``organise``, see ``access.ENDPOINT_PERMISSIONS``). Every change is a
POST with CSRF token; the services record it in the audit log, the view commits
once. Rule violations (last admin, own account, address in use) come back as
German messages next to the field, with status 422.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from events.extensions import db
from events.models import Role
from events.services import accounts, api_tokens
from events.services.errors import InvalidInput, StateConflict
from events.web.forms import ActionForm
from events.web.organiser.forms.accounts import InviteForm, RoleForm, TokenForm

bp = Blueprint("accounts", __name__, url_prefix="/konten")


def _role(value: str | None) -> Role:
    try:
        return Role(value or "")
    except ValueError:
        raise InvalidInput({"role": _("Bitte wählen Sie eine Rolle.")}) from None


# --- accounts ---------------------------------------------------------------------------


@bp.get("/")
def index():
    return render_template("organiser/accounts/index.html", accounts=accounts.all_accounts(),
                           invitation_open=accounts.invitation_open)


@bp.route("/einladen", methods=["GET", "POST"])
def invite():
    """Create an account without password; the person gets a link to set one."""
    form = InviteForm()
    if request.method == "GET":
        form.role.data = Role.organiser.value
        return render_template("organiser/accounts/invite.html", form=form)
    if not form.validate_on_submit():
        form.show_errors(form.field_errors())
        return render_template("organiser/accounts/invite.html", form=form), 400
    role_errors: dict[str, str] = {}
    try:
        role = _role(form.role.data)
    except InvalidInput as error:
        role_errors, role = error.errors, Role.organiser
    try:
        organiser = accounts.invite(form.email.data or "", form.name.data or "", role,
                                    actor=current_user)
    except InvalidInput as error:
        role_errors = {**error.errors, **role_errors}
    if role_errors:  # every problem at once, nothing saved
        db.session.rollback()
        form.show_errors(role_errors)
        return render_template("organiser/accounts/invite.html", form=form), 422
    db.session.commit()
    flash(_("%(name)s ist eingeladen. Die E-Mail mit dem Link zum Festlegen des Passworts "
            "ist unterwegs.", name=organiser.name), "success")
    return redirect(url_for(".detail", organiser_id=organiser.id), 303)


def _detail_page(organiser, *, role_form=None, errors=None, status=200):
    role_form = role_form or RoleForm(formdata=None, data={"role": organiser.role.value})
    return render_template(
        "organiser/accounts/detail.html", account=organiser, role_form=role_form,
        action_form=ActionForm(), errors=errors or {},
        invitation_open=accounts.invitation_open(organiser),
        tokens=api_tokens.tokens_of(organiser)), status


@bp.get("/<int:organiser_id>")
def detail(organiser_id: int):
    """One account and what an admin can do with it; 404 for an unknown id."""
    return _detail_page(accounts.get(organiser_id))


@bp.post("/<int:organiser_id>/rolle")
def role(organiser_id: int):
    organiser = accounts.get(organiser_id)
    form = RoleForm()
    if not form.validate_on_submit():
        form.show_errors(form.field_errors())
        return _detail_page(organiser, role_form=form, status=400)
    try:
        accounts.set_role(organiser, _role(form.role.data), actor=current_user)
    except InvalidInput as error:
        db.session.rollback()
        form.show_errors(error.errors)
        return _detail_page(accounts.get(organiser_id), role_form=form, status=422)
    db.session.commit()
    flash(_("Die Rolle von %(name)s ist geändert. Offene Sitzungen des Kontos sind beendet.",
            name=organiser.name), "success")
    return redirect(url_for(".detail", organiser_id=organiser_id), 303)


def _set_active(organiser_id: int, active: bool):
    organiser = accounts.get(organiser_id)
    if not ActionForm().validate_on_submit():
        return _detail_page(organiser, errors={"active": _("Das Formular ist abgelaufen. "
                                                           "Bitte erneut senden.")},
                            status=400)
    try:
        accounts.set_active(organiser, active, actor=current_user)
    except InvalidInput as error:
        db.session.rollback()
        return _detail_page(accounts.get(organiser_id), errors=error.errors, status=422)
    db.session.commit()
    if active:
        flash(_("Das Konto von %(name)s ist wieder aktiv.", name=organiser.name), "success")
    else:
        flash(_("Das Konto von %(name)s ist deaktiviert: Alle Sitzungen und API-Tokens "
                "des Kontos gelten nicht mehr.", name=organiser.name), "success")
    return redirect(url_for(".detail", organiser_id=organiser_id), 303)


@bp.post("/<int:organiser_id>/deaktivieren")
def deactivate(organiser_id: int):
    return _set_active(organiser_id, False)


@bp.post("/<int:organiser_id>/aktivieren")
def reactivate(organiser_id: int):
    return _set_active(organiser_id, True)


@bp.post("/<int:organiser_id>/passwort-zuruecksetzen")
def reset(organiser_id: int):
    """The password stops working; a link goes out (or the invitation again)."""
    organiser = accounts.get(organiser_id)
    if not ActionForm().validate_on_submit():
        return _detail_page(organiser, errors={"reset": _("Das Formular ist abgelaufen. "
                                                          "Bitte erneut senden.")},
                            status=400)
    try:
        kind = accounts.reset(organiser, actor=current_user)
    except StateConflict as error:
        db.session.rollback()
        return _detail_page(accounts.get(organiser_id), errors={"reset": str(error)},
                            status=409)
    db.session.commit()
    if kind == "organiser_invite":
        flash(_("Die Einladung an %(email)s ist erneut unterwegs.", email=organiser.email),
              "success")
    else:
        flash(_("Das Passwort von %(name)s gilt nicht mehr. Ein Link zum Festlegen eines "
                "neuen ist an %(email)s unterwegs.", name=organiser.name,
                email=organiser.email), "success")
    return redirect(url_for(".detail", organiser_id=organiser_id), 303)


# --- API tokens (every organiser: their own) ------------------------------------------------


def _tokens_page(form: TokenForm | None = None, status: int = 200):
    return render_template("organiser/accounts/tokens.html", form=form or TokenForm(),
                           tokens=api_tokens.visible_to(current_user),
                           action_form=ActionForm()), status


@bp.get("/tokens")
def tokens():
    return _tokens_page()


@bp.post("/tokens")
def token_create():
    """Make a token and show it once, on this answer only (never stored, never in a URL;
    the back office's answers are ``no-store``)."""
    form = TokenForm()
    if not form.validate_on_submit():
        form.show_errors(form.field_errors())
        return _tokens_page(form, 400)
    try:
        token, secret = api_tokens.create(current_user, form.name.data or "")
    except InvalidInput as error:
        db.session.rollback()
        form.show_errors(error.errors)
        return _tokens_page(form, 422)
    db.session.commit()
    return render_template("organiser/accounts/token_created.html", token=token,
                           secret=secret)


@bp.post("/tokens/<int:token_id>/widerrufen")
def token_revoke(token_id: int):
    """Revoke one's own token (admins: anyone's); 404 for a token one may not see."""
    if ActionForm().validate_on_submit():
        token = api_tokens.revoke(token_id, current_user)
        db.session.commit()
        flash(_("Das Token „%(name)s“ ist widerrufen und gilt ab sofort nicht mehr.",
                name=token.name), "success")
    return redirect(url_for(".tokens"), 303)
