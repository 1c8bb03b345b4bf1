"""The programme, its themes and workshops."""

from __future__ import annotations

import enum
from datetime import datetime

from flask import current_app
from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from events.extensions import db
from events.models.types import UTCDateTime, utcnow
from events.urls import stable_host


def ical_host() -> str:
    """The host in every iCalendar UID: ICAL_UID_HOST, else the host of BASE_URL (never the
    request's: a UID must not change with the address a page was opened on)."""
    return current_app.config.get("ICAL_UID_HOST") or stable_host()


class WorkshopStatus(str, enum.Enum):
    draft = "draft"
    published = "published"
    cancelled = "cancelled"


class Programme(db.Model):
    """A series of workshops with one cap on distinct participants.

    Its row is also the lock that serialises every seat change in the programme.
    """

    __tablename__ = "programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Most distinct people (by e-mail) who may hold a seat at the same time.
    capacity: Mapped[int] = mapped_column(Integer)
    #: Bumped by every change that a calendar feed shows (ETag source).
    feed_version: Mapped[int] = mapped_column(Integer, default=1)
    #: People whose seats here the retention purge deleted (``services.retention``); they
    #: still count against the cap, as their rows did before.
    deleted_participants: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Default registration window of new workshops: opens so many days before the start
    #: (None: at once, when published) and closes so many hours before it (0: at the start).
    registration_opens_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    registration_closes_hours: Mapped[int] = mapped_column(Integer, default=0,
                                                           server_default="0")
    #: Contact named on the programme's pages and certificates; empty: the configured one.
    contact_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    workshops: Mapped[list[Workshop]] = relationship(back_populates="programme")

    __table_args__ = (CheckConstraint("capacity >= 0", name="capacity_not_negative"),)


class Theme(db.Model):
    __tablename__ = "theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    workshops: Mapped[list[Workshop]] = relationship(back_populates="theme")


class Workshop(db.Model):
    __tablename__ = "workshop"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id"), index=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue_name: Mapped[str] = mapped_column(String(200), default="")
    venue_address: Mapped[str] = mapped_column(String(300), default="")
    #: Link for online workshops; shown only to confirmed participants.
    online_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    capacity: Mapped[int] = mapped_column(Integer)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: None means: until the workshop starts.
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[WorkshopStatus] = mapped_column(
        Enum(WorkshopStatus, name="workshop_status", native_enum=False, length=20),
        default=WorkshopStatus.draft,
    )
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    #: iCalendar SEQUENCE of the workshop's time and place; raised on each change.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    programme: Mapped[Programme] = relationship(back_populates="workshops")
    theme: Mapped[Theme] = relationship(back_populates="workshops")

    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        # the programme's workshops in the order of their start (the organiser API's list
        # of registrations walks it page by page; 0012)
        Index("ix_workshop_programme_start", "programme_id", "starts_at", "id"),
    )

    @property
    def ical_uid(self) -> str:
        """UID of the workshop in feeds and downloads; never changes."""
        return f"workshop-{self.id}@{ical_host()}"

    @property
    def is_online(self) -> bool:
        return bool(self.online_url) and not self.venue_name

    @property
    def is_published(self) -> bool:
        return self.status == WorkshopStatus.published

    @property
    def is_cancelled(self) -> bool:
        return self.status == WorkshopStatus.cancelled

    @property
    def registration_deadline(self) -> datetime:
        """When registration closes: the set closing time, else the start."""
        closes = self.registration_closes_at
        return min(closes, self.starts_at) if closes else self.starts_at

    def registration_state(self, now: datetime) -> str:
        """One of ``open``, ``draft``, ``cancelled``, ``not_yet_open``, ``closed``, ``past``."""
        if self.status == WorkshopStatus.draft:
            return "draft"
        if self.status == WorkshopStatus.cancelled:
            return "cancelled"
        if now >= self.starts_at:
            return "past"
        if self.registration_opens_at and now < self.registration_opens_at:
            return "not_yet_open"
        if now >= self.registration_deadline:
            return "closed"
        return "open"
