"""Calendar subscriptions: what each feed shows, its version, and the personal feed's secret.

The version (ETag, Last-Modified) of a feed is read with one small query, so a
conditional GET can be answered without building the feed. The programme and
theme feeds take it from ``Programme.feed_version``, which every change a feed
shows bumps (workshop edits, publish, unpublish, cancel), checked against the
workshops' count and latest ``updated_at``. The personal feed
takes a digest of the participant's registrations and their workshops, since
a seat change (which leaves ``feed_version`` alone) changes what it shows.

The personal feed's token is ``<participant id>.<HMAC>`` under SECRET_KEY of
the participant's ``feed_salt``: separate from the registration links (another
purpose, another salt), worthless from a database dump alone, and revoked by a
new salt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from events.extensions import db
from events.models import (
    Participant,
    Programme,
    Registration,
    RegistrationStatus,
    Theme,
    Workshop,
    WorkshopStatus,
)
from events.services.errors import InvalidLink

#: Raise when the feed's format changes, so that clients' cached copies are replaced.
FORMAT = 1
MAC_BYTES = 24
FEED_STATUSES = (WorkshopStatus.published, WorkshopStatus.cancelled)


class FeedLinkInvalid(InvalidLink):
    default_message = ("Dieser Kalender-Link ist ungültig oder wurde erneuert. Den aktuellen "
                       "Link finden Sie auf der Seite Ihrer Anmeldung.")


@dataclass(frozen=True)
class FeedVersion:
    """What a conditional GET is compared with."""

    etag: str
    last_modified: datetime


# --- programme and theme feeds --------------------------------------------------------------


def programme_version(programme: Programme) -> FeedVersion:
    """The programme's feed version, checked against its workshops' count and last change.

    ``feed_version`` is the documented source; the aggregate (one indexed query)
    also catches a write that forgot to bump it, such as workshops inserted
    directly (demo data, a future import), so no client keeps a stale feed.
    """
    count, last_change = db.session.execute(
        select(func.count(Workshop.id), func.max(Workshop.updated_at))
        .where(Workshop.programme_id == programme.id)).one()
    moments = [moment for moment in (programme.updated_at, last_change) if moment is not None]
    fingerprint = hashlib.sha256(
        f"{programme.name}|{count}|{last_change.isoformat() if last_change else ''}".encode()
    ).hexdigest()[:12]
    return FeedVersion(f"p{programme.id}-v{programme.feed_version}-{fingerprint}-f{FORMAT}",
                       max(moments))


def programme_workshops(programme: Programme, theme: Theme | None = None) -> list[Workshop]:
    """Published and cancelled workshops of the programme (optionally one theme), by start."""
    query = (select(Workshop).options(joinedload(Workshop.theme))
             .where(Workshop.programme_id == programme.id, Workshop.status.in_(FEED_STATUSES))
             .order_by(Workshop.starts_at, Workshop.id))
    if theme is not None:
        query = query.where(Workshop.theme_id == theme.id)
    return list(db.session.scalars(query))


def theme_by_slug(slug: str) -> Theme | None:
    return db.session.scalar(select(Theme).where(Theme.slug == slug))


# --- the personal feed ----------------------------------------------------------------------


def _personal_filter(participant_id: int):
    """Confirmed places, and places ended by the workshop's cancellation (shown cancelled)."""
    S = RegistrationStatus
    return and_(
        Registration.participant_id == participant_id,
        Workshop.status.in_(FEED_STATUSES),
        or_(Registration.status == S.confirmed,
            and_(Registration.status == S.cancelled, Registration.confirmed_at.is_not(None),
                 Workshop.status == WorkshopStatus.cancelled)),
    )


def personal_version(participant: Participant) -> FeedVersion:
    rows = db.session.execute(
        select(Registration.id, Registration.status, Registration.status_changed_at,
               Workshop.id, Workshop.sequence, Workshop.updated_at, Workshop.status)
        .join(Workshop, Workshop.id == Registration.workshop_id)
        .where(_personal_filter(participant.id))
        .order_by(Registration.id)
    ).all()
    digest = hashlib.sha256(repr([tuple(str(value) for value in row) for row in rows])
                            .encode()).hexdigest()[:24]
    moments = [participant.created_at] + [row[2] for row in rows] + [row[5] for row in rows]
    return FeedVersion(f"u{participant.id}-{digest}-f{FORMAT}", max(moments))


def personal_workshops(participant: Participant) -> list[Workshop]:
    return list(db.session.scalars(
        select(Workshop).options(joinedload(Workshop.theme))
        .join(Registration, Registration.workshop_id == Workshop.id)
        .where(_personal_filter(participant.id))
        .order_by(Workshop.starts_at, Workshop.id)
    ))


def _mac(participant_id: int, salt: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"calendar-feed:{participant_id}:{salt}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def feed_token(participant: Participant) -> str:
    """The secret in the personal feed's URL."""
    return f"{participant.id}.{_mac(participant.id, participant.feed_salt)}"


def participant_for_feed_token(token: str) -> Participant:
    """The participant the token belongs to; raise ``FeedLinkInvalid`` otherwise."""
    participant_id, _, mac = (token or "").partition(".")
    if not participant_id.isdigit() or not mac or len(participant_id) > 18:
        raise FeedLinkInvalid()
    participant = db.session.get(Participant, int(participant_id))
    expected = _mac(participant.id, participant.feed_salt) if participant else _mac(0, "x")
    if not hmac.compare_digest(mac.encode(), expected.encode()) or participant is None:
        raise FeedLinkInvalid()
    return participant


def revoke_feed(participant: Participant) -> None:
    """Give the participant a new feed secret: the old feed URL stops working."""
    participant.feed_salt = secrets.token_hex(16)
