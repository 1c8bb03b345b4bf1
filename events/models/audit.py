"""The audit log: who changed what in the back office, when, before and after."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from events.extensions import db
from events.models.organisers import Organiser
from events.models.types import UTCDateTime, utcnow


class AuditEntry(db.Model):
    """One change. Written in the same transaction as the change; never edited."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: The organiser who acted; None for the command line or the system.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("organiser.id"), nullable=True,
                                                 index=True)
    #: Name and address at the time (an account's name may change later).
    actor_label: Mapped[str] = mapped_column(String(300), default="")
    #: Stable key such as ``workshop.update`` or ``registration.cancel``.
    action: Mapped[str] = mapped_column(String(60), index=True)
    #: ``workshop``, ``registration``, ``organiser``, ``programme``, ``message``, ``theme``…
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: One German line for the list ("Kapazität 20 → 25").
    summary: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    actor: Mapped[Organiser | None] = relationship()

    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),)
