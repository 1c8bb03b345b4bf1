"""Read models of the published practice examples: detail, featured, per workshop, feed, export.

Only published contributions leave this module; everything else is None or absent
(a withdrawn or not yet moderated example is "not found" for the public). Workshops
are listed only when the public may see them (published or cancelled, not drafts).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from events.extensions import db
from events.models import (
    Attachment,
    Contribution,
    ContributionState,
    Theme,
    Workshop,
    WorkshopStatus,
)
from events.models.contributions import contribution_workshop

PUBLIC_WORKSHOP_STATUSES = (WorkshopStatus.published, WorkshopStatus.cancelled)
#: Ids beyond a 32-bit integer exist nowhere (and overflow the databases' parameters).
MAX_ID = 2**31 - 1
PUBLISHED = Contribution.state == ContributionState.published
NEWEST = (Contribution.published_at.desc(), Contribution.id.desc())


def _full():
    return (selectinload(Contribution.themes), selectinload(Contribution.attachments),
            selectinload(Contribution.workshops).selectinload(Workshop.theme))


def get_published(slug: str) -> Contribution | None:
    """The published example with this slug (themes, attachments, workshops loaded)."""
    return db.session.scalars(select(Contribution).where(Contribution.slug == slug, PUBLISHED)
                              .options(*_full())).first()


def get_published_by_id(contribution_id: int) -> Contribution | None:
    """The published example with this id; None for any other (also for absurd ids)."""
    if not 0 < contribution_id <= MAX_ID:
        return None
    return db.session.scalars(select(Contribution).where(Contribution.id == contribution_id,
                                                         PUBLISHED).options(*_full())).first()


def public_workshops(contribution: Contribution) -> list[Workshop]:
    """The workshops where it was presented, as far as the public sees them, earliest first."""
    return sorted((w for w in contribution.workshops if w.status in PUBLIC_WORKSHOP_STATUSES),
                  key=lambda w: (w.starts_at, w.id))


def public_contact(contribution: Contribution) -> dict | None:
    """Name, e-mail and phone of the contact person — only with that person's consent."""
    if not contribution.contact_public or not (contribution.contact_name
                                               or contribution.contact_email):
        return None
    return {"name": contribution.contact_name or None,
            "email": contribution.contact_email or None,
            "phone": contribution.contact_phone or None}


def public_links(contribution: Contribution) -> list[str]:
    """Its links, only http(s) (the input check refuses others; this is the second line)."""
    return [url for url in contribution.link_lines
            if url.lower().startswith(("http://", "https://"))]


def attachment(slug: str, attachment_id: int) -> Attachment | None:
    """An attachment of a published example; None for any other combination."""
    if not 0 < attachment_id <= MAX_ID:
        return None
    return db.session.scalars(
        select(Attachment).join(Contribution, Contribution.id == Attachment.contribution_id)
        .where(Attachment.id == attachment_id, Contribution.slug == slug, PUBLISHED)).first()


def featured(limit: int = 3) -> list[Contribution]:
    """Examples the organisers chose for the home page, newest first."""
    return list(db.session.scalars(
        select(Contribution).where(PUBLISHED, Contribution.featured.is_(True))
        .options(selectinload(Contribution.themes)).order_by(*NEWEST).limit(limit)))


def for_workshop(workshop_id: int) -> list[Contribution]:
    """Published examples presented at this workshop, newest first (themes loaded: the
    workshop page shows them on each card)."""
    return list(db.session.scalars(
        select(Contribution).join(contribution_workshop,
                                  contribution_workshop.c.contribution_id == Contribution.id)
        .where(contribution_workshop.c.workshop_id == workshop_id, PUBLISHED)
        .options(selectinload(Contribution.themes)).order_by(*NEWEST)))


def newest(limit: int = 30) -> list[Contribution]:
    """For the Atom feed: the most recently published examples."""
    return list(db.session.scalars(select(Contribution).where(PUBLISHED)
                                   .options(selectinload(Contribution.themes))
                                   .order_by(*NEWEST).limit(limit)))


def published_count() -> int:
    return db.session.scalar(select(func.count(Contribution.id)).where(PUBLISHED)) or 0


def for_export() -> list[Contribution]:
    """Every published example with themes and workshops, by municipality and title."""
    return list(db.session.scalars(
        select(Contribution).where(PUBLISHED)
        .options(selectinload(Contribution.themes), selectinload(Contribution.workshops),
                 selectinload(Contribution.attachments))
        .order_by(Contribution.municipality, Contribution.title, Contribution.id)))


def theme_exists(slug: str) -> bool:
    return db.session.scalar(select(Theme.id).where(Theme.slug == slug)) is not None
