"""The second factor of organiser accounts: recovery codes and the site-wide requirement.

The TOTP secret itself is a column of ``Organiser`` (``totp_secret``); it is empty
while the account has no second factor.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from events.extensions import db
from events.models.types import UTCDateTime, utcnow


class RecoveryCode(db.Model):
    """One of the ten codes shown once at enrolment; stored as a salted SHA-256, used once."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id"), index=True)
    #: Random per code (hex), so equal codes of two accounts have different hashes.
    salt: Mapped[str] = mapped_column(String(32))
    #: SHA-256 of salt + normalised code (the code has 50 random bits: no slow hash needed).
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SecuritySetting(db.Model):
    """Site-wide security settings of the back office: one row (id 1), made when first set.

    Not on ``Programme``: accounts belong to the whole back office, not to one programme.
    """

    __tablename__ = "security_setting"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Every organiser must have a second factor; without one, only enrolment is open.
    require_second_factor: Mapped[bool] = mapped_column(Boolean, default=False,
                                                        server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
