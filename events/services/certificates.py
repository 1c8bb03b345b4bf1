"""Certificates of attendance: who gets one, issuing (frozen), the PDF, the check, mailing.

A certificate is issued the first time it is asked for (download or mailing) for a
confirmed registration that was checked in at a workshop that has ended. Its
``Certificate`` row freezes what it says, so a later change of the workshop or the
person does not change a certificate already handed out; the code printed on it
is 80 random bits in Crockford base32 (``7KQ2-M4XD-9TRB-W1FH``). Taking a check-in
back revokes the certificate (``attendance.undo``); checking in again issues a new
code. Functions only add and flush; the caller commits.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from babel.dates import format_datetime as babel_datetime
from babel.numbers import format_decimal
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from events import formatting
from events.extensions import db
from events.locales import in_language
from events.models import (
    Broadcast,
    Certificate,
    Organiser,
    Registration,
    RegistrationStatus,
    Workshop,
    utcnow,
)
from events.pdf import certificate as certificate_pdf
from events.services import audit, notify
from events.services.errors import NotFound, StateConflict
from events.services.pdfs import place_text
from events.urls import base_url

#: Crockford's base32: no I, L, O, U — nothing to misread when typed from paper.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 16 × 5 bits = 80 bits
#: What people may type for a code: letters, digits, hyphens and spaces, not more.
_TYPED = re.compile(r"^[0-9A-Za-z\- ]{1,40}$")
_MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1"})
AUDIENCE = "certificates"
PDF_TYPE = "application/pdf"


class AlreadyMailed(StateConflict):
    """Certificates of this workshop went out before; sending again needs a yes."""

    code = "already_mailed"
    default_message = _l("Die Bescheinigungen wurden bereits per E-Mail verschickt. Bitte "
                         "bestätigen Sie, dass Sie sie noch einmal senden möchten.")


# --- codes ------------------------------------------------------------------------------


def new_code() -> str:
    value = secrets.randbits(5 * CODE_LENGTH)
    return "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(CODE_LENGTH)))


def display_code(code: str) -> str:
    """``7KQ2M4XD9TRBW1FH`` → ``7KQ2-M4XD-9TRB-W1FH`` (as printed and in the URL)."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalise_code(typed: str | None) -> str | None:
    """The stored form of a typed code, or None when it cannot be one (too long, odd
    characters). Case, hyphens and spaces do not matter; O/I/L read as 0/1/1."""
    if not typed or not _TYPED.match(typed):
        return None
    code = typed.replace("-", "").replace(" ", "").upper().translate(_MISREAD)
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def verify_url(certificate: Certificate) -> str:
    base = base_url(mail=True)  # printed in the PDF, which is also mailed
    return f"{base}/bescheinigung/{display_code(certificate.code)}"


def find(typed: str | None) -> Certificate | None:
    """The valid (not revoked) certificate with this code, else None."""
    code = normalise_code(typed)
    if code is None:
        return None
    return db.session.scalar(select(Certificate).where(
        Certificate.code == code, Certificate.revoked_at.is_(None)))


# --- who gets one -----------------------------------------------------------------------


def refusal(registration: Registration, now: datetime) -> str | None:
    """Why this registration gets no certificate (German), or None when it does."""
    workshop = registration.workshop
    if workshop.is_cancelled:
        return str(_l("Der Workshop wurde abgesagt; es gibt keine Teilnahmebescheinigung."))
    if registration.status != RegistrationStatus.confirmed or registration.attended_at is None:
        return str(_l("Eine Teilnahmebescheinigung gibt es nur, wenn Ihre Teilnahme beim "
                      "Check-in am Veranstaltungstag erfasst wurde."))
    if workshop.ends_at > now:
        return str(_l("Die Teilnahmebescheinigung gibt es nach dem Ende des Workshops "
                      "(%(end)s).", end=formatting.format_datetime(workshop.ends_at)))
    return None


def attendees(workshop_id: int) -> list[tuple[Registration, Certificate | None]]:
    """Everyone checked in (confirmed), by name, with their valid certificate if issued."""
    rows = db.session.execute(
        select(Registration, Certificate)
        .outerjoin(Certificate, (Certificate.registration_id == Registration.id)
                   & Certificate.revoked_at.is_(None))
        .where(Registration.workshop_id == workshop_id,
               Registration.status == RegistrationStatus.confirmed,
               Registration.attended_at.is_not(None))).all()
    return sorted(((r, c) for r, c in rows), key=lambda rc: (rc[0].participant.name.casefold(),
                                                               rc[0].id))


# --- issuing ----------------------------------------------------------------------------


def _hours(workshop: Workshop) -> str:
    quarters = round((workshop.ends_at - workshop.starts_at).total_seconds() / 900)
    return format_decimal(quarters / 4, format="#,##0.##", locale="de")


def _issuer(workshop: Workshop) -> str:
    config = current_app.config
    return (workshop.programme.contact_name or config.get("CONTACT_NAME")
            or config.get("OPERATOR_NAME") or "")


def _fill(certificate: Certificate, registration: Registration, now: datetime) -> None:
    workshop, person = registration.workshop, registration.participant
    certificate.name = person.name
    certificate.municipality = person.municipality
    certificate.workshop_title = workshop.title
    certificate.starts_at, certificate.ends_at = workshop.starts_at, workshop.ends_at
    certificate.hours = _hours(workshop)
    certificate.place = place_text(workshop)
    certificate.topics = f"{workshop.theme.name}: {workshop.title}"
    certificate.issuer = _issuer(workshop)
    certificate.issued_at = now
    certificate.revoked_at = None


