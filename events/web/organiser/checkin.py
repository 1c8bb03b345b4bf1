"""Check-in on the day, made for a phone: pick a workshop, find the person, tap "Da".

The search is a GET form (``?q=``) that works without JavaScript; ``checkin.js``
filters the same list as one types. Each tap is a POST (CSRF) that redirects back
to the list with the search kept and the person's row as the anchor.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from events import formatting
from events.extensions import db
from events.models import Workshop, utcnow
from events.services import attendance
from events.services.errors import DomainError
from events.web.organiser.forms.checkin import MAX_QUERY, CheckInForm

bp = Blueprint("checkin", __name__, url_prefix="/check-in")

#: Ids beyond a 32-bit integer exist nowhere; the URL answers 404 before the database.
ID = "int(max=2147483647)"


@bp.get("/")
def index():
    """Today's and upcoming workshops to pick, and those of the last two weeks."""
    current, recent = attendance.workshops_to_pick()
    figures = attendance.counts([w.id for w in current + recent])
    return render_template("organiser/checkin/index.html", current=current, recent=recent,
                           figures=figures, empty=attendance.Figures(0, 0, 0))


@bp.get(f"/workshop/<{ID}:workshop_id>")
def workshop(workshop_id: int):
    """The confirmed participants with the search box and one button each."""
    item = db.session.get(Workshop, workshop_id) or abort(404)
    query = request.args.get("q", "").strip()[:MAX_QUERY]
    rows = attendance.roster(workshop_id, query)
    return render_template(
        "organiser/checkin/workshop.html", workshop=item, rows=rows, query=query,
        figures=attendance.figures(workshop_id), total=len(attendance.roster(workshop_id))
        if query else len(rows), search_text=attendance.search_text, since=_since)


def _since(moment) -> str:
    """"20:27 Uhr" for a check-in today, the full date and time otherwise."""
    if formatting.local(moment).date() == formatting.local(utcnow()).date():
        return f"{formatting.local(moment):%H:%M} Uhr"
    return formatting.format_datetime(moment)


@bp.post(f"/workshop/<{ID}:workshop_id>/<{ID}:registration_id>/da")
def arrive(workshop_id: int, registration_id: int):
    return _act(workshop_id, registration_id, attendance.check_in)


@bp.post(f"/workshop/<{ID}:workshop_id>/<{ID}:registration_id>/rueckgaengig")
def undo(workshop_id: int, registration_id: int):
    return _act(workshop_id, registration_id, attendance.undo)


def _act(workshop_id: int, registration_id: int, action):
    form = CheckInForm()
    if not form.validate_on_submit():  # the CSRF token; CSRFProtect answers 400 before this
        abort(400)
    try:
        registration, changed = action(workshop_id, registration_id, current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".workshop", workshop_id=workshop_id, q=form.query or None),
                        303)
    name = registration.participant.name
    if action is attendance.check_in:
        flash(_("%(name)s ist da.", name=name) if changed
              else _("%(name)s war schon eingecheckt.", name=name), "success")
    else:
        flash(_("Check-in von %(name)s zurückgenommen.", name=name) if changed
              else _("%(name)s war nicht eingecheckt.", name=name), "success")
    return redirect(url_for(".workshop", workshop_id=workshop_id, q=form.query or None,
                            _anchor=f"person-{registration_id}"), 303)
