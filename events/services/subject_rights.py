"""Data-subject rights of participants (Art. 15, 17, 20 DSGVO): export everything held
about a person, and erase it.

``export`` returns one JSON-ready dict: the person, every registration in every
programme (with the consent text of the version agreed to, read from
``events/consent/<version>.txt``), the mails sent or queued to them (bodies too),
the personal calendar feed, certificates, check-ins and the audit entries about
their registrations.

``erase`` runs like a seat change (serialised, every programme of the person locked
in id order) and then:

1. deletes the mails queued or sent to the person before (address and bodies);
2. cancels every active registration of a workshop that has not ended, with the usual
   mail (METHOD:CANCEL for a confirmed place), and then moves each freed programme's
   waiting list up once — after all of the person's registrations ended, so the person
   is never promoted on the way out;
3. counts the person in ``Programme.deleted_participants`` for every programme where
   they held a seat in a workshop that has ended (as ``services.retention`` does), so
   the cap and the published figures stay as they were;
4. keeps the cancellation mails just queued, unlinked from the registration
   (``registration_id`` NULL, as the retention purge keeps queued mail): they are sent
   after the person is gone, and the retention purge deletes them once sent;
5. deletes the certificates, registrations and the person; removes the person's name
   and address from organisers' messages (``Broadcast.recipients``) and from the audit
   log (summaries, before/after) — the entries themselves stay, without the person.

Nothing is committed here. Raises ``NotFound`` for an unknown person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import Text, cast, delete, or_, select, update

from events.extensions import db
from events.models import (
    ENDED,
    AuditEntry,
    Broadcast,
    Certificate,
    OutboxMessage,
    OutboxStatus,
    Participant,
    Registration,
    RegistrationStatus,
    Workshop,
    utcnow,
)
from events.services import audit, notify, seats, subscriptions
from events.services.errors import NotFound
from events.services.locking import begin_serialised, lock_programme
from events.urls import base_url

S = RegistrationStatus
#: Put where a name or address stood in kept records (audit log, message recipients).
ERASED = "[gelöscht]"
CONSENT_DIR = Path(__file__).resolve().parent.parent / "consent"
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
FORMAT = "praxisaustausch-auskunft/1"


# --- consent texts --------------------------------------------------------------------------


def consent_text(version: str | None) -> str | None:
    """The exact consent text of a version (``events/consent/<version>.txt``); None when
    no file is kept for it (an unknown or odd version never reads another file)."""
    if not version or not _VERSION.match(version):
        return None
    path = CONSENT_DIR / f"{version}.txt"
    return path.read_text(encoding="utf-8") if path.is_file() else None


# --- export ---------------------------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _registration(registration: Registration) -> dict:
    workshop = registration.workshop
    return {
        "id": registration.id,
        "workshop": {"id": workshop.id, "title": workshop.title,
                     "programme": workshop.programme.name,
                     "starts_at": iso(workshop.starts_at), "ends_at": iso(workshop.ends_at)},
        "status": registration.status.value,
        "source": registration.source,
        "created_at": iso(registration.created_at),
        "requested_at": iso(registration.requested_at),
        "status_changed_at": iso(registration.status_changed_at),
        "expires_at": iso(registration.expires_at),
        "confirmed_at": iso(registration.confirmed_at),
        "cancelled_at": iso(registration.cancelled_at),
        "consent": {"version": registration.consent_version,
                    "at": iso(registration.consent_at),
                    "text": consent_text(registration.consent_version)},
        "remarks": registration.remarks,
        "accessibility_needs": registration.accessibility_needs,
        "accessibility_consent_at": iso(registration.accessibility_consent_at),
        "attended_at": iso(registration.attended_at),
        "reminder_sent_at": iso(registration.reminder_sent_at),
        "link_sent_at": iso(registration.link_sent_at),
        "language": registration.language,
    }


def mail_row(message: OutboxMessage) -> dict:
    return {
        "id": message.id, "kind": message.kind, "recipient": message.recipient,
        "subject": message.subject, "status": OutboxStatus(message.status).value,
        "registration_id": message.registration_id, "created_at": iso(message.created_at),
        "sent_at": iso(message.sent_at), "body_text": message.body_text,
        "body_html": message.body_html, "calendar_method": message.ical_method,
        "attachment_name": message.attachment_name, "language": message.language,
    }


def _certificate(certificate: Certificate) -> dict:
    return {
        "code": certificate.code, "registration_id": certificate.registration_id,
        "name": certificate.name, "municipality": certificate.municipality,
        "workshop_title": certificate.workshop_title,
        "starts_at": iso(certificate.starts_at), "ends_at": iso(certificate.ends_at),
        "hours": certificate.hours, "place": certificate.place, "topics": certificate.topics,
        "issuer": certificate.issuer, "issued_at": iso(certificate.issued_at),
        "revoked_at": iso(certificate.revoked_at), "mailed_count": certificate.mailed_count,
        "verify_url": f"{base_url()}/bescheinigung/{certificate.code}",
    }


def _mails_of(participant: Participant, ids: list[int]):
    return select(OutboxMessage).where(or_(OutboxMessage.registration_id.in_(ids),
                                           OutboxMessage.recipient == participant.email))


def export(participant_id: int, now: datetime | None = None) -> dict:
    """Everything held about the person, JSON-ready. Raises ``NotFound``."""
    participant = db.session.get(Participant, participant_id)
    if participant is None:
        raise NotFound()
    registrations = db.session.scalars(
        select(Registration).where(Registration.participant_id == participant.id)
        .order_by(Registration.id)).all()
    ids = [registration.id for registration in registrations]
    mails = db.session.scalars(_mails_of(participant, ids).order_by(OutboxMessage.id)).all()
    certificates = db.session.scalars(select(Certificate).where(
        Certificate.registration_id.in_(ids)).order_by(Certificate.id)).all()
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "registration", AuditEntry.object_id.in_(ids))
        .order_by(AuditEntry.id)).all()
    config = current_app.config
    versions = sorted({registration.consent_version for registration in registrations})
    return {
        "format": FORMAT,
        "created_at": iso(now or utcnow()),
        "controller": {"name": config["OPERATOR_NAME"], "email": config["OPERATOR_EMAIL"]},
        "participant": {
            "id": participant.id, "email": participant.email, "name": participant.name,
            "municipality": participant.municipality, "role": participant.role,
            "federal_state": participant.federal_state, "language": participant.language,
            "created_at": iso(participant.created_at),
        },
        "registrations": [_registration(registration) for registration in registrations],
        "consent_texts": {version: consent_text(version) for version in versions},
        "mails": [mail_row(message) for message in mails],
        "calendar_feed": {
            "url": f"{base_url()}/calendar/"
                   f"{subscriptions.feed_token(participant)}.ics",
            "shows": "confirmed_registrations",
            "confirmed_workshops": [r.workshop_id for r in registrations
                                    if r.status == S.confirmed],
        },
        "certificates": [_certificate(certificate) for certificate in certificates],
        "check_ins": [{"registration_id": r.id, "workshop_id": r.workshop_id,
                       "attended_at": iso(r.attended_at)}
                      for r in registrations if r.attended_at is not None],
        "audit_log": [{"at": iso(entry.at), "action": entry.action,
                       "registration_id": entry.object_id, "summary": entry.summary}
                      for entry in entries],
    }


# --- erasure --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    """What one erasure did (ids only: the person is gone)."""

    participant_id: int
    registrations: list[int]
    cancelled: list[int]
    #: Programmes whose ``deleted_participants`` went up by one.
    counted_in: list[int]
    #: Cancellation mails queued (sent after the person is gone).
    mails_queued: int


def erase(participant_id: int, now: datetime | None = None) -> Erasure:
    """Cancel, count, delete (see the module's docstring). Raises ``NotFound``."""
    now = now or utcnow()
    begin_serialised()
    programme_ids = sorted(set(db.session.scalars(
        select(Workshop.programme_id).join(Registration, Registration.workshop_id == Workshop.id)
        .where(Registration.participant_id == participant_id))))
    programmes = {pid: lock_programme(pid) for pid in programme_ids}
    participant = db.session.execute(
        select(Participant).where(Participant.id == participant_id)
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if participant is None:
        raise NotFound()
    email, name = participant.email, participant.name
    registrations = db.session.scalars(
        select(Registration).where(Registration.participant_id == participant.id)
        .order_by(Registration.id).execution_options(populate_existing=True)).all()
    ids = [registration.id for registration in registrations]

    db.session.execute(delete(OutboxMessage).where(or_(
        OutboxMessage.registration_id.in_(ids), OutboxMessage.recipient == email)))
    cancelled, freed, counted = _cancel_all(registrations, now)
    for programme_id in sorted(freed):
        seats.promote(programmes[programme_id], now)
    for programme_id in sorted(counted):
        programmes[programme_id].deleted_participants += 1
    db.session.flush()
    queued = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.registration_id.in_(ids))
        .values(registration_id=None)).rowcount

    certificate_ids = list(db.session.scalars(select(Certificate.id).where(
        Certificate.registration_id.in_(ids))))
    _scrub_broadcasts(registrations, ids, email)
    _scrub_audit(ids, certificate_ids, (email, name))
    db.session.execute(delete(Certificate).where(Certificate.id.in_(certificate_ids)))
    db.session.execute(delete(Registration).where(Registration.id.in_(ids)))
    db.session.execute(delete(Participant).where(Participant.id == participant.id))
    db.session.flush()
    return Erasure(participant_id, ids, cancelled, sorted(counted), queued)


