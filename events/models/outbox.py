"""Outgoing e-mail, queued in the same transaction as the change that causes it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from events.extensions import db
from events.models.types import UTCDateTime, utcnow


class OutboxStatus(str, enum.Enum):
    queued = "queued"
    sent = "sent"
    failed = "failed"
    #: Reserved with its change (a registration on PostgreSQL's fast path), the text not
    #: yet written: never sent as is; the worker writes it (``unwritten_mail``).
    unwritten = "unwritten"
    #: Never sent on purpose: an unwritten one whose registration was gone or had moved
    #: on when the worker came to write it (``last_error`` says why). Not retried.
    dropped = "dropped"


class OutboxMessage(db.Model):
    """One e-mail exactly as it will be sent.

    The Message-ID is fixed when queued, so a message that is delivered twice
    (at-least-once: a crash between the server's 250 and our commit) can be
    recognised as the same one by the receiving client.
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    #: What kind of message this is (``confirm_request``, ``invitation``, …).
    kind: Mapped[str] = mapped_column(String(40))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), nullable=True, index=True
    )
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    #: Optional iCalendar payload and its METHOD (REQUEST, CANCEL).
    ical: Mapped[str | None] = mapped_column(Text, nullable=True)
    ical_method: Mapped[str | None] = mapped_column(String(20), nullable=True)
    #: The language it is written in: its Content-Language header.
    language: Mapped[str] = mapped_column(String(5), default="de", server_default="de")
    #: One optional file attachment (a certificate PDF): name, MIME type and bytes.
    attachment_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attachment_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    attachment_data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    #: The organiser's message this copy belongs to (delivery state per recipient).
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcast.id", ondelete="SET NULL"), nullable=True, index=True)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(OutboxStatus, name="outbox_status", native_enum=False, length=20),
        default=OutboxStatus.queued,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)
