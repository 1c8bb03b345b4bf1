"""Seat actions of the attendee lists: one registration's page with its POST forms, and
adding a person by hand. Routes on the ``attendees`` blueprint; rules in
``services.seat_admin``. Every form carries a CSRF token (refused with 400 without);
a rule that says no is flashed (state) or shown at its field (input), never a 500.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from events.extensions import db
from events.models import Registration, Workshop, WorkshopStatus, utcnow
from events.services import attendee_lists, permissions, seat_admin, subject_rights
from events.services.errors import DomainError, InvalidInput, NotFound
from events.services.seat_admin import MAX_ID
from events.web.downloads import json_download
from events.web.organiser.attendees import bp, workshop_detail_url
from events.web.organiser.forms.attendees import (
    AddParticipantForm,
    CancelForm,
    DataRequestForm,
    MoveForm,
    SeatForm,
)

REG = f"/anmeldung/<int(max={MAX_ID}):registration_id>"
#: Several forms share one page: prefixes keep their field ids apart. The page's forms
#: send the plain ``csrf_token``, which CSRFProtect checks before any view runs.
PREFIX = {"cancel": "storno", "seat": "platz", "move": "verlegen", "privacy": "datenschutz"}


def _actor():
    return current_user._get_current_object()


def _move_choices(workshop: Workshop) -> list[tuple[int, str]]:
    """Open workshops of the same programme, other than this one."""
    from events import formatting

    now = utcnow()
    return [(w.id, f"{w.title} – {formatting.format_date(w.starts_at)}")
            for w in attendee_lists.programme_workshops(workshop.programme)
            if w.id != workshop.id and w.status == WorkshopStatus.published
            and w.starts_at > now]


def _page(registration_id: int, status: int = 200, **forms):
    row = attendee_lists.registration_row(registration_id)
    if row is None:
        abort(404)
    workshop = db.session.get(Workshop, row.workshop_id)
    move = forms.get("move") or MoveForm(formdata=None, prefix=PREFIX["move"])
    move.process_target(_move_choices(workshop))
    return render_template(
        "organiser/attendees/registration.html", row=row, workshop=workshop,
        workshop_url=workshop_detail_url(workshop.id),
        cancel_form=forms.get("cancel") or CancelForm(formdata=None, prefix=PREFIX["cancel"]),
        seat_form=forms.get("seat") or SeatForm(formdata=None, prefix=PREFIX["seat"]),
        move_form=move,
        privacy_form=forms.get("privacy") or DataRequestForm(formdata=None,
                                                             prefix=PREFIX["privacy"]),
        may_exceed=permissions.allowed(current_user, "exceed_capacity"),
        form=next(iter(forms.values()), None)), status


def _back(registration_id: int):
    return redirect(url_for("organiser.attendees.registration",
                            registration_id=registration_id), 303)


def _run(registration_id: int, action, success: str, form=None, key: str | None = None):
    """Call ``action()``; commit and flash ``success``, or show what the rule said."""
    try:
        action()
    except NotFound:
        db.session.rollback()
        abort(404)
    except InvalidInput as error:
        db.session.rollback()
        if form is None:
            flash(" ".join(map(str, error.errors.values())), "error")
            return _back(registration_id)
        form.show_errors(error.errors)
        return _page(registration_id, 422, **{key: form})
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back(registration_id)
    db.session.commit()
    flash(success, "success")
    return _back(registration_id)


@bp.get(REG)
def registration(registration_id: int):
    return _page(registration_id)


@bp.post(REG + "/bestaetigen")
def confirm(registration_id: int):
    return _run(registration_id, lambda: seat_admin.confirm(registration_id, _actor()),
                _("Die Anmeldung ist bestätigt; die Einladung ist unterwegs."))


@bp.post(REG + "/stornieren")
def cancel(registration_id: int):
    form = CancelForm(prefix=PREFIX["cancel"])
    return _run(registration_id,
                lambda: seat_admin.cancel(registration_id, _actor(), form.reason.data or ""),
                _("Die Anmeldung ist storniert; die Person wird per E-Mail informiert."),
                form, "cancel")


@bp.post(REG + "/platz")
def seat(registration_id: int):
    form = SeatForm(prefix=PREFIX["seat"])
    return _run(registration_id,
                lambda: seat_admin.seat(registration_id, _actor(), form.reason.data or "",
                                        exceed=bool(form.exceed.data)),
                _("Die Person hat einen Platz und wird gebeten, ihn zu bestätigen."),
                form, "seat")


@bp.post(REG + "/verlegen")
def move(registration_id: int):
    form = MoveForm(prefix=PREFIX["move"])
    target = form.target.data if isinstance(form.target.data, int) else None
    moved: list = []

    def action():
        moved.append(seat_admin.move(registration_id, target or None, _actor(),
                                     form.reason.data or ""))

    answer = _run(registration_id, action,
                  _("Die Anmeldung ist verlegt; die Person wird per E-Mail informiert."),
                  form, "move")
    if moved and answer.status_code == 303:
        return redirect(url_for("organiser.attendees.registration",
                                registration_id=moved[0].id), 303)
    return answer


@bp.post(REG + "/link")
def resend_link(registration_id: int):
    return _run(registration_id, lambda: seat_admin.resend_link(registration_id, _actor()),
                _("Der persönliche Link ist erneut unterwegs."))


@bp.post(REG + "/einladung")
def resend_invitation(registration_id: int):
    return _run(registration_id,
                lambda: seat_admin.resend_invitation(registration_id, _actor()),
                _("Die Einladung ist erneut unterwegs."))


@bp.route(f"/workshop/<int(max={MAX_ID}):workshop_id>/hinzufuegen", methods=["GET", "POST"])
def add(workshop_id: int):
    workshop = attendee_lists.workshop_or_none(workshop_id)
    if workshop is None:
        abort(404)
    form = AddParticipantForm()
    status = 200
    if request.method == "POST":
        form.validate_on_submit()
        try:
            registration = seat_admin.add_by_hand(workshop_id, form.applicant(),
                                                  form.reason.data or "", _actor())
        except InvalidInput as error:
            db.session.rollback()
            form.show_errors(error.errors)
            status = 422
        except DomainError as error:
            db.session.rollback()
            form.show_errors({"_": str(error)})
            status = error.status
        else:
            db.session.commit()
            flash(_("%(name)s ist hinzugefügt: %(status)s.", name=registration.participant.name,
                    status=attendee_lists.status_label(registration.status)), "success")
            return redirect(url_for("organiser.attendees.workshop", workshop_id=workshop_id),
                            303)
    return render_template("organiser/attendees/add.html", form=form, workshop=workshop,
                           workshop_url=workshop_detail_url(workshop.id)), status


# --- a person's request for their data (Art. 15, 17, 20 DSGVO) ----------------------------


def _privacy_request(registration_id: int, *, erase: bool):
    """The form's reason (and, to erase, the tick) or the page with the problems (422)."""
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        abort(404)
    form = DataRequestForm(prefix=PREFIX["privacy"])
    reason = (form.reason.data or "").strip()
    problems = {}
    if not reason:
        problems["reason"] = _("Bitte nennen Sie den Anlass (etwa „Anfrage per E-Mail vom "
                               "3. Mai“); er steht im Protokoll. Bitte ohne Namen.")
    elif len(reason) > seat_admin.REASON_LIMIT:
        problems["reason"] = _("Bitte höchstens %(n)d Zeichen.", n=seat_admin.REASON_LIMIT)
    if erase and not form.confirm.data:
        problems["confirm"] = _("Bitte bestätigen Sie die Löschung.")
    if problems:
        form.show_errors(problems)
        return registration, None, _page(registration_id, 422, privacy=form)
    return registration, reason, None


