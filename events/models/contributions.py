"""The practice exchange: municipal good-practice examples (Praxisbeispiele).

A contribution is submitted without an account; the address is verified by a link
(double opt-in) before it reaches the moderation queue. Organisers publish, return
(with a comment) or unpublish; the submitter edits through a private link — while
not yet published directly, once published as a revision that moderation accepts.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from events.extensions import db
from events.models.organisers import Organiser
from events.models.programme import Theme, Workshop
from events.models.types import UTCDateTime, utcnow


class ContributionState(str, enum.Enum):
    #: Waiting for moderation (only once the address is verified: see ``email_verified_at``).
    submitted = "submitted"
    published = "published"
    #: Sent back to the submitter with a comment; editing resubmits it.
    returned = "returned"
    #: Withdrawn by the submitter or unpublished for good.
    withdrawn = "withdrawn"


class BodyKind(str, enum.Enum):
    """Kind of body that contributes (Art der Einrichtung)."""

    stadt = "stadt"
    kreisfreie_stadt = "kreisfreie_stadt"
    landkreis = "landkreis"
    gemeinde = "gemeinde"
    kommunaler_verband = "kommunaler_verband"
    freier_traeger = "freier_traeger"
    partner = "partner"


FEDERAL_STATES = (
    "Baden-Württemberg", "Bayern", "Berlin", "Brandenburg", "Bremen", "Hamburg", "Hessen",
    "Mecklenburg-Vorpommern", "Niedersachsen", "Nordrhein-Westfalen", "Rheinland-Pfalz",
    "Saarland", "Sachsen", "Sachsen-Anhalt", "Schleswig-Holstein", "Thüringen",
)

contribution_theme = Table(
    "contribution_theme", db.metadata,
    Column("contribution_id", ForeignKey("contribution.id", ondelete="CASCADE"),
           primary_key=True),
    Column("theme_id", ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True),
)

contribution_workshop = Table(
    "contribution_workshop", db.metadata,
    Column("contribution_id", ForeignKey("contribution.id", ondelete="CASCADE"),
           primary_key=True),
    Column("workshop_id", ForeignKey("workshop.id", ondelete="CASCADE"), primary_key=True),
)


class Contribution(db.Model):
    __tablename__ = "contribution"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    municipality: Mapped[str] = mapped_column(String(200))
    #: One of ``FEDERAL_STATES``, or empty (e.g. a partner working nationwide).
    federal_state: Mapped[str] = mapped_column(String(40), default="")
    body_kind: Mapped[BodyKind] = mapped_column(
        Enum(BodyKind, name="body_kind", native_enum=False, length=30))
    summary: Mapped[str] = mapped_column(Text)
    #: Markdown as written; rendered and cleaned with nh3 when shown.
    description: Mapped[str] = mapped_column(Text, default="")
    #: Results and figures, one per line.
    results: Mapped[str] = mapped_column(Text, default="")
    partners: Mapped[str] = mapped_column(Text, default="")
    #: Links, one URL per line (http/https only).
    links: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(60), default="")
    #: The contact person agreed to be shown publicly.
    contact_public: Mapped[bool] = mapped_column(Boolean, default=False)

    state: Mapped[ContributionState] = mapped_column(
        Enum(ContributionState, name="contribution_state", native_enum=False, length=20),
        default=ContributionState.submitted)
    submitter_name: Mapped[str] = mapped_column(String(200))
    submitter_email: Mapped[str] = mapped_column(String(254), index=True)
    #: None until the submitter opened the link and confirmed (double opt-in).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Random salt of the private link; a new salt revokes the old links.
    token_salt: Mapped[str] = mapped_column(String(64))
    #: The moderators' last comment when returning it (sent to the submitter).
    moderation_comment: Mapped[str] = mapped_column(Text, default="")
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Language of the submitter's e-mails ("de", "en"): the page's language when submitting,
    #: Accept-Language in the API.
    language: Mapped[str] = mapped_column(String(10), default="de", server_default="de")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    themes: Mapped[list[Theme]] = relationship(secondary=contribution_theme)
    workshops: Mapped[list[Workshop]] = relationship(secondary=contribution_workshop)
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="contribution", cascade="all, delete-orphan",
        order_by="Attachment.id")
    revisions: Mapped[list[ContributionRevision]] = relationship(
        back_populates="contribution", cascade="all, delete-orphan",
        order_by="ContributionRevision.id")

    __table_args__ = (
        Index("ix_contribution_state_published", "state", "published_at"),
    )

    @property
    def is_published(self) -> bool:
        return self.state == ContributionState.published

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def result_lines(self) -> list[str]:
        return [line.strip() for line in (self.results or "").splitlines() if line.strip()]

    @property
    def link_lines(self) -> list[str]:
        return [line.strip() for line in (self.links or "").splitlines() if line.strip()]


class ContributionRevision(db.Model):
    """A submitter's edit of a published contribution, waiting for moderation."""

    __tablename__ = "contribution_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contribution.id", ondelete="CASCADE"), index=True)
    #: The edited fields (same names as the contribution's columns; theme ids as a list).
    data: Mapped[dict] = mapped_column(JSON)
    #: ``pending``, ``accepted`` or ``rejected``.
    state: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("organiser.id"),
                                                      nullable=True)

    contribution: Mapped[Contribution] = relationship(back_populates="revisions")
    decided_by: Mapped[Organiser | None] = relationship()


class Attachment(db.Model):
    """A file of a contribution (PDF or office document), stored outside the static folder
    under ``ATTACHMENT_DIR`` by its random ``storage_key``; the name is only shown."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contribution.id", ondelete="CASCADE"), index=True)
    #: The uploaded file's name, cleaned (shown and used in Content-Disposition).
    filename: Mapped[str] = mapped_column(String(200))
    #: Decided from the content, not the name.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contribution: Mapped[Contribution] = relationship(back_populates="attachments")
