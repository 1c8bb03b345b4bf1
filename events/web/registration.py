"""The personal link: opening it only shows a page; confirming and cancelling are POSTs.

Mail security scanners (Outlook Safe Links) open every link in a message, so a
GET never changes anything.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from events.extensions import db
from events.models import RegistrationStatus
from events.services import catalogue, seats, tokens
from events.services.errors import DomainError, InvalidLink
from events.web.forms import ActionForm

bp = Blueprint("registration", __name__)


def _page(token: str, *, ask_cancel: bool = False, status: int = 200):
    registration = tokens.registration_for(token)
    item = catalogue.get_workshop(registration.workshop_id, public_only=False)
    return render_template(
        "registration/manage.html", registration=registration, item=item,
        workshop=registration.workshop, token=token, form=ActionForm(),
        ask_cancel=ask_cancel, position=seats.waitlist_position(registration),
        S=RegistrationStatus,
    ), status


@bp.get("/anmeldung/<token>")
def manage(token: str):
    try:
        return _page(token, ask_cancel=request.args.get("stornieren") == "1")
    except InvalidLink as error:
        return render_template("registration/invalid_link.html", message=str(error)), 404


@bp.post("/anmeldung/<token>/bestaetigen")
def confirm(token: str):
    return _act(token, "confirm")


@bp.post("/anmeldung/<token>/stornieren")
def cancel(token: str):
    return _act(token, "cancel")


def _act(token: str, action: str):
    try:
        registration = tokens.registration_for(token)
    except InvalidLink as error:
        return render_template("registration/invalid_link.html", message=str(error)), 404
    form = ActionForm()
    if not form.validate_on_submit():
        flash("Das Formular ist abgelaufen. Bitte versuchen Sie es noch einmal.", "error")
        return redirect(url_for("registration.manage", token=token))
    try:
        if action == "confirm":
            registration = seats.confirm(registration.id)
            if registration.status == RegistrationStatus.expired:
                flash("Die Frist zur Bestätigung ist leider abgelaufen; der Platz wurde "
                      "freigegeben. Sie können sich erneut anmelden.", "error")
            else:
                flash("Vielen Dank! Ihre Teilnahme ist bestätigt.", "success")
        else:
            seats.cancel(registration.id)
            flash("Ihre Anmeldung ist storniert.", "success")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("registration.manage", token=token))
