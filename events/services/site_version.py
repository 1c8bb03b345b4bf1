"""The data version of the public site: one fingerprint of everything public pages show.

The page cache (``events.web.page_cache``) keeps rendered pages as long as this
fingerprint stays the same; reading it is one statement of small aggregates, so a
process can afford it every few seconds but not on every request.

What goes in, and which change it catches:

* programmes: feed version (bumped by workshop and theme changes), last change
  (settings, capacity, the count of deleted participants);
* workshops: count and last ``updated_at`` (title, times, place, publish, cancel);
* registrations: count, highest id and last ``status_changed_at`` (a new
  registration, a confirmation, a cancellation, a promotion, an expiry; a deletion
  lowers the count): the seat counts of the catalogue and the API;
* practice examples: count and last ``updated_at`` (moderation, publish, withdraw).

Besides the fingerprint it returns the next moment at which the mere passing of time
changes a page (a workshop starts or ends, its registration opens or closes): the
cache drops everything at that moment, whatever the fingerprint says.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from events.extensions import db
from events.models import Contribution, Programme, Registration, Workshop, utcnow


@dataclass(frozen=True)
class SiteVersion:
    fingerprint: str
    #: When time alone changes a page next (None: no such moment ahead).
    next_change: datetime | None


def _aggregates() -> list:
    def scalar(expression, model):
        return select(expression).select_from(model).scalar_subquery()

    return [
        scalar(func.count(), Programme), scalar(func.sum(Programme.feed_version), Programme),
        scalar(func.max(Programme.updated_at), Programme),
        scalar(func.count(), Workshop), scalar(func.max(Workshop.updated_at), Workshop),
        scalar(func.count(), Registration), scalar(func.max(Registration.id), Registration),
        scalar(func.max(Registration.status_changed_at), Registration),
        scalar(func.count(), Contribution), scalar(func.max(Contribution.updated_at), Contribution),
    ]


def _next_moments(now: datetime) -> list:
    """The earliest start, end, opening and closing of a workshop still ahead."""
    return [select(func.min(column)).where(column > now).scalar_subquery()
            for column in (Workshop.starts_at, Workshop.ends_at, Workshop.registration_opens_at,
                           Workshop.registration_closes_at)]


def read(now: datetime | None = None) -> SiteVersion:
    """The current fingerprint and the next time-driven change, in one statement."""
    now = now or utcnow()
    row = db.session.execute(select(*_aggregates(), *_next_moments(now))).one()
    values, moments = row[:-4], [moment for moment in row[-4:] if moment is not None]
    digest = hashlib.blake2b("|".join(map(str, values)).encode(), digest_size=12).hexdigest()
    return SiteVersion(digest, min(moments) if moments else None)