@bp.post(REG + "/auskunft")
def data_export(registration_id: int):
    """Everything held about the person as JSON, for their request; logged with the reason."""
    registration, reason, problem = _privacy_request(registration_id, erase=False)
    if problem is not None:
        return problem
    data = subject_rights.export(registration.participant_id)
    subject_rights.record_request(_actor(), "participant.export", registration.participant_id,
                                  reason, [r["id"] for r in data["registrations"]])
    db.session.commit()
    return json_download(data, f"auskunft-person-{registration.participant_id}.json")


@bp.post(REG + "/loeschen")
def data_erase(registration_id: int):
    """Erase the person on their request (see ``services.subject_rights.erase``)."""
    registration, reason, problem = _privacy_request(registration_id, erase=True)
    if problem is not None:
        return problem
    workshop_id = registration.workshop_id
    done = subject_rights.erase(registration.participant_id)
    subject_rights.record_request(_actor(), "participant.erase", done.participant_id, reason,
                                  done.registrations, cancelled=done.cancelled)
    db.session.commit()
    flash(_("Die Angaben der Person sind gelöscht; %(n)d offene Anmeldung(en) wurden "
            "storniert und die Person darüber informiert.", n=len(done.cancelled)), "success")
    return redirect(url_for("organiser.attendees.workshop", workshop_id=workshop_id), 303)
