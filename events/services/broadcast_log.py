"""Messages sent to participants, read back: the list and each recipient's delivery state.

Read only; the state comes from each copy's outbox row (queued, sent, failed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from events.extensions import db
from events.models import Broadcast, OutboxMessage, OutboxStatus
from events.services.broadcasts import MAX_ID
from events.services.errors import NotFound


@dataclass(frozen=True)
class Sent:
    """A message in the list, with how many of its copies are queued, sent, failed."""

    broadcast: Broadcast
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return len(self.broadcast.recipients or []) or sum(self.counts.values())


@dataclass(frozen=True)
class Delivery:
    """One recipient of a message and the state of their copy.

    ``status`` is ``queued``, ``sent``, ``failed``, or ``deleted`` when the copy is gone
    (the retention purge deletes sent mail after the storage period).
    """

    name: str
    email: str
    registration_id: int | None
    status: str
    sent_at: datetime | None = None
    last_error: str = ""
    attempts: int = 0


def listing(page: int = 1, per_page: int = 50) -> tuple[list[Sent], int]:
    """Messages newest first (one page) and the number of pages; two queries."""
    total = db.session.scalar(select(func.count(Broadcast.id))) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    found = list(db.session.scalars(
        select(Broadcast).options(joinedload(Broadcast.workshop), joinedload(Broadcast.author))
        .order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
        .offset((page - 1) * per_page).limit(per_page)))
    counts: dict[int, dict[str, int]] = {b.id: {} for b in found}
    if found:
        rows = db.session.execute(
            select(OutboxMessage.broadcast_id, OutboxMessage.status, func.count(OutboxMessage.id))
            .where(OutboxMessage.broadcast_id.in_(counts))
            .group_by(OutboxMessage.broadcast_id, OutboxMessage.status))
        for broadcast_id, status, number in rows:
            counts[broadcast_id][OutboxStatus(status).value] = number
    return [Sent(b, counts[b.id]) for b in found], pages


def get(broadcast_id: int) -> tuple[Broadcast, list[Delivery]]:
    """A message and each recipient's delivery state; ``NotFound`` if there is none."""
    broadcast = (db.session.get(Broadcast, broadcast_id, options=[
        joinedload(Broadcast.workshop), joinedload(Broadcast.author)])
        if 0 < broadcast_id <= MAX_ID else None)
    if broadcast is None:
        raise NotFound(_("Diese Nachricht gibt es nicht."))
    copies = {m.id: m for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast.id)
        .order_by(OutboxMessage.id))}
    deliveries = []
    for entry in broadcast.recipients or []:
        copy = copies.pop(entry.get("outbox_id"), None)
        deliveries.append(_delivery(entry.get("name", ""), entry.get("email", ""),
                                    entry.get("registration_id"), copy))
    for copy in copies.values():  # copies written by a service that keeps no list
        deliveries.append(_delivery("", copy.recipient, copy.registration_id, copy))
    return broadcast, deliveries


def _delivery(name: str, email: str, registration_id: int | None,
              copy: OutboxMessage | None) -> Delivery:
    if copy is None:
        return Delivery(name, email, registration_id, "deleted")
    return Delivery(name, email, registration_id, OutboxStatus(copy.status).value,
                    copy.sent_at, copy.last_error or "", copy.attempts or 0)
