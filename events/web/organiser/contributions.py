"""Moderation of the practice exchange (``/organiser/praxisbeispiele``).

HTTP only: every decision is a service call in ``contribution_moderation`` (which
writes the audit entry), then one commit. Service errors are flashed or shown
next to the field; never a 500.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from events.extensions import db
from events.models import ContributionState, Workshop
from events.services import contribution_moderation as moderation
from events.services import contributions, markdown
from events.services.contribution_input import choices, submission_of
from events.services.errors import DomainError, InvalidInput
from events.web.downloads import download
from events.web.forms import ActionForm
from events.web.organiser.forms.contributions import (
    FeatureForm,
    ModerationEditForm,
    ReturnForm,
    WorkshopsForm,
)

bp = Blueprint("contributions", __name__, url_prefix="/praxisbeispiele")

FILTER_LABELS = {
    "": _l("Zu prüfen"), "submitted": _l("Eingereicht"), "published": _l("Veröffentlicht"),
    "returned": _l("Zurückgegeben"), "withdrawn": _l("Zurückgezogen"),
    "unverified": _l("E-Mail unbestätigt"), "all": _l("Alle"),
}


@bp.get("/")
def index():
    state = request.args.get("status", "")
    if state not in moderation.FILTERS:
        state = ""
    return render_template("organiser/contributions/index.html",
                           items=moderation.queue(state), state=state,
                           filters=[(key, str(label)) for key, label in FILTER_LABELS.items()],
                           S=ContributionState)


def _detail_page(contribution_id: int, *, return_form=None, status: int = 200):
    contribution = moderation.get(contribution_id)
    workshops_form = WorkshopsForm()
    all_workshops = db.session.scalars(select(Workshop).order_by(Workshop.starts_at)).all()
    workshops_form.workshops.choices = [(w.id, w.title) for w in all_workshops]
    if request.method == "GET":
        workshops_form.workshops.data = [w.id for w in contribution.workshops]
    revision = contributions.pending_revision(contribution)
    return render_template(
        "organiser/contributions/detail.html", contribution=contribution,
        description_html=markdown.render(contribution.description), S=ContributionState,
        action_form=ActionForm(), return_form=return_form or ReturnForm(),
        feature_form=FeatureForm(), workshops_form=workshops_form, revision=revision,
        revision_html=markdown.render(revision.data.get("description", ""))
        if revision else None), status


@bp.get("/<int:contribution_id>")
def detail(contribution_id: int):
    return _detail_page(contribution_id)


def _decided(contribution_id: int, call, message: str):
    """Run one decision; commit; flash the outcome; back to the detail page."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        call()
        db.session.commit()
        flash(message, "success")
    except InvalidInput as error:
        db.session.rollback()
        flash(" ".join(map(str, error.errors.values())), "error")
    except DomainError as error:
        db.session.rollback()
        if error.status == 404:
            raise
        flash(str(error), "error")
    return redirect(url_for("organiser.contributions.detail",
                            contribution_id=contribution_id), 303)


@bp.post("/<int:contribution_id>/veroeffentlichen")
def publish(contribution_id: int):
    return _decided(contribution_id, lambda: moderation.publish(current_user, contribution_id),
                    _("Das Praxisbeispiel ist veröffentlicht; die Einreichenden wurden "
                      "benachrichtigt."))


@bp.post("/<int:contribution_id>/zuruecknehmen")
def unpublish(contribution_id: int):
    return _decided(contribution_id, lambda: moderation.unpublish(current_user, contribution_id),
                    _("Die Veröffentlichung ist zurückgenommen; das Praxisbeispiel wartet "
                      "wieder auf Prüfung."))


@bp.post("/<int:contribution_id>/startseite")
def feature(contribution_id: int):
    wanted = bool(FeatureForm().featured.data)
    return _decided(contribution_id,
                    lambda: moderation.set_featured(current_user, contribution_id, wanted),
                    _("Das Praxisbeispiel erscheint auf der Startseite.") if wanted
                    else _("Das Praxisbeispiel erscheint nicht mehr auf der Startseite."))


@bp.post("/<int:contribution_id>/workshops")
def workshops(contribution_id: int):
    form = WorkshopsForm()
    ids = list(form.workshops.data or [])
    return _decided(contribution_id,
                    lambda: moderation.set_workshops(current_user, contribution_id, ids),
                    _("Die Workshops sind gespeichert."))


@bp.post("/<int:contribution_id>/aenderungen/<int:revision_id>/uebernehmen")
def accept_revision(contribution_id: int, revision_id: int):
    return _decided(contribution_id, lambda: moderation.accept_revision(
        current_user, contribution_id, revision_id), _("Die Änderungen sind übernommen."))


@bp.post("/<int:contribution_id>/aenderungen/<int:revision_id>/ablehnen")
def reject_revision(contribution_id: int, revision_id: int):
    return _decided(contribution_id, lambda: moderation.reject_revision(
        current_user, contribution_id, revision_id), _("Die Änderungen sind abgelehnt."))


@bp.post("/<int:contribution_id>/zurueckgeben")
def return_(contribution_id: int):
    """Send back with a comment; an empty comment → the page again with the message (422)."""
    form = ReturnForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        moderation.return_to_submitter(current_user, contribution_id, form.comment.data or "")
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        form.show_errors(error.errors)
        return _detail_page(contribution_id, return_form=form, status=422)
    except DomainError as error:
        db.session.rollback()
        if error.status == 404:
            raise
        flash(str(error), "error")
        return redirect(url_for("organiser.contributions.detail",
                                contribution_id=contribution_id), 303)
    flash(_("Das Praxisbeispiel ist zurückgegeben; die Einreichenden haben Ihre Rückfrage "
            "per E-Mail erhalten."), "success")
    return redirect(url_for("organiser.contributions.detail", contribution_id=contribution_id),
                    303)


def _edit_page(contribution, form, status: int = 200):
    form.fill_choices(*choices())
    return render_template("organiser/contributions/edit.html", contribution=contribution,
                           form=form), status


@bp.get("/<int:contribution_id>/bearbeiten")
def edit_form(contribution_id: int):
    contribution = moderation.get(contribution_id)
    form = ModerationEditForm()
    form.fill_from(submission_of(contribution))
    return _edit_page(contribution, form)


@bp.post("/<int:contribution_id>/bearbeiten")
def edit(contribution_id: int):
    contribution = moderation.get(contribution_id)
    form = ModerationEditForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        moderation.update(current_user, contribution_id, form.submission())
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        form.show_errors(error.errors)
        return _edit_page(contribution, form, 422)
    flash(_("Die Änderungen sind gespeichert."), "success")
    return redirect(url_for("organiser.contributions.detail", contribution_id=contribution_id),
                    303)


@bp.get("/<int:contribution_id>/anhang/<int:attachment_id>")
def attachment(contribution_id: int, attachment_id: int):
    contribution = moderation.get(contribution_id)
    item = next((a for a in contribution.attachments if a.id == attachment_id), None)
    if item is None:
        abort(404)
    return download(item)