def issue(registration_id: int, now: datetime | None = None,
          actor: Organiser | None = None) -> Certificate:
    """The registration's certificate: the valid one if issued, else a new one.

    Raises ``NotFound`` for an unknown registration and ``StateConflict`` with the
    reason when it gets none (not checked in, workshop not over or cancelled). Two
    requests at once end with one row (the unique registration and a savepoint).
    """
    now = now or utcnow()
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise NotFound()
    reason = refusal(registration, now)
    if reason:
        raise StateConflict(reason)
    existing = db.session.scalar(select(Certificate).where(
        Certificate.registration_id == registration.id))
    if existing is not None and existing.revoked_at is None:
        return existing
    for _attempt in range(3):
        try:
            with db.session.begin_nested():
                certificate = existing or Certificate(registration_id=registration.id)
                certificate.code = new_code()
                _fill(certificate, registration, now)
                db.session.add(certificate)
        except IntegrityError:  # the same person at the same moment, or a code collision
            existing = db.session.scalar(select(Certificate).where(
                Certificate.registration_id == registration.id))
            if existing is not None and existing.revoked_at is None:
                return existing
            continue
        audit.record(actor, "certificate.issue", "certificate", certificate.id,
                     f"Teilnahmebescheinigung für {certificate.name} "
                     f"({certificate.workshop_title})",
                     after={"code": certificate.code, "registration_id": registration.id})
        return certificate
    raise StateConflict(_l("Die Bescheinigung konnte gerade nicht ausgestellt werden. Bitte "
                           "versuchen Sie es noch einmal."))


# --- the document -----------------------------------------------------------------------


def _dates(certificate: Certificate) -> tuple[str, str]:
    start, end = formatting.local(certificate.starts_at), formatting.local(certificate.ends_at)
    if start.date() == end.date():
        return (formatting.format_date(certificate.starts_at),
                f"{start:%H:%M}–{end:%H:%M} Uhr")
    return (f"{formatting.format_date(certificate.starts_at)} bis "
            f"{formatting.format_date(certificate.ends_at)}", f"ab {start:%H:%M} Uhr")


def render(certificate: Certificate) -> bytes:
    """The PDF, drawn from the frozen fields only."""
    date, time = _dates(certificate)
    issued = babel_datetime(formatting.local(certificate.issued_at), "d. MMMM y", locale="de")
    return certificate_pdf.render(certificate_pdf.CertificateText(
        name=certificate.name, municipality=certificate.municipality,
        workshop_title=certificate.workshop_title, date=date, time=time,
        hours=certificate.hours, place=certificate.place, topics=certificate.topics,
        issuer=certificate.issuer, issued_on=issued, code=display_code(certificate.code),
        verify_url=verify_url(certificate)))


def filename(certificate: Certificate) -> str:
    return f"teilnahmebescheinigung-{display_code(certificate.code)}.pdf"


def date_text(certificate: Certificate) -> str:
    """The date as the certificate states it (for the verification page)."""
    return _dates(certificate)[0]


# --- mailing ----------------------------------------------------------------------------


def mail_all(workshop_id: int, actor: Organiser | None, *, again: bool = False,
             now: datetime | None = None) -> Broadcast:
    """Issue (where needed) and mail every attendee's certificate, the PDF attached: one
    outbox message each, kept together as a ``Broadcast`` (audience "certificates").

    Raises ``NotFound`` (workshop), ``StateConflict`` (not over, cancelled, nobody
    checked in) and ``AlreadyMailed`` when some went out before and ``again`` is False.
    """
    now = now or utcnow()
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        raise NotFound()
    if workshop.is_cancelled:
        raise StateConflict(_l("Der Workshop wurde abgesagt; es gibt keine Bescheinigungen."))
    if workshop.ends_at > now:
        raise StateConflict(_l("Bescheinigungen gibt es erst nach dem Ende des Workshops "
                               "(%(end)s).", end=formatting.format_datetime(workshop.ends_at)))
    people = attendees(workshop_id)
    if not people:
        raise StateConflict(_l("Niemand ist als anwesend erfasst; es gibt keine "
                               "Bescheinigungen zu senden."))
    if not again and any(c is not None and c.mailed_count for _, c in people):
        raise AlreadyMailed()
    with in_language(None):  # the kept copy, for the organisers; each mail has its own
        subject = notify.certificate_subject(workshop.title)
    broadcast = Broadcast(workshop_id=workshop.id, author_id=actor.id if actor else None,
                          audience=AUDIENCE, subject=subject,
                          body=notify.CERTIFICATE_BODY, recipients=[])
    db.session.add(broadcast)
    db.session.flush()
    queued = []
    for registration, _ in people:
        certificate = issue(registration.id, now, actor)
        message = notify.certificate(registration, certificate, render(certificate),
                                     filename(certificate), verify_url=verify_url(certificate))
        message.broadcast_id = broadcast.id
        certificate.mailed_count = (certificate.mailed_count or 0) + 1
        queued.append((registration, message))
    db.session.flush()
    broadcast.recipients = [
        {"registration_id": r.id, "name": r.participant.name, "email": r.participant.email,
         "outbox_id": m.id} for r, m in queued]
    audit.record(actor, "certificate.mail_all", "workshop", workshop.id,
                 f"{len(queued)} Teilnahmebescheinigung(en) per E-Mail ({workshop.title})",
                 after={"broadcast_id": broadcast.id, "recipients": len(queued),
                        "again": again})
    return broadcast
