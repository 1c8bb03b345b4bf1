"""What the worker does each round besides sending mail."""

from __future__ import annotations

from datetime import datetime

from events.models import utcnow
from events.services import seats


def run_due(now: datetime | None = None) -> dict:
    """Expire overdue reservations (which promotes from the waiting list)."""
    now = now or utcnow()
    return {"expired": seats.expire_due(now)}
