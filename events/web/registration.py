"""The personal link: opening it only shows a page; confirming and cancelling are POSTs.

Mail security scanners (Outlook Safe Links) open every link in a message, so a
GET never changes anything. A link that no longer works leads to a form that
asks for the link again: registering again with the same address creates
nothing new and mails the current link (the rule in ``services.seats``).
"""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from events.extensions import db, limiter
from events.models import RegistrationStatus, utcnow
from events.services import catalogue, certificates, seats, tokens
from events.services import mail_language as mail_languages
from events.services.applicants import validate
from events.services.errors import DomainError, InvalidInput, InvalidLink, RegistrationClosed
from events.web.common import registration_limit, security_headers, submit
from events.web.forms import ActionForm, LinkRequestForm

bp = Blueprint("registration", __name__)


@bp.after_request
def _private(response):
    """Personal pages: not cached, not indexed, no referrer to the online meeting's host."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return security_headers(response)


def _page(token: str, *, ask_cancel: bool = False, status: int = 200):
    registration = tokens.registration_for(token)
    item = catalogue.get_workshop(registration.workshop_id, public_only=False)
    return render_template(
        "registration/manage.html", registration=registration, item=item,
        workshop=registration.workshop, participant=registration.participant, token=token,
        form=ActionForm(), ask_cancel=ask_cancel,
        position=seats.waitlist_position(registration), S=RegistrationStatus,
        certificate_ready=certificates.refusal(registration, utcnow()) is None,
    ), status


def _open_workshops():
    return [item for item in catalogue.list_workshops(include_cancelled=False)
            if item.registration_open]


def _link_request_page(form: LinkRequestForm | None = None, *, status: int = 200,
                       invalid: bool = False, message: str | None = None):
    """The page that asks for the link again (also shown for a link that does not work)."""
    form = form or LinkRequestForm()
    workshops = _open_workshops()
    form.workshop.choices = [(item.workshop.id, item.workshop.title) for item in workshops]
    return render_template("registration/invalid_link.html", form=form, invalid=invalid,
                           workshops=workshops, message=message), status


@bp.get("/anmeldung/<token>")
def manage(token: str):
    try:
        return _page(token, ask_cancel=request.args.get("stornieren") == "1")
    except InvalidLink:
        return _link_request_page(status=404, invalid=True)


@bp.get("/anmeldung/<token>/bescheinigung.pdf")
def certificate(token: str):
    """The certificate of attendance (issued on first download); the token is the access.

    Not checked in, workshop not over or cancelled: a 409 page that says why.
    """
    try:
        registration = tokens.registration_for(token)
    except InvalidLink:
        return _link_request_page(status=404, invalid=True)
    issued = certificates.issue(registration.id)  # StateConflict: the error page says why
    db.session.commit()
    return send_file(BytesIO(certificates.render(issued)), mimetype="application/pdf",
                     download_name=certificates.filename(issued), as_attachment=True,
                     max_age=0)


@bp.post("/anmeldung/<token>/bestaetigen")
def confirm(token: str):
    return _act(token, "confirm")


@bp.post("/anmeldung/<token>/stornieren")
def cancel(token: str):
    return _act(token, "cancel")


@bp.post("/anmeldung/<token>/sprache")
def mail_language(token: str):
    """The language of further mails about this registration (``language``: de or en)."""
    try:
        registration = tokens.registration_for(token)
    except InvalidLink:
        return _link_request_page(status=404, invalid=True)
    if not ActionForm().validate_on_submit():
        flash(_("Das Formular ist abgelaufen. Bitte versuchen Sie es noch einmal."), "error")
        return redirect(url_for("registration.manage", token=token), 303)
    try:
        chosen = mail_languages.choose(registration.id, request.form.get("language", ""))
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        flash(str(error.errors.get("language", error)), "error")
    else:
        flash(_("Wir schreiben Ihnen ab jetzt auf Englisch.") if chosen.language == "en"
              else _("Wir schreiben Ihnen ab jetzt auf Deutsch."), "success")
    return redirect(url_for("registration.manage", token=token), 303)


def _act(token: str, action: str):
    try:
        registration = tokens.registration_for(token)
    except InvalidLink:
        return _link_request_page(status=404, invalid=True)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("Das Formular ist abgelaufen. Bitte versuchen Sie es noch einmal."), "error")
        return redirect(url_for("registration.manage", token=token), 303)
    try:
        if action == "confirm":
            registration = seats.confirm(registration.id)
            if registration.status == RegistrationStatus.expired:
                flash(_("Die Frist zur Bestätigung ist leider abgelaufen; der Platz wurde "
                        "freigegeben. Sie können sich erneut anmelden."), "error")
            else:
                flash(_("Vielen Dank! Ihre Teilnahme ist bestätigt."), "success")
        else:
            seats.cancel(registration.id)
            flash(_("Ihre Anmeldung ist storniert. Wir haben Ihnen eine Bestätigung per "
                    "E-Mail geschickt."), "success")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("registration.manage", token=token), 303)


@bp.get("/anmeldung/neuer-link")
def link_request():
    return _link_request_page()


@bp.post("/anmeldung/neuer-link")
@limiter.limit(registration_limit)
def link_request_submit():
    """Register again for the chosen workshop: the link is mailed (again)."""
    form = LinkRequestForm()
    workshops = {item.workshop.id: item for item in _open_workshops()}
    chosen = workshops.get(form.workshop.data) if isinstance(form.workshop.data, int) else None
    if chosen is None:  # show every problem at once, the service's messages included
        errors = validate(form.applicant().cleaned())
        errors["workshop"] = _("Bitte wählen Sie den Workshop, für den Sie sich angemeldet "
                               "haben.")
        form.show_errors(errors)
        return _link_request_page(form, status=422)
    try:
        result = submit(form, chosen.workshop.id)
    except RegistrationClosed as error:
        return _link_request_page(form, status=409, message=str(error))
    if result is None:
        return _link_request_page(form, status=422)
    return redirect(url_for("public.registered", slug=chosen.workshop.slug, _anchor="inhalt"),
                    303)
