"""Printable documents of a workshop and its certificates of attendance.

Sign-in sheet and name badges are PDFs of the confirmed participants; the badge
sheet is chosen with ``?format=`` (see ``services.pdfs.LAYOUTS``). The certificates
page lists everyone checked in and mails all certificates at once (POST, CSRF;
sending again needs a tick in the box).
"""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import ngettext
from flask_login import current_user

from events.extensions import db
from events.models import Registration, Workshop, utcnow
from events.services import certificates as certs
from events.services import pdfs
from events.services.errors import DomainError, InvalidInput
from events.web.organiser.forms.documents import BadgeLayoutForm, SendCertificatesForm

bp = Blueprint("documents", __name__, url_prefix="/dokumente")

ID = "int(max=2147483647)"


def _workshop(workshop_id: int) -> Workshop:
    return db.session.get(Workshop, workshop_id) or abort(404)


def _pdf(data: bytes, name: str, *, download: bool = False):
    return send_file(BytesIO(data), mimetype="application/pdf", download_name=name,
                     as_attachment=download, max_age=0)


@bp.get(f"/workshop/<{ID}:workshop_id>")
def index(workshop_id: int):
    """The workshop's printable documents: sign-in sheet, badges (with the sheet format),
    certificates."""
    workshop = _workshop(workshop_id)
    return render_template("organiser/documents/index.html", workshop=workshop,
                           form=BadgeLayoutForm(formdata=None),
                           people=len(pdfs.confirmed_people(workshop_id)))


@bp.get(f"/workshop/<{ID}:workshop_id>/teilnehmerliste.pdf")
def sign_in_sheet(workshop_id: int):
    workshop, data = pdfs.sign_in_sheet(_workshop(workshop_id).id)
    return _pdf(data, f"teilnehmerliste-{workshop.slug}.pdf")


@bp.get(f"/workshop/<{ID}:workshop_id>/namensschilder.pdf")
def badges(workshop_id: int):
    workshop = _workshop(workshop_id)
    form = BadgeLayoutForm(formdata=request.args)
    layout = request.args.get("format", pdfs.DEFAULT_LAYOUT)
    try:
        workshop, data = pdfs.badges(workshop.id, layout)
    except InvalidInput as error:
        form.show_errors(error.errors)
        form.format.data = pdfs.DEFAULT_LAYOUT
        return render_template("organiser/documents/index.html", workshop=workshop, form=form,
                               people=len(pdfs.confirmed_people(workshop.id))), 422
    return _pdf(data, f"namensschilder-{workshop.slug}-{layout}.pdf")


@bp.get(f"/workshop/<{ID}:workshop_id>/bescheinigungen")
def certificates(workshop_id: int):
    """Everyone checked in, with or without a certificate; the button to mail them all."""
    return _certificates_page(workshop_id)


def _certificates_page(workshop_id: int, form: SendCertificatesForm | None = None,
                       status: int = 200):
    workshop = _workshop(workshop_id)
    people = certs.attendees(workshop_id)
    return render_template(
        "organiser/documents/certificates.html", workshop=workshop, people=people,
        form=form or SendCertificatesForm(), over=workshop.ends_at <= utcnow(),
        mailed_before=any(c is not None and c.mailed_count for _, c in people),
        display_code=certs.display_code), status


@bp.post(f"/workshop/<{ID}:workshop_id>/bescheinigungen")
def certificates_send(workshop_id: int):
    workshop = _workshop(workshop_id)
    form = SendCertificatesForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        broadcast = certs.mail_all(workshop.id, current_user, again=bool(form.again.data))
        db.session.commit()
    except certs.AlreadyMailed as error:
        db.session.rollback()
        form.show_errors({"again": str(error)})
        return _certificates_page(workshop_id, form=form, status=409)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".certificates", workshop_id=workshop_id), 303)
    count = len(broadcast.recipients or [])
    flash(ngettext("%(num)d Bescheinigung wird per E-Mail verschickt.",
                   "%(num)d Bescheinigungen werden per E-Mail verschickt.", count), "success")
    return redirect(url_for(".certificates", workshop_id=workshop_id), 303)


@bp.get(f"/workshop/<{ID}:workshop_id>/bescheinigung/<{ID}:registration_id>.pdf")
def certificate_pdf(workshop_id: int, registration_id: int):
    """One person's certificate (issued now if it was not yet)."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.workshop_id != workshop_id:
        abort(404)
    try:
        certificate = certs.issue(registration.id, actor=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".certificates", workshop_id=workshop_id), 303)
    return _pdf(certs.render(certificate), certs.filename(certificate),
                download=True)
