"""The audit log: ``record`` adds one entry to the caller's transaction.

Every back-office change calls it next to the change itself, so the entry and the
change commit together or not at all. Entries are never edited or deleted here.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from events.extensions import db
from events.models import AuditEntry, Organiser


def _plain(value: Any) -> Any:
    """JSON-safe: datetimes as ISO text, enums as their value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: Any, fields: list[str] | tuple[str, ...]) -> dict:
    """The named attributes of ``obj`` as a JSON-safe dict (for ``before``/``after``)."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def record(actor: Organiser | None, action: str, object_type: str, object_id: int | None,
           summary: str = "", *, before: dict | None = None, after: dict | None = None
           ) -> AuditEntry:
    """Add an entry; ``actor`` None means the command line or the system."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        actor_label=f"{actor.name} <{actor.email}>" if actor is not None else "System",
        action=action, object_type=object_type, object_id=object_id, summary=summary,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
    )
    db.session.add(entry)
    return entry


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ, from both sides."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
