"""Back-office accounts, their API tokens and the failed logins that throttle them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from events.extensions import db
from events.models.types import UTCDateTime, utcnow


class Role(str, enum.Enum):
    #: Everything, including accounts and the programme's settings.
    admin = "admin"
    #: Workshops, attendees, messages, contributions.
    organiser = "organiser"


class Organiser(db.Model):
    """A person who runs the programme. Never deleted (the audit log names them)."""

    __tablename__ = "organiser"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Normalised (trimmed, lower case), like a participant's.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: argon2id hash; empty until an invited person sets a password.
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="organiser_role", native_enum=False, length=20), default=Role.organiser)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Part of the session cookie: raising it logs out every session of the account
    #: (password change, reset, deactivation).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    #: Random salt of the current invitation/reset link; empty when none is open.
    reset_salt: Mapped[str] = mapped_column(String(64), default="")
    reset_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Base32 TOTP secret of the second factor; empty when the account has none.
    totp_secret: Mapped[str] = mapped_column(String(64), default="", server_default="")
    #: When the second factor was switched on (None: off).
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The last TOTP time step accepted: a code is good once (no replay within its window).
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="organiser")

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    # flask-login's user protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def has_second_factor(self) -> bool:
        return bool(self.totp_secret) and self.totp_enabled_at is not None

    def get_id(self) -> str:
        """Id and session version: a raised version ends every older session."""
        return f"{self.id}:{self.session_version}"


class ApiToken(db.Model):
    """A bearer token for the organiser API, with its owner's role; stored as a hash."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id"), index=True)
    #: What the owner called it ("Auswertung Excel").
    name: Mapped[str] = mapped_column(String(120))
    #: The first characters of the token, to recognise it in the list.
    prefix: Mapped[str] = mapped_column(String(16))
    #: SHA-256 of the whole token (it has 256 random bits: no slow hash needed).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    organiser: Mapped[Organiser] = relationship(back_populates="tokens")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.organiser.active


class LoginFailure(db.Model):
    """One failed login, counted per account key and per client address to throttle."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``account:<sha256 of the e-mail>`` or ``address:<client address>``.
    key: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_login_failure_key_at", "key", "at"),)
