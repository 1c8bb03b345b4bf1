"""Storage limitation (Art. 5(1)(e), Art. 17 DSGVO): delete what the programme no longer needs.

Rules (decided; ``RETENTION_DAYS``, default 183 ≈ the six months the privacy page
promises "after the last workshop"):

- A **registration** is deleted, whatever its status, when its workshop ended more
  than ``RETENTION_DAYS`` ago. A cancelled or expired one goes also when its status
  changed more than ``RETENTION_DAYS`` ago, even for a workshop still ahead: it holds
  nothing, and whoever registers again simply gets a new row. A pending, confirmed or
  waitlisted registration of a workshop that has not ended that long ago is never
  touched. Deleting the row deletes its remarks, accessibility needs and consent record.
- **Accessibility needs** (health data, Art. 9) only serve to prepare a participation:
  they are cleared as soon as the workshop has ended (cancel and expiry clear them
  already), not months later with the row.
- **Outbox**: sent and failed messages (they hold the address and the bodies) are
  deleted with their registration, and in any case once sent (failed: queued) more
  than ``RETENTION_DAYS`` ago. Queued messages are never deleted; the foreign key
  sets their ``registration_id`` to NULL and they are still delivered.
- A **participant** with no registration left is deleted (name, e-mail, municipality,
  role, the calendar feed's salt; the personal feed then answers 404).
- **Organisers' messages** (``Broadcast``: text and the list of recipients' names and
  addresses) are deleted ``RETENTION_DAYS`` after they were written, like the copies
  that went out. Certificates are kept: they are the participants' proof of further
  training and ``/bescheinigung/<code>`` must keep confirming them.
- **Figures**: the programme's cap counts distinct people holding a seat in any of
  its workshops, past ones included. Whoever loses their last seat in a programme
  through this purge is added to ``Programme.deleted_participants``, so the cap and the
  published figure stay as they were. Known limits: someone who comes back after their
  data was deleted counts again (we no longer know them); someone whose past seat was
  deleted while they still held another one, and who then cancels that one, stops
  counting. Per-workshop attendance of deleted registrations is not kept.

Concurrency: when anything is due, every programme's lock is taken in id order
(the order ``seats.expire_due`` uses) before the due rows are selected, so no
registration changes state between selection and deletion, and no registration
can be created (in any programme) for a participant about to be deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, exists, or_, select, update

from events.extensions import db
from events.models import (
    ENDED,
    SEAT_HOLDING,
    Broadcast,
    OutboxMessage,
    OutboxStatus,
    Participant,
    Programme,
    Registration,
    Workshop,
    utcnow,
)
from events.services.locking import lock_programme

#: Ids per ``IN (…)``: far below SQLite's limit on bound parameters.
CHUNK = 500


@dataclass(frozen=True)
class PurgeReport:
    """What one purge deleted (or, rolled back, would delete)."""

    registrations: int = 0
    participants: int = 0
    messages: int = 0
    #: Registrations whose accessibility needs were cleared (workshop over).
    accessibility_cleared: int = 0
    #: Organisers' messages (text and recipient list) older than the retention.
    broadcasts: int = 0

    def __bool__(self) -> bool:
        return any((self.registrations, self.participants, self.messages,
                    self.accessibility_cleared, self.broadcasts))


def retention() -> timedelta:
    return timedelta(days=current_app.config["RETENTION_DAYS"])


def cutoff(now: datetime) -> datetime:
    """What ended, changed or was sent before this moment is due."""
    return now - retention()


# --- what is due (the same conditions for the quick check and the work) ------------------


def _registration_due(limit: datetime):
    """On a query joining ``Registration`` to its ``Workshop``."""
    return or_(Workshop.ends_at < limit,
               and_(Registration.status.in_(ENDED), Registration.status_changed_at < limit))


def _message_due(limit: datetime):
    return or_(and_(OutboxMessage.status == OutboxStatus.sent, OutboxMessage.sent_at < limit),
               and_(OutboxMessage.status.in_((OutboxStatus.failed, OutboxStatus.dropped)),
                    OutboxMessage.created_at < limit))


def _needs_due(now: datetime):
    """Registrations still holding accessibility needs although their workshop is over."""
    ended = select(Workshop.id).where(Workshop.ends_at <= now)
    return and_(or_(Registration.accessibility_needs.is_not(None),
                    Registration.accessibility_consent_at.is_not(None)),
                Registration.workshop_id.in_(ended))


def _orphan():
    return ~exists().where(Registration.participant_id == Participant.id)


def anything_due(now: datetime) -> bool:
    """One cheap query (no lock): is there anything to delete or clear?"""
    limit = cutoff(now)
    return bool(db.session.scalar(select(or_(
        exists(select(Registration.id).join(Workshop, Workshop.id == Registration.workshop_id)
               .where(_registration_due(limit))),
        exists(select(OutboxMessage.id).where(_message_due(limit))),
        exists(select(Registration.id).where(_needs_due(now))),
        exists(select(Participant.id).where(_orphan())),
        exists(select(Broadcast.id).where(Broadcast.created_at < limit)),
    ))))


# --- the purge ------------------------------------------------------------------------------


def purge(now: datetime | None = None) -> PurgeReport:
    """Delete (and clear) everything due by the rules above; return the counts.

    Call it at the start of a serialised transaction (``begin_serialised()``; the
    worker round already is one) — on SQLite the write lock must be held from the
    first read. Nothing is committed: the caller commits, or rolls back for a dry
    run, which then reports exactly what a real run would delete. Cheap when
    nothing is due: one query, no lock.
    """
    now = now or utcnow()
    if not anything_due(now):
        return PurgeReport()
    limit = cutoff(now)
    programmes = {programme_id: lock_programme(programme_id) for programme_id in
                  db.session.scalars(select(Programme.id).order_by(Programme.id)).all()}

    due = db.session.execute(
        select(Registration.id, Registration.participant_id, Registration.status,
               Workshop.programme_id)
        .join(Workshop, Workshop.id == Registration.workshop_id)
        .where(_registration_due(limit))
        .order_by(Registration.id)
    ).all()
    ids = [row.id for row in due]
    # (programme, person) pairs that lose a seat now: counted below if it was their last
    losing = {(row.programme_id, row.participant_id) for row in due
              if row.status in SEAT_HOLDING}

    messages = 0
    for chunk in _chunks(ids):
        messages += db.session.execute(
            delete(OutboxMessage).where(OutboxMessage.registration_id.in_(chunk),
                                        OutboxMessage.status != OutboxStatus.queued)
        ).rowcount
        # Queued messages stay: ON DELETE SET NULL unlinks them.
        db.session.execute(delete(Registration).where(Registration.id.in_(chunk)))
    _count_departed(programmes, losing)
    participants = db.session.execute(delete(Participant).where(_orphan())).rowcount
    messages += db.session.execute(delete(OutboxMessage).where(_message_due(limit))).rowcount
    old_broadcasts = select(Broadcast.id).where(Broadcast.created_at < limit)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.broadcast_id.in_(
        old_broadcasts)).values(broadcast_id=None))
    broadcasts = db.session.execute(delete(Broadcast).where(
        Broadcast.created_at < limit)).rowcount
    cleared = db.session.execute(
        update(Registration).where(_needs_due(now))
        .values(accessibility_needs=None, accessibility_consent_at=None)
    ).rowcount
    db.session.flush()
    return PurgeReport(registrations=len(ids), participants=participants, messages=messages,
                       accessibility_cleared=cleared, broadcasts=broadcasts)


def _count_departed(programmes: dict[int, Programme], losing: set[tuple[int, int]]) -> None:
    """Add to each programme the people who no longer hold any seat in it."""
    if not losing:
        return
    still_holding: set[tuple[int, int]] = set()
    people = sorted({participant_id for _, participant_id in losing})
    for chunk in _chunks(people):
        still_holding.update(tuple(row) for row in db.session.execute(
            select(Workshop.programme_id, Registration.participant_id).distinct()
            .join(Workshop, Workshop.id == Registration.workshop_id)
            .where(Registration.participant_id.in_(chunk),
                   Registration.status.in_(SEAT_HOLDING))
        ).all())
    for programme_id, _ in losing - still_holding:
        programmes[programme_id].deleted_participants += 1


def _chunks(values: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]
