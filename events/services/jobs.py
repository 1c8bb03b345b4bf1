"""What the worker does each round besides sending mail."""

from __future__ import annotations

import logging
from datetime import datetime

from events.mail.sender import purge_mail_files
from events.models import utcnow
from events.services import (
    accounts,
    contributions,
    reminders,
    retention,
    seats,
    unwritten_mail,
)
from events.services.locking import begin_serialised

log = logging.getLogger(__name__)


def run_due(now: datetime | None = None) -> dict:
    """Write the mails the registration rush reserved (``unwritten_mail``, committed
    batch by batch), expire overdue reservations (which promotes from the waiting list),
    queue reminders, delete personal data past its retention (``retention.purge``; one
    query when none is) and ``.eml`` copies older than the retention.

    The round starts serialised (``BEGIN IMMEDIATE`` on SQLite), so that the
    reminders' claim never has to upgrade a read transaction to a write one, which
    SQLite refuses when another worker wrote in between. Call it with no pending
    changes in the session; the caller commits.
    """
    now = now or utcnow()
    unwritten_mail.write_unwritten()  # the registration rush's mails (seat_pipeline); commits
    begin_serialised()
    expired = seats.expire_due(now)
    reminded = reminders.send_due(now)
    purged = retention.purge(now)
    if purged:
        log.info("retention purge: %s", purged)
    unverified = contributions.purge_unverified(now)  # practice examples never confirmed
    if unverified:
        log.info("unverified contributions deleted: %s", unverified)
    accounts.purge_failures(now)  # failed logins older than a day: throttling needs no more
    files = purge_mail_files(retention.cutoff(now))
    if files:
        log.info("retention purge: %s mail file(s) deleted", files)
    return {"expired": expired, "reminded": reminded, "purged": purged, "mail_files": files,
            "unverified_contributions": unverified}
