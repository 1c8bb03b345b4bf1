"""What the worker does each round besides sending mail."""

from __future__ import annotations

from datetime import datetime

from events.models import utcnow
from events.services import reminders, seats
from events.services.locking import begin_serialised


def run_due(now: datetime | None = None) -> dict:
    """Expire overdue reservations (which promotes from the waiting list), queue reminders.

    The round starts serialised (``BEGIN IMMEDIATE`` on SQLite), so that the
    reminders' claim never has to upgrade a read transaction to a write one, which
    SQLite refuses when another worker wrote in between. Call it with no pending
    changes in the session; the caller commits.
    """
    now = now or utcnow()
    begin_serialised()
    expired = seats.expire_due(now)
    return {"expired": expired, "reminded": reminders.send_due(now)}
