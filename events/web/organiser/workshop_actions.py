"""Actions on one workshop: publish, unpublish, duplicate, cancel (routes of ``workshops``).

Each is a POST with a CSRF token; refusals of the services (``StateConflict``) are
flashed on the workshop's page, nothing is saved then. Cancelling takes two steps:
the reason, then a confirmation page that says how many people will be told.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from events.extensions import db
from events.models import Workshop
from events.services import workshop_editing, workshop_overview, workshop_status
from events.services.errors import DomainError, InvalidInput
from events.web.forms import ActionForm
from events.web.organiser.forms.workshops import CancelForm, DuplicateForm, local_fields


def attach(bp: Blueprint, workshop_or_404: Callable[[int], Workshop]) -> None:
    """Add the action routes to the workshops blueprint."""

    def _run(workshop_id: int, action: Callable[[], object], success: str):
        workshop_or_404(workshop_id)
        if not ActionForm().validate_on_submit():
            abort(400)
        try:
            action()
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(success, "success")
        return redirect(url_for(".detail", workshop_id=workshop_id), 303)

    @bp.post("/<int:workshop_id>/veroeffentlichen")
    def publish(workshop_id: int):
        return _run(workshop_id, lambda: workshop_status.publish(current_user, workshop_id),
                    _("Der Workshop ist veröffentlicht und steht im Katalog."))

    @bp.post("/<int:workshop_id>/zurueckziehen")
    def unpublish(workshop_id: int):
        return _run(workshop_id, lambda: workshop_status.unpublish(current_user, workshop_id),
                    _("Der Workshop ist wieder ein Entwurf und nicht mehr öffentlich."))

    @bp.route("/<int:workshop_id>/duplizieren", methods=["GET", "POST"])
    def duplicate(workshop_id: int):
        """A copy for the next date: moved by weeks or to a given date (a new draft)."""
        source = workshop_or_404(workshop_id)
        form = DuplicateForm()
        if request.method == "GET":
            form.starts_at_time.data = local_fields(source.starts_at)[1]
            return render_template("organiser/workshops/duplicate.html", form=form,
                                   workshop=source)
        if not form.validate_on_submit():
            abort(400)
        when, errors = form.parsed()
        try:
            if errors or None in when.values():
                raise InvalidInput(errors)
            copy = workshop_editing.duplicate(current_user, workshop_id, **when)
        except InvalidInput as error:
            db.session.rollback()
            form.show_errors({("starts_at_date" if key == "starts_at" else key): value
                              for key, value in error.errors.items()})
            return render_template("organiser/workshops/duplicate.html", form=form,
                                   workshop=source), 422
        db.session.commit()
        flash(_("Die Kopie ist als Entwurf angelegt. Prüfen Sie Termin und Anmeldefenster."),
              "success")
        return redirect(url_for(".detail", workshop_id=copy.id), 303)

    @bp.route("/<int:workshop_id>/absagen", methods=["GET", "POST"])
    def cancel(workshop_id: int):
        """Step 1: the reason; step 2: confirm (the count of people told); then cancel."""
        workshop = workshop_or_404(workshop_id)
        row = workshop_overview.row(workshop.id)
        form = CancelForm()

        def page(step: str, status: int = 200):
            return render_template("organiser/workshops/cancel.html", form=form,
                                   workshop=workshop, row=row, step=step), status

        if workshop.is_cancelled:
            flash(_("Dieser Workshop ist bereits abgesagt."), "error")
            return redirect(url_for(".detail", workshop_id=workshop.id), 303)
        if request.method == "GET":
            return page("reason")
        if not form.validate_on_submit():
            abort(400)
        if not (form.reason.data or "").strip():
            form.show_errors({"reason": _("Bitte geben Sie einen Grund an; er steht in der "
                                          "E-Mail an alle Angemeldeten.")})
            return page("reason", 422)
        if form.confirmed.data != "1":
            form.confirmed.data = "1"
            return page("confirm")
        try:
            told = workshop_status.cancel(current_user, workshop_id, form.reason.data or "")
        except InvalidInput as error:
            db.session.rollback()
            form.confirmed.data = ""
            form.show_errors(error.errors)
            return page("reason", 422)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for(".detail", workshop_id=workshop_id), 303)
        db.session.commit()
        flash(ngettext("Der Workshop ist abgesagt; %(num)d Anmeldung wurde per E-Mail "
                       "informiert.", "Der Workshop ist abgesagt; %(num)d Anmeldungen wurden "
                       "per E-Mail informiert.", told), "success")
        return redirect(url_for(".detail", workshop_id=workshop_id), 303)
