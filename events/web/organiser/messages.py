"""Nachrichten: write to a workshop's participants (compose → preview → send) and read
what was sent with each recipient's delivery state.

The send step only sends the draft its preview showed: the preview puts a fingerprint
of the draft and a one-time value from the session into the form; a changed draft, a
repeated submit or a reloaded POST shows the preview again instead of sending twice.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from events.extensions import db
from events.services import broadcast_log, broadcasts
from events.services.errors import InvalidInput, NotFound
from events.web.organiser.forms.messages import MessageForm

bp = Blueprint("messages", __name__, url_prefix="/nachrichten")
NONCE_KEY = "message_preview"


def _page_number() -> int:
    value = request.args.get("seite", "1")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 7 else 1


@bp.get("/")
def index():
    """Sent messages, newest first, and the workshops one can write to."""
    sent, pages = broadcast_log.listing(_page_number())
    page = min(_page_number(), pages)
    return render_template("organiser/messages/index.html", sent=sent, page=page, pages=pages,
                           workshops=broadcasts.workshop_choices())


@bp.get("/<int:broadcast_id>")
def detail(broadcast_id: int):
    """A sent message: its text, its recipients and each copy's delivery state."""
    try:
        broadcast, deliveries = broadcast_log.get(broadcast_id)
    except NotFound:
        abort(404)
    return render_template("organiser/messages/detail.html", broadcast=broadcast,
                           deliveries=deliveries)


def _workshop(workshop_id: int):
    try:
        return broadcasts.workshop_or_404(workshop_id)
    except NotFound:
        abort(404)


def _draft(workshop_id: int, form: MessageForm) -> broadcasts.Draft:
    return broadcasts.Draft(
        workshop_id=workshop_id, audience=form.audience.data or "",
        subject=form.subject.data or "",
        body=(form.body.data or "").replace("\r\n", "\n"),
        selection=broadcasts.parse_ids(form.selection.data or []))


def _seal(draft: broadcasts.Draft, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{nonce}:{draft.digest()}".encode(), hashlib.sha256).hexdigest()


def _compose_page(workshop, form, people, status: int = 200):
    return render_template("organiser/messages/compose.html", workshop=workshop, form=form,
                           people=people, placeholders=broadcasts.PLACEHOLDERS,
                           subject_max=broadcasts.SUBJECT_MAX,
                           body_max=broadcasts.BODY_MAX), status


@bp.route("/workshop/<int:workshop_id>", methods=["GET", "POST"])
def compose(workshop_id: int):
    """GET: the form (``?auswahl=<id>`` preselects people). POST ``step``: ``preview``
    (check and render for the first recipient), ``edit`` (back to the form) or ``send``."""
    workshop = _workshop(workshop_id)
    people = broadcasts.candidates(workshop.id)
    form = MessageForm()
    if request.method == "GET":
        chosen = broadcasts.parse_ids(request.args.getlist("auswahl"))
        if chosen:
            form.audience.data = "selection"
            form.selection.data = [str(i) for i in chosen]
        return _compose_page(workshop, form, people)
    if not form.validate_on_submit():
        form.show_errors(form.field_errors())
        return _compose_page(workshop, form, people, 400)
    draft = _draft(workshop.id, form)
    form.selection.data = [str(i) for i in draft.selection]
    step = request.form.get("step", "preview")
    if step == "edit":
        return _compose_page(workshop, form, people)
    notice = None
    try:
        if step == "send":
            nonce = session.get(NONCE_KEY)
            if nonce and hmac.compare_digest(_seal(draft, nonce), form.digest.data or ""):
                broadcast = broadcasts.send(current_user, draft)
                db.session.commit()
                session.pop(NONCE_KEY, None)
                count = len(broadcast.recipients or [])
                flash(ngettext("Die Nachricht wurde für %(num)d Person in den Versand gegeben.",
                               "Die Nachricht wurde für %(num)d Personen in den Versand "
                               "gegeben.", count), "success")
                return redirect(url_for(".detail", broadcast_id=broadcast.id), 303)
            notice = _("Nichts gesendet: Die Nachricht wurde schon gesendet oder seit der "
                       "Vorschau geändert. Bitte prüfen Sie die Vorschau und senden Sie dann.")
        result = broadcasts.preview(draft)
    except InvalidInput as error:
        db.session.rollback()
        form.show_errors(error.errors)
        return _compose_page(workshop, form, people, 422)
    nonce = secrets.token_urlsafe(16)
    session[NONCE_KEY] = nonce
    form.digest.data = _seal(draft, nonce)
    return render_template("organiser/messages/preview.html", workshop=workshop, form=form,
                           result=result, draft=draft, notice=notice)