def _cancel_all(registrations: list[Registration], now: datetime
                ) -> tuple[list[int], set[int], set[int]]:
    """End every active registration of a workshop not yet over (each with its mail).

    Returns the cancelled ids, the programmes with a freed seat and the programmes in
    which the person held a seat in a workshop that has ended (counted as departed).
    """
    cancelled: list[int] = []
    freed: set[int] = set()
    counted: set[int] = set()
    for registration in registrations:
        programme_id = registration.workshop.programme_id
        if registration.status in ENDED:
            continue
        if registration.workshop.ends_at <= now:
            if registration.holds_seat:
                counted.add(programme_id)
            continue
        held, was = registration.holds_seat, registration.status
        seats.set_status(registration, S.cancelled, now)
        registration.cancelled_at = now
        registration.expires_at = None
        registration.accessibility_needs = registration.accessibility_consent_at = None
        db.session.flush()
        notify.cancelled(registration, was_confirmed=was == S.confirmed)
        cancelled.append(registration.id)
        if held:
            freed.add(programme_id)
    return cancelled, freed, counted


def scrub(value, words: tuple[str, ...]):
    """``value`` with every occurrence of ``words`` (strings in dicts and lists) replaced."""
    if isinstance(value, str):
        for word in words:
            if word:
                value = value.replace(word, ERASED)
        return value
    if isinstance(value, dict):
        return {key: scrub(item, words) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item, words) for item in value]
    return value


