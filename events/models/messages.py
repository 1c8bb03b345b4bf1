"""Messages organisers write to a workshop's participants; the certificates they issue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from events.extensions import db
from events.models.organisers import Organiser
from events.models.programme import Workshop
from events.models.types import UTCDateTime, utcnow


class Broadcast(db.Model):
    """A message to several participants: kept with its recipients (their outbox rows)."""

    __tablename__ = "broadcast"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshop.id"), nullable=True,
                                                    index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("organiser.id"), nullable=True)
    #: ``confirmed``, ``waitlisted``, ``selection``, ``certificates``…
    audience: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    #: The text as written, placeholders included.
    body: Mapped[str] = mapped_column(Text)
    #: Registration ids and addresses at the time of sending.
    recipients: Mapped[list | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    workshop: Mapped[Workshop | None] = relationship()
    author: Mapped[Organiser | None] = relationship()


class Certificate(db.Model):
    """A certificate of attendance: what it says, frozen when issued, and its code.

    ``/bescheinigung/<code>`` shows exactly these fields and nothing more.
    """

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unguessable verification code printed on the certificate.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), nullable=True, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    municipality: Mapped[str] = mapped_column(String(200))
    workshop_title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Duration in hours (decimal, e.g. 5.5), as printed.
    hours: Mapped[str] = mapped_column(String(10))
    place: Mapped[str] = mapped_column(String(500), default="")
    topics: Mapped[str] = mapped_column(Text, default="")
    issuer: Mapped[str] = mapped_column(String(300))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Times it was mailed (the organisers' "send all certificates").
    mailed_count: Mapped[int] = mapped_column(Integer, default=0)
