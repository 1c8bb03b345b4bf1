"""Workshops in the back office: list, create, the workshop's page, edit, preview.

HTTP only: the rules are ``services.workshop_editing`` (create, save under one lock,
every change audited) and ``services.workshops``. One request, one commit; a refused
value rolls everything back and the form comes again with the input kept (422).
Actions (publish, duplicate, cancel …) are in ``workshop_actions``, themes in
``workshop_themes``; both add their routes to this blueprint.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from events.extensions import db
from events.models import Workshop, utcnow
from events.services import catalogue, themes, workshop_editing, workshop_overview
from events.services.catalogue import Availability
from events.services.errors import DomainError, InvalidInput
from events.services.workshop_editing import WorkshopInput
from events.web.forms import ActionForm, RegistrationForm
from events.web.organiser import workshop_actions, workshop_themes
from events.web.organiser.forms.workshops import WorkshopForm, parse_int

bp = Blueprint("workshops", __name__, url_prefix="/workshops")


def workshop_or_404(workshop_id: int) -> Workshop:
    """The workshop; 404 for unknown ids (also ones too large for the database)."""
    workshop = db.session.get(Workshop, workshop_id) if 0 < workshop_id < 2**31 else None
    if workshop is None:
        abort(404)
    return workshop


def _theme_choices() -> list[tuple[str, str]]:
    return [("", _("Bitte wählen"))] + [(str(t.id), t.name) for t in themes.ordered()]


@bp.get("/")
def index():
    """All workshops with their figures; filter by status and theme (unknown values: none)."""
    status = request.args.get("status", "")
    status = status if status in workshop_overview.STATUS_FILTERS else ""
    all_themes = themes.ordered()
    theme_id = parse_int(request.args.get("theme", ""))
    theme_id = theme_id if any(t.id == theme_id for t in all_themes) else None
    return render_template(
        "organiser/workshops/index.html", rows=workshop_overview.rows(
            status=status or None, theme_id=theme_id),
        themes=all_themes, status=status, theme_id=theme_id, now=utcnow(),
        programme=catalogue.current_programme())


def _problems_besides_dates(form: WorkshopForm, programme) -> dict[str, str]:
    """When dates or numbers cannot be read, the other fields' messages all the same."""
    start = utcnow() + timedelta(days=365)
    placeholder = WorkshopInput(
        title=form.title.data or "", theme_id=parse_int(form.theme_id.data or ""),
        description=form.description.data or "", starts_at=start,
        ends_at=start + timedelta(hours=1), venue_name=form.venue_name.data or "",
        venue_address=form.venue_address.data or "", online_url=form.online_url.data or "",
        capacity=0).cleaned()
    found = workshop_editing.problems(placeholder, programme, now=utcnow())
    return {key: value for key, value in found.items() if key in (
        "title", "theme_id", "description", "venue_name", "venue_address", "online_url")}


def _submitted(form: WorkshopForm, programme, save) -> tuple[object, dict[str, str]]:
    """Parse, call ``save(data)`` and commit; on refusal roll back and return the messages."""
    data, errors = form.parsed()
    try:
        if data is None:
            raise InvalidInput({**_problems_besides_dates(form, programme), **errors})
        result = save(data)
    except InvalidInput as error:
        db.session.rollback()
        return None, dict(error.errors)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return result, {}


@bp.route("/neu", methods=["GET", "POST"])
def create():
    """A new workshop, saved as a draft; then its page."""
    programme = catalogue.current_programme()
    form = WorkshopForm()
    form.theme_id.choices = _theme_choices()
    missing = None
    if programme is None:
        missing = _("Es gibt noch kein Programm. Eine Administratorin oder ein Administrator "
                    "legt es unter „Programm“ an.")
    elif len(form.theme_id.choices) == 1:
        missing = _("Es gibt noch kein Thema. Legen Sie zuerst ein Thema an.")
    if missing:
        return render_template("organiser/workshops/form.html", form=form, workshop=None,
                               programme=programme, missing=missing), (
            409 if request.method == "POST" else 200)
    if request.method == "GET":
        form.capacity.data = "20"
        return render_template("organiser/workshops/form.html", form=form, workshop=None,
                               programme=programme)
    if not form.validate_on_submit():
        abort(400)
    workshop, errors = _submitted(
        form, programme, lambda data: workshop_editing.create(current_user, programme, data))
    if errors:
        form.show_errors(errors)
        return render_template("organiser/workshops/form.html", form=form, workshop=None,
                               programme=programme), 422
    flash(_("Der Workshop ist als Entwurf gespeichert. Prüfen Sie die Vorschau und "
            "veröffentlichen Sie ihn, wenn alles stimmt."), "success")
    return redirect(url_for(".detail", workshop_id=workshop.id), 303)


@bp.get("/<int:workshop_id>")
def detail(workshop_id: int):
    """The workshop's page in the back office: data, figures, actions, latest changes."""
    workshop = workshop_or_404(workshop_id)
    return render_template(
        "organiser/workshops/detail.html", workshop=workshop,
        row=workshop_overview.row(workshop.id), history=workshop_overview.history(workshop.id),
        action_form=ActionForm(), now=utcnow(),
        public_state=workshop_overview.state_if_published(workshop))


@bp.route("/<int:workshop_id>/bearbeiten", methods=["GET", "POST"])
def edit(workshop_id: int):
    """Edit every field; participants are told about time, place, link and title."""
    workshop = workshop_or_404(workshop_id)
    if workshop.is_cancelled:
        flash(_("Ein abgesagter Workshop kann nicht mehr geändert werden."), "error")
        return redirect(url_for(".detail", workshop_id=workshop.id), 303)
    programme = workshop.programme
    form = WorkshopForm()
    form.theme_id.choices = _theme_choices()
    if request.method == "GET":
        form.fill(workshop, workshop_editing.default_window(programme, workshop.starts_at))
        return render_template("organiser/workshops/form.html", form=form, workshop=workshop,
                               programme=programme)
    if not form.validate_on_submit():
        abort(400)
    try:
        told, errors = _submitted(form, programme, lambda data: workshop_editing.save(
            current_user, workshop_id, data))
    except DomainError as error:  # cancelled meanwhile, or gone
        flash(str(error), "error")
        return redirect(url_for(".detail", workshop_id=workshop_id), 303)
    if errors:
        form.show_errors(errors)
        workshop = workshop_or_404(workshop_id)
        return render_template("organiser/workshops/form.html", form=form, workshop=workshop,
                               programme=workshop.programme), 422
    flash(_("Die Änderungen sind gespeichert."), "success")
    if told:
        flash(_("Alle Angemeldeten wurden per E-Mail informiert: %(changes)s",
                changes="; ".join(told)), "success")
    return redirect(url_for(".detail", workshop_id=workshop_id), 303)


@bp.get("/<int:workshop_id>/vorschau")
def preview(workshop_id: int):
    """The public page of the workshop as it will look once published, marked "Vorschau"."""
    workshop = workshop_or_404(workshop_id)
    row = workshop_overview.row(workshop.id)
    item = Availability(workshop, row.held, row.waitlisted,
                        workshop_overview.state_if_published(workshop))
    return render_template("organiser/workshops/preview.html", item=item, workshop=workshop,
                           form=RegistrationForm(), closed_message=None,
                           figures=catalogue.programme_figures(workshop.programme))


workshop_actions.attach(bp, workshop_or_404)
workshop_themes.attach(bp)