def _scrub_broadcasts(registrations: list[Registration], ids: list[int], email: str) -> None:
    """Organisers' messages keep their recipient count, not this person's name and address."""
    workshop_ids = sorted({registration.workshop_id for registration in registrations})
    for broadcast in db.session.scalars(select(Broadcast).where(
            Broadcast.workshop_id.in_(workshop_ids))):
        entries = broadcast.recipients or []
        if not any(entry.get("registration_id") in ids or entry.get("email") == email
                   for entry in entries):
            continue
        broadcast.recipients = [
            {**entry, "registration_id": None, "name": ERASED, "email": ERASED}
            if entry.get("registration_id") in ids or entry.get("email") == email else entry
            for entry in entries]


def _scrub_audit(ids: list[int], certificate_ids: list[int], words: tuple[str, ...]) -> None:
    """Audit entries about the person's registrations and certificates, and any entry
    naming the address, keep their action and time without the name and address."""
    email = words[0]
    linked = or_(
        (AuditEntry.object_type == "registration") & AuditEntry.object_id.in_(ids),
        (AuditEntry.object_type == "certificate") & AuditEntry.object_id.in_(certificate_ids),
        AuditEntry.summary.contains(email, autoescape=True),
        cast(AuditEntry.before, Text).contains(email, autoescape=True),
        cast(AuditEntry.after, Text).contains(email, autoescape=True),
    )
    for entry in db.session.scalars(select(AuditEntry).where(linked)):
        entry.summary = scrub(entry.summary or "", words)
        if entry.before is not None:
            entry.before = scrub(entry.before, words)
        if entry.after is not None:
            entry.after = scrub(entry.after, words)


def record_request(actor, action: str, participant_id: int, reason: str,
                   registrations: list[int], **extra) -> None:
    """The audit entry of an organiser's export or erasure on the person's request: ids,
    counts and the reason; never the name or address."""
    text = {"participant.export": "Auskunft (Datenexport) erteilt",
            "participant.erase": "Personenbezogene Daten gelöscht"}[action]
    audit.record(actor, action, "participant", participant_id,
                 f"{text}: Person #{participant_id}, {len(registrations)} Anmeldung(en) – "
                 f"Begründung: {reason}",
                 after={"registrations": registrations, "reason": reason, **extra})
