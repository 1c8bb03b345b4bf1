"""Programme settings (admin only — the gate checks ``manage_programme``).

Name, total cap, default registration window of new workshops, contact. The cap is
a seat rule: ``services.programme_settings.save`` changes it under the programme
lock (raising promotes from the waiting list; below the current holders refused).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from events.extensions import db
from events.services import catalogue, programme_settings
from events.services.errors import InvalidInput
from events.web.organiser.forms.programme import ProgrammeForm

bp = Blueprint("programme", __name__, url_prefix="/programm")


def _page(form: ProgrammeForm, programme, status: int = 200):
    figures = catalogue.programme_figures(programme) if programme else None
    return render_template("organiser/programme/settings.html", form=form,
                           programme=programme, figures=figures), status


@bp.route("/", methods=["GET", "POST"])
def settings():
    """Show and save the settings; the first save creates the programme if there is none."""
    programme = catalogue.current_programme()
    form = ProgrammeForm()
    if request.method == "GET":
        form.fill(programme or programme_settings.defaults())
        return _page(form, programme)
    if not form.validate_on_submit():
        abort(400)
    data, errors = form.parsed()
    try:
        if data is None:
            raise InvalidInput(errors)
        programme_settings.save(current_user, programme.id if programme else None, data)
    except InvalidInput as error:
        db.session.rollback()
        form.show_errors(error.errors)
        return _page(form, catalogue.current_programme(), 422)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    flash(_("Die Einstellungen sind gespeichert."), "success")
    return redirect(url_for(".settings"), 303)
