"""Check-in on the day: mark a confirmed participant as there, undo it, count.

Check-in and undo take the programme lock like every seat change, so a
registration cancelled at the same moment cannot be checked in afterwards.
Both are audited and only add and flush; the caller commits. ``figures`` is what
the dashboard reads: attended, confirmed and the no-shows of a finished workshop.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from events import formatting
from events.extensions import db
from events.models import (
    Certificate,
    Organiser,
    Participant,
    Registration,
    RegistrationStatus,
    Workshop,
    WorkshopStatus,
    utcnow,
)
from events.services import audit
from events.services.errors import NotFound, StateConflict
from events.services.locking import begin_serialised, lock_programme

S = RegistrationStatus
#: How long after its end a workshop still shows in the check-in list (late corrections).
RECENT = timedelta(days=14)


class Figures(NamedTuple):
    attended: int
    confirmed: int
    #: Confirmed, workshop over, not checked in (0 while the workshop has not ended).
    no_shows: int


def fold(text: str | None) -> str:
    """For matching as people type: case and accents ignored ("ozturk" finds "Öztürk")."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().replace("ß", "ss").split())


def search_text(participant: Participant) -> str:
    """What the search box looks in: name, municipality and e-mail, folded."""
    return fold(f"{participant.name} {participant.municipality} {participant.email}")


def roster(workshop_id: int, query: str = "") -> list[Registration]:
    """The confirmed registrations of the workshop, by name; only those matching ``query``
    (every word must occur in name, municipality or e-mail) when one is given."""
    rows = db.session.scalars(
        select(Registration).join(Participant)
        .where(Registration.workshop_id == workshop_id, Registration.status == S.confirmed)
    ).all()
    words = fold(query).split()
    rows = [r for r in rows if all(w in search_text(r.participant) for w in words)]
    return sorted(rows, key=lambda r: (fold(r.participant.name), r.id))


def figures(workshop_id: int, now: datetime | None = None) -> Figures:
    """(attended, confirmed, no_shows) of one workshop; no_shows only once it is over."""
    return counts([workshop_id], now).get(workshop_id, Figures(0, 0, 0))


def counts(workshop_ids: list[int], now: datetime | None = None) -> dict[int, Figures]:
    """``figures`` for many workshops in one query."""
    now = now or utcnow()
    if not workshop_ids:
        return {}
    rows = db.session.execute(
        select(Registration.workshop_id, Workshop.ends_at,
               func.count(Registration.id),
               func.count(case((Registration.attended_at.is_not(None), 1))))
        .join(Workshop, Workshop.id == Registration.workshop_id)
        .where(Registration.workshop_id.in_(workshop_ids), Registration.status == S.confirmed)
        .group_by(Registration.workshop_id, Workshop.ends_at)
    ).all()
    result = {}
    for workshop_id, ends_at, confirmed, attended in rows:
        over = ends_at <= now
        result[workshop_id] = Figures(attended, confirmed, confirmed - attended if over else 0)
    return result


def workshops_to_pick(now: datetime | None = None) -> tuple[list[Workshop], list[Workshop]]:
    """(today's and upcoming, recently ended) published workshops, soonest first / latest
    first. "Today" is the programme's local day, so a morning workshop stays listed."""
    now = now or utcnow()
    local_midnight = formatting.local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    day_start = local_midnight.astimezone(now.tzinfo)
    base = select(Workshop).where(Workshop.status == WorkshopStatus.published)
    current = db.session.scalars(
        base.where(Workshop.ends_at >= day_start).order_by(Workshop.starts_at, Workshop.id)
    ).all()
    recent = db.session.scalars(
        base.where(Workshop.ends_at < day_start, Workshop.ends_at >= day_start - RECENT)
        .order_by(Workshop.starts_at.desc(), Workshop.id)
    ).all()
    return list(current), list(recent)


def _locked(workshop_id: int, registration_id: int) -> Registration:
    begin_serialised()
    programme_id = db.session.scalar(
        select(Workshop.programme_id).join(Registration, Registration.workshop_id == Workshop.id)
        .where(Registration.id == registration_id, Workshop.id == workshop_id))
    if programme_id is None:
        raise NotFound(_l("Diese Anmeldung gibt es in diesem Workshop nicht."))
    lock_programme(programme_id)
    return db.session.execute(
        select(Registration).where(Registration.id == registration_id)
        .execution_options(populate_existing=True)).scalar_one()


def check_in(workshop_id: int, registration_id: int, actor: Organiser | None,
             now: datetime | None = None) -> tuple[Registration, bool]:
    """Mark the person as there; returns (registration, changed). Twice is harmless.

    Raises ``NotFound`` when the registration is not one of this workshop's, and
    ``StateConflict`` unless it is confirmed (pending, waiting, cancelled: not a seat).
    """
    now = now or utcnow()
    registration = _locked(workshop_id, registration_id)
    if registration.status != S.confirmed:
        raise StateConflict(_l("Nur bestätigte Anmeldungen können eingecheckt werden; "
                               "%(name)s ist nicht bestätigt.",
                               name=registration.participant.name))
    if registration.attended_at is not None:
        return registration, False
    registration.attended_at = now
    audit.record(actor, "registration.check_in", "registration", registration.id,
                 f"Check-in: {registration.participant.name} ({registration.workshop.title})",
                 before={"attended_at": None}, after={"attended_at": now})
    db.session.flush()
    return registration, True


def undo(workshop_id: int, registration_id: int, actor: Organiser | None,
         now: datetime | None = None) -> tuple[Registration, bool]:
    """Take the check-in back; returns (registration, changed). A certificate already
    issued for it is revoked (its code no longer verifies). Raises ``NotFound``."""
    now = now or utcnow()
    registration = _locked(workshop_id, registration_id)
    if registration.attended_at is None:
        return registration, False
    before = registration.attended_at
    registration.attended_at = None
    certificate = db.session.scalar(
        select(Certificate).where(Certificate.registration_id == registration.id,
                                  Certificate.revoked_at.is_(None)))
    after: dict = {"attended_at": None}
    if certificate is not None:
        certificate.revoked_at = now
        after["certificate_revoked"] = certificate.code
    audit.record(actor, "registration.check_in_undo", "registration", registration.id,
                 f"Check-in zurückgenommen: {registration.participant.name} "
                 f"({registration.workshop.title})",
                 before={"attended_at": before}, after=after)
    db.session.flush()
    return registration, True
