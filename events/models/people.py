"""Participants and their registrations."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from events.extensions import db
from events.models.programme import Workshop, ical_host
from events.models.types import UTCDateTime, utcnow


def normalise_email(email: str) -> str:
    """Trimmed and lower-cased: the identity of a person in the programme."""
    return email.strip().lower()

class RegistrationStatus(str, enum.Enum):
    pending = "pending"  # seat held, waiting for the confirmation click
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"
    expired = "expired"

#: Statuses that hold a seat and count against both limits.
SEAT_HOLDING = (RegistrationStatus.pending, RegistrationStatus.confirmed)
#: Statuses from which one may register again (the row is reused).
ENDED = (RegistrationStatus.cancelled, RegistrationStatus.expired)

class Participant(db.Model):
    """A person, identified by the normalised e-mail address."""

    __tablename__ = "participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    municipality: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")
    #: Bundesland, where known (figures by federal state); empty when not given.
    federal_state: Mapped[str] = mapped_column(String(40), default="", server_default="")
    #: Random salt of the personal calendar feed's token; a new salt revokes the old feed URL.
    feed_salt: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16))
    #: Language of the person's last registration ("de", "en"): the language of a place the
    #: organisers add by hand.
    language: Mapped[str] = mapped_column(String(5), default="de", server_default="de")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registrations: Mapped[list[Registration]] = relationship(back_populates="participant")

class Registration(db.Model):
    """One person's place (or wait) in one workshop; one row per pair, reused."""

    __tablename__ = "registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    status: Mapped[RegistrationStatus] = mapped_column(
        Enum(RegistrationStatus, name="registration_status", native_enum=False, length=20)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the person (last) asked for a place: the waiting list's order.
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Deadline of a pending reservation.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    consent_version: Mapped[str] = mapped_column(String(40))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    remarks: Mapped[str] = mapped_column(Text, default="")
    #: Health data (Art. 9 DSGVO): stored only with its own explicit consent.
    accessibility_needs: Mapped[str | None] = mapped_column(Text, nullable=True)
    accessibility_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Random salt of the personal link; a new salt revokes the old links.
    token_salt: Mapped[str] = mapped_column(String(64))
    #: Last time the personal link was mailed again on a repeated registration.
    link_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: iCalendar SEQUENCE of this participant's copy of the event.
    ical_sequence: Mapped[int] = mapped_column(Integer, default=0)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Check-in on the day; None: not (yet) there. Kept for the no-show figures.
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: ``public`` (the form or the API) or ``organiser`` (added by hand in the back office).
    source: Mapped[str] = mapped_column(String(20), default="public", server_default="public")
    #: Language of every message about this place and of its calendar file ("de", "en"):
    #: the page's language when the person (last) registered, Accept-Language in the API.
    language: Mapped[str] = mapped_column(String(5), default="de", server_default="de")

    workshop: Mapped[Workshop] = relationship()
    participant: Mapped[Participant] = relationship(back_populates="registrations")

    __table_args__ = (
        UniqueConstraint("workshop_id", "participant_id"),
        # seats and waiting list per workshop; with the other columns the figures (people
        # with a seat, check-ins, registrations over time) come from the index alone (0009)
        Index("ix_registration_workshop_figures", "workshop_id", "status", "participant_id",
              "attended_at", "created_at"),
        Index("ix_registration_status_expires", "status", "expires_at"),
        # the attendee list's default order (registered, then id), walked page by page;
        # with the workshop the programme scope is checked inside the index (0009)
        Index("ix_registration_requested", "requested_at", "id", "workshop_id"),
        # one workshop's registrations in the order of request (the organiser API, 0012)
        Index("ix_registration_workshop_requested", "workshop_id", "requested_at", "id"),
    )

    @property
    def ical_uid(self) -> str:
        """UID of this participant's copy of the event: the same for ever, for every
        invitation, update and cancellation (the row is reused on re-registration)."""
        return f"registration-{self.id}@{ical_host()}"

    @property
    def holds_seat(self) -> bool:
        return self.status in SEAT_HOLDING

    @property
    def can_register_again(self) -> bool:
        return self.status in ENDED


class _Tally:
    """How many registrations are in one status (the two tallies below): rows kept by the
    database's triggers, never written by the application."""

    status: Mapped[RegistrationStatus] = mapped_column(
        Enum(RegistrationStatus, name="registration_status", native_enum=False, length=20),
        primary_key=True)
    number: Mapped[int] = mapped_column(Integer, default=0)


class RegistrationTally(_Tally, db.Model):
    """How many registrations a workshop has in each status, kept by the database itself:
    triggers on ``registration`` (migration 0011) count every insert, status change and
    delete, whichever code (or a bulk import, or a manual fix in SQL) makes it, in the same
    transaction. The attendee list's counts read these few rows instead of counting every
    registration of the programme."""

    __tablename__ = "registration_tally"

    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshop.id", ondelete="CASCADE"), primary_key=True)
    #: The workshop's programme (migration 0013): what ``ProgrammeTally`` adds up by.
    programme_id: Mapped[int] = mapped_column(Integer)


class ProgrammeTally(_Tally, db.Model):
    """``RegistrationTally`` added up per programme and status, kept by triggers on it
    (migration 0013): the programme's counts in as many rows as there are statuses,
    however many workshops it has."""

    __tablename__ = "programme_tally"

    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), primary_key=True)
