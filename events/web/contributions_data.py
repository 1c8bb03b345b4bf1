"""The submitter's own data from the private link (Art. 15, 17, 20 DSGVO): download the
contribution as JSON, erase it, or — when published — keep the example but remove every
trace of the submitter (anonymise). Routes on the ``contribution_submit`` blueprint;
rules in ``services.subject_rights_contributions``. POSTs carry a CSRF token and a tick.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from events.extensions import db
from events.services import audit, contributions
from events.services import subject_rights_contributions as rights
from events.services.errors import DomainError
from events.web.contributions_submit import bp
from events.web.downloads import json_download
from events.web.forms_contributions import EraseContributionForm


def _contribution(token: str):
    try:
        return contributions.by_token(token)
    except DomainError:
        return None


@bp.get("/link/<token>/meine-daten.json")
def export(token: str):
    contribution = _contribution(token)
    if contribution is None:
        return render_template("contributions/invalid_link.html"), 404
    return json_download(rights.export(contribution), "mein-praxisbeispiel.json")


def _page(contribution, token: str, form, status: int = 200):
    return render_template("contributions/erase.html", contribution=contribution,
                           token=token, form=form), status


@bp.route("/link/<token>/loeschen", methods=["GET", "POST"])
def erase(token: str):
    """GET: the choice; POST: delete (or ``?anonymisieren=1`` for a published example)."""
    return _erase_or_anonymise(token, anonymise=False)


@bp.post("/link/<token>/anonymisieren")
def anonymise(token: str):
    return _erase_or_anonymise(token, anonymise=True)


def _erase_or_anonymise(token: str, *, anonymise: bool):
    contribution = _contribution(token)
    if contribution is None:
        return render_template("contributions/invalid_link.html"), 404
    form = EraseContributionForm()
    if not form.is_submitted():
        return _page(contribution, token, form)
    if not form.validate_on_submit():
        form.show_errors({"csrf_token": _("Das Formular ist abgelaufen. Bitte versuchen Sie "
                                          "es noch einmal.")})
        return _page(contribution, token, form, 400)
    if not form.confirm.data:
        form.show_errors({"confirm": _("Bitte bestätigen Sie Ihre Wahl.")})
        return _page(contribution, token, form, 422)
    contribution_id = contribution.id
    try:
        if anonymise:
            rights.anonymise(contribution)
        else:
            rights.erase(contribution)
    except DomainError as error:
        db.session.rollback()
        form.show_errors({"_": str(error)})
        return _page(contribution, token, form, error.status)
    action = "contribution.anonymise" if anonymise else "contribution.erase"
    audit.record(None, action, "contribution", contribution_id,
                 f"Auf Wunsch der einreichenden Person "
                 f"{'anonymisiert' if anonymise else 'gelöscht'}: Praxisbeispiel "
                 f"#{contribution_id}")
    db.session.commit()
    return redirect(url_for("contribution_submit.erased",
                            anonymisiert=1 if anonymise else None), 303)


@bp.get("/geloescht")
def erased():
    return render_template("contributions/erased.html",
                           anonymised=request.args.get("anonymisiert") == "1")
