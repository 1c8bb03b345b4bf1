"""The person's own data from the personal link (Art. 15, 17, 20 DSGVO): download it as
JSON, or erase it after a confirmation. Routes on the ``registration`` blueprint (its
``after_request`` keeps these pages private); rules in ``services.subject_rights``.

The download is a GET (it changes nothing); the erasure is a POST with a CSRF token and
a ticked confirmation, answered with a redirect to a page that no longer needs the link.
"""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import gettext as _

from events.extensions import db
from events.models import ENDED
from events.services import subject_rights, tokens
from events.services.errors import NotFound
from events.web.downloads import json_download
from events.web.forms import EraseDataForm
from events.web.registration import bp


@bp.get("/anmeldung/<token>/meine-daten.json")
def export(token: str):
    registration = tokens.registration_for(token)  # InvalidLink: the 404 page
    return json_download(subject_rights.export(registration.participant_id),
                         "meine-daten-praxisaustausch.json")


def _erase_page(registration, token: str, form: EraseDataForm, status: int = 200):
    registrations = registration.participant.registrations
    return render_template(
        "registration/erase.html", registration=registration, token=token, form=form,
        participant=registration.participant,
        active=[r for r in registrations if r.status not in ENDED]), status


@bp.route("/anmeldung/<token>/loeschen", methods=["GET", "POST"])
def erase(token: str):
    """GET: what erasing means; POST (ticked confirmation): cancel, delete, say so."""
    registration = tokens.registration_for(token)  # InvalidLink: the 404 page
    form = EraseDataForm()
    if not form.is_submitted():
        return _erase_page(registration, token, form)
    if not form.validate_on_submit():
        form.show_errors({"csrf_token": _("Das Formular ist abgelaufen. Bitte versuchen Sie "
                                          "es noch einmal.")})
        return _erase_page(registration, token, form, 400)
    if not form.confirmed():
        return _erase_page(registration, token, form, 422)
    try:
        done = subject_rights.erase(registration.participant_id)
    except NotFound:  # erased meanwhile (a second tab)
        db.session.rollback()
        return redirect(url_for("registration.erased"), 303)
    subject_rights.record_request(None, "participant.erase", done.participant_id,
                                  _("Auf eigenen Wunsch über den persönlichen Link"),
                                  done.registrations, cancelled=done.cancelled)
    db.session.commit()
    return redirect(url_for("registration.erased"), 303)


@bp.get("/anmeldung/geloescht")
def erased():
    return render_template("registration/erased.html")
