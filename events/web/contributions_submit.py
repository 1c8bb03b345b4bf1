"""Submitting a practice example without an account, and the submitter's private link.

HTTP only: the rules are in ``services.contributions``. Opening the private link
only shows a page; verifying and withdrawing are POST forms (mail scanners open
every link). The submit form takes files: its request may be larger than the
app's ``MAX_CONTENT_LENGTH`` (five files of 10 MB), and only this route's.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from events.extensions import db, limiter
from events.models import ContributionState
from events.services import attachments, contributions, markdown
from events.services.contribution_input import choices, submission_of
from events.services.errors import DomainError, InvalidInput
from events.web.common import registration_limit, security_headers
from events.web.downloads import download
from events.web.forms import ActionForm
from events.web.forms_contributions import EditContributionForm, SubmitContributionForm

bp = Blueprint("contribution_submit", __name__, url_prefix="/praxisbeispiele")
bp.after_request(security_headers)

#: Five files of 10 MB and the text fields.
UPLOAD_LIMIT = attachments.MAX_FILES * attachments.MAX_BYTES + 1024 * 1024
DONE_KEY = "contribution_submitted"


@bp.url_value_preprocessor
def _allow_files(endpoint, values):
    """Runs before CSRFProtect reads the form: only the submit form takes large bodies."""
    if endpoint == "contribution_submit.submit" and request.method == "POST":
        request.max_content_length = UPLOAD_LIMIT


def _form_page(form, status: int = 200):
    form.fill_choices(*choices())
    return render_template("contributions/submit.html", form=form,
                           endings=attachments.accepted_endings(),
                           max_files=attachments.MAX_FILES), status


@bp.get("/einreichen")
def submit_form():
    return _form_page(SubmitContributionForm())


@bp.post("/einreichen")
@limiter.limit(registration_limit)
def submit():
    """Store the contribution and mail the private link; errors → the form again (422)."""
    form = SubmitContributionForm()
    if not form.validate_on_submit():
        form.show_errors(form.field_errors())
        return _form_page(form, 422)
    uploads = [attachments.Upload(f.filename or "", f.read(attachments.MAX_BYTES + 1))
               for f in request.files.getlist(form.attachments.name) if f and f.filename]
    try:
        contributions.submit(form.submission(), uploads)
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        form.show_errors(error.errors)
        return _form_page(form, 422)
    except Exception:
        db.session.rollback()
        raise
    session[DONE_KEY] = True
    return redirect(url_for("contribution_submit.submitted", _anchor="inhalt"), 303)


@bp.get("/einreichen/danke")
def submitted():
    if not session.pop(DONE_KEY, False):
        return redirect(url_for("contribution_submit.submit_form"))
    return render_template("contributions/submitted.html")


# --- the private link ------------------------------------------------------------------


@bp.after_request
def _private(response):
    if request.view_args and "token" in request.view_args:
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _invalid():
    return render_template("contributions/invalid_link.html"), 404


def _private_page(contribution, token: str, *, ask_withdraw: bool = False):
    return render_template(
        "contributions/private.html", contribution=contribution, token=token,
        form=ActionForm(), ask_withdraw=ask_withdraw, S=ContributionState,
        description_html=markdown.render(contribution.description),
        revision=contributions.pending_revision(contribution))


@bp.get("/link/<token>")
def private(token: str):
    try:
        contribution = contributions.by_token(token)
    except DomainError:
        return _invalid()
    return _private_page(contribution, token,
                         ask_withdraw=request.args.get("zurueckziehen") == "1")


@bp.post("/link/<token>/bestaetigen")
def verify(token: str):
    return _act(token, "verify")


@bp.post("/link/<token>/zurueckziehen")
def withdraw(token: str):
    return _act(token, "withdraw")


def _act(token: str, action: str):
    try:
        contribution = contributions.by_token(token)
    except DomainError:
        return _invalid()
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        if action == "verify":
            contributions.verify(contribution)
            flash(_("Vielen Dank! Ihre E-Mail-Adresse ist bestätigt. Wir sehen uns Ihr "
                    "Praxisbeispiel an und melden uns per E-Mail."), "success")
        else:
            contributions.withdraw(contribution)
            flash(_("Ihr Praxisbeispiel ist zurückgezogen. Es erscheint nicht (mehr) "
                    "öffentlich."), "success")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("contribution_submit.private", token=token), 303)


def _edit_page(contribution, token: str, form, status: int = 200):
    form.fill_choices(*choices())
    return render_template("contributions/edit.html", contribution=contribution, token=token,
                           form=form, S=ContributionState), status


@bp.get("/link/<token>/bearbeiten")
def edit_form(token: str):
    try:
        contribution = contributions.by_token(token)
    except DomainError:
        return _invalid()
    form = EditContributionForm()
    revision = contributions.pending_revision(contribution)
    if revision is not None:  # go on from the waiting change, not from the public text
        from events.services.contribution_input import submission_from
        form.fill_from(submission_from(revision.data))
    else:
        form.fill_from(submission_of(contribution))
    return _edit_page(contribution, token, form)


@bp.post("/link/<token>/bearbeiten")
@limiter.limit(registration_limit)
def edit(token: str):
    try:
        contribution = contributions.by_token(token)
    except DomainError:
        return _invalid()
    form = EditContributionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        revision = contributions.edit(contribution, form.submission())
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        form.show_errors(error.errors)
        return _edit_page(contribution, token, form, 422)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("contribution_submit.private", token=token), 303)
    if revision is not None:
        flash(_("Danke! Ihre Änderungen werden geprüft; bis dahin bleibt die veröffentlichte "
                "Fassung sichtbar."), "success")
    else:
        flash(_("Ihre Änderungen sind gespeichert."), "success")
    return redirect(url_for("contribution_submit.private", token=token), 303)


@bp.get("/link/<token>/anhang/<int:attachment_id>")
def attachment(token: str, attachment_id: int):
    """The submitter's own file, as a download (never shown inline)."""
    try:
        contribution = contributions.by_token(token)
    except DomainError:
        return _invalid()
    item = next((a for a in contribution.attachments if a.id == attachment_id), None)
    if item is None:
        abort(404)
    return download(item)
