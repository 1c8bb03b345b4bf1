"""Deliver due outbox messages: claim, send, record — each step its own short transaction.

Why delivery is at-least-once, never exactly-once: the SMTP server's ``250``
and our ``COMMIT`` of ``status = sent`` are two separate events that no
protocol can join. If the process dies, the database connection drops or the
lease runs out after the server accepted the message but before the commit,
the row is still ``queued`` and a later round sends it again. Losing mail
would be worse than a twin, so we accept the twin: the Message-ID is fixed when
the row is queued and goes out unchanged on every attempt, so mail clients
and servers that deduplicate by Message-ID drop the second copy.

Claiming works on both backends: the claim transaction is serialised
(``BEGIN IMMEDIATE`` on SQLite; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
several workers never pick the same row) and pushes ``next_attempt_at`` a
lease into the future before the message leaves the transaction. The SMTP
conversation itself runs outside any transaction.

Failures: a 5xx for the message (or ``MAIL_MAX_ATTEMPTS`` used up) marks it
``failed``; a 4xx, a timeout or a dropped connection retries it later with
exponential backoff. When the server cannot be reached at all, every due
message is deferred in one go (each counts the attempt), so a dead server
costs one ``MAIL_TIMEOUT`` per round, not one per message.

The database going away (restart, failover) while a message is in hand raises
``Interrupted`` with what the database may not know yet (``Unsettled``: the
message, our lease, whether the SMTP server already has it). The worker keeps
it and calls ``settle`` once the database answers again: a delivered message
is recorded as sent (no twin after a mere connection cut), an undelivered one
is due again at once instead of waiting for its lease to run out. Only a
process that dies with a message in hand leaves it to the lease.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from flask import current_app
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from events.database import database_unavailable
from events.extensions import db
from events.mail import mime
from events.mail.smtp import Failure, ServerUnavailable, TimeoutConnection, classify, redact
from events.models import OutboxMessage, OutboxStatus, utcnow

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.sent} gesendet, {self.retried} zurückgestellt, {self.failed} fehlgeschlagen"


# --- transactions ----------------------------------------------------------------------


def _begin_write() -> None:
    """Start a write transaction: ``BEGIN IMMEDIATE`` on SQLite (see ``events.database``).

    A deferred SQLite transaction that reads and then writes fails at once with
    "database is locked" when another worker wrote in between; an immediate one
    waits its turn. A read-only transaction left open by the caller is ended;
    unflushed changes are a programming error (we must not commit them).
    """
    session = db.session()
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("commit pending changes before sending mail")
        session.rollback()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def _due(now: datetime):
    return (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.queued, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )


def _lease() -> timedelta:
    """How long a claim keeps other workers off: longer than any SMTP conversation."""
    return timedelta(seconds=max(300.0, 10 * current_app.config["MAIL_TIMEOUT"]))


@dataclass(frozen=True)
class Claimed:
    id: int
    registration_id: int | None
    kind: str
    created_at: datetime
    envelope: mime.Envelope | None
    error: str = ""
    #: ``next_attempt_at`` as this claim set it: the row is still ours while it holds.
    lease_until: datetime | None = None


@dataclass(frozen=True)
class Unsettled:
    """A claimed message whose outcome the database may not have: the connection broke."""

    id: int
    lease_until: datetime
    delivered: bool  # the SMTP server accepted it (or the .eml file was written)


class Interrupted(Exception):
    """The database went away while a message was in hand; ``settle`` it later."""

    def __init__(self, unsettled: Unsettled) -> None:
        super().__init__(f"database connection lost with outbox message {unsettled.id} in hand")
        self.unsettled = unsettled


#: The one test for "the database cannot be reached right now" (``events.database``).
database_lost = database_unavailable


def _claim_statement(now: datetime, lease_until: datetime):
    """One statement: take the next due row (``_due``, ``SKIP LOCKED``), count the attempt,
    set the lease, return the row. Core, not the ORM: the worker's CPU per mail (issue 15)."""
    table = OutboxMessage.__table__
    due = _due(now).with_only_columns(table.c.id).limit(1).scalar_subquery()
    return (update(table).where(table.c.id == due)
            .values(attempts=table.c.attempts + 1, next_attempt_at=lease_until)
            .returning(*table.c))


def claim_next(now: datetime) -> Claimed | None:
    """Claim the next due message for this worker, build its bytes, commit the claim."""
    config = current_app.config
    _begin_write()
    lease_until = now + _lease()
    message = db.session.execute(_claim_statement(now, lease_until)).first()
    if message is None:
        db.session.commit()
        return None
    error, envelope = "", None
    try:
        envelope = mime.envelope(message, config["MAIL_DEFAULT_SENDER"],
                                 reply_to=_reply_to())
    except Exception as exc:  # noqa: BLE001 - a message we cannot build fails, not the worker
        error = f"Nachricht nicht erstellbar: {type(exc).__name__}: {exc}"
    claimed = Claimed(message.id, message.registration_id, message.kind,
                      message.created_at or now, envelope, error, lease_until)
    try:
        db.session.commit()
    except DBAPIError as exc:  # the claim may or may not have reached the database
        if not database_lost(exc):
            raise
        raise Interrupted(Unsettled(claimed.id, lease_until, delivered=False)) from exc
    return claimed


def settle(unsettled: Unsettled) -> str:
    """Tell the database what became of a message the connection lost; commits.

    Delivered → ``sent``; not delivered → due again now. Only while the row
    still holds our lease: if the claim never committed, or another worker has
    it now, it is left alone. Returns what was done; raises ``DBAPIError`` while
    the database is still away (keep it and try again).
    """
    _begin_write()
    message = db.session.get(OutboxMessage, unsettled.id, populate_existing=True)
    outcome = "unchanged"
    if message is not None and message.status == OutboxStatus.queued \
            and message.next_attempt_at == unsettled.lease_until:
        if unsettled.delivered:
            message.status = OutboxStatus.sent
            message.sent_at = utcnow()
            message.last_error = ""
            outcome = "sent"
        else:
            message.next_attempt_at = utcnow()
            outcome = "due again"
    db.session.commit()
    log.info("outbox message %s settled after a lost database connection: %s",
             unsettled.id, outcome)
    return outcome


def _reply_to() -> str | None:
    config = current_app.config
    if not config.get("CONTACT_EMAIL"):
        return None
    return mime.header_of((config.get("CONTACT_NAME") or "", config["CONTACT_EMAIL"]))


def _retry_delay(attempts: int) -> timedelta:
    base = timedelta(seconds=current_app.config["MAIL_RETRY_SECONDS"])
    return min(base * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _apply_failure(message: OutboxMessage, failure: Failure, now: datetime,
                   report: SendReport, *, quiet: bool = False) -> None:
    text = redact(failure.text)[:2000]
    message.last_error = text
    report.errors.append(text)
    if failure.permanent or message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        message.status = OutboxStatus.failed
        report.failed += 1
        log.error("outbox message %s (%s, registration %s) failed after %s attempt(s): %s",
                  message.id, message.kind, message.registration_id, message.attempts, text)
        return
    delay = _retry_delay(message.attempts)
    message.next_attempt_at = now + delay
    report.retried += 1
    if not quiet:
        log.warning("outbox message %s (%s, registration %s) will be retried in %s: %s",
                    message.id, message.kind, message.registration_id, delay, text)


def _record_failure(claimed: Claimed, failure: Failure, now: datetime,
                    report: SendReport) -> None:
    _begin_write()
    message = db.session.get(OutboxMessage, claimed.id, populate_existing=True)
    if message is not None:
        _apply_failure(message, failure, now, report)
    db.session.commit()


def _record_sent(claimed: Claimed, report: SendReport) -> None:
    """Mark it sent. On PostgreSQL this commit does not wait for the disk: should the
    database crash before the mark is written, the message goes out again (at least
    once, with the same Message-ID), exactly as when the worker dies before this commit.
    The claim before the sending did wait (everything the mail tells of was on disk
    before it left). Spares the disk one flush per mail, which the registrations' own
    flushes would otherwise queue behind during a rush."""
    _begin_write()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit = off"))
    table = OutboxMessage.__table__
    db.session.execute(update(table).where(table.c.id == claimed.id).values(
        status=OutboxStatus.sent, sent_at=utcnow(), last_error=""))
    db.session.commit()
    report.sent += 1
    log.info("outbox message %s (%s, registration %s) sent", claimed.id, claimed.kind,
             claimed.registration_id)


def _defer_all(claimed: Claimed, failure: Failure, now: datetime, report: SendReport) -> None:
    """The server is unreachable: the claimed message and every other due one wait.

    Each counts an attempt, exactly as if it had been tried on its own.
    """
    _begin_write()
    claimed_row = db.session.get(OutboxMessage, claimed.id, populate_existing=True)
    others = [m for m in db.session.scalars(_due(now)) if m.id != claimed.id]
    for message in others:
        message.attempts += 1
    for message in ([claimed_row] if claimed_row else []) + others:
        _apply_failure(message, failure, now, report, quiet=True)
    db.session.commit()
    log.warning("%s; %s message(s) deferred with backoff", redact(failure.text),
                len(others) + (claimed_row is not None))


# --- transports ------------------------------------------------------------------------


def _write_file(folder: Path, claimed: Claimed) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = claimed.created_at.strftime("%Y%m%d-%H%M%S")
    path = folder / f"{stamp}-{claimed.id:06d}-{claimed.kind}.eml"
    partial = path.with_suffix(".eml.part")
    partial.write_bytes(claimed.envelope.raw)
    partial.replace(path)  # a reader never sees half a message
    return path


def send_due(now: datetime | None = None, limit: int | None = None,
             should_stop: Callable[[], bool] = lambda: False) -> SendReport:
    """Send what is due once and return what happened; never raises for a mail failure.

    ``now`` fixes the clock of the whole round (tests); by default the real
    time is read at each step. ``should_stop`` is checked between messages (the
    worker's SIGTERM). With no ``MAIL_SERVER`` the messages are written to
    ``MAIL_DIR`` as ``.eml`` files. Raises ``RuntimeError`` if the session holds
    unflushed changes; ends a read-only transaction the caller left open; raises
    ``Interrupted`` when the database goes away with a message in hand.
    """
    clock = (lambda: now) if now is not None else utcnow
    report = SendReport()
    config = current_app.config
    folder = None if config.get("MAIL_SERVER") else Path(config["MAIL_DIR"])
    connection = TimeoutConnection(current_app.extensions["mail"], config["MAIL_TIMEOUT"])
    claimed, delivered = None, False
    try:
        while (limit is None or report.sent + report.retried + report.failed < limit) \
                and not should_stop():
            claimed, delivered = None, False
            claimed = claim_next(clock())
            if claimed is None:
                break
            if claimed.envelope is None:
                _record_failure(claimed, Failure(claimed.error, permanent=True), clock(), report)
                continue
            try:
                if folder is not None:
                    path = _write_file(folder, claimed)
                    log.info("outbox message %s (registration %s) written to %s", claimed.id,
                             claimed.registration_id, path)
                else:
                    if connection.host is None:
                        try:
                            connection.host = connection.configure_host()
                        except Exception as exc:  # noqa: BLE001 - server-wide, see below
                            raise ServerUnavailable(
                                f"Mailserver nicht erreichbar: {classify(exc).text}") from exc
                    connection.send_envelope(claimed.envelope)
            except ServerUnavailable as exc:
                _defer_all(claimed, Failure(str(exc), end_round=True), clock(), report)
                break
            except Exception as exc:  # noqa: BLE001 - every failure is recorded, none lost
                failure = classify(exc)
                if failure.drop_connection:
                    connection.drop()
                _record_failure(claimed, failure, clock(), report)
                if failure.end_round:
                    break
                continue
            # At-least-once: the server has the message now. Should we die before
            # this commit, the row stays queued and goes out again (same Message-ID).
            delivered = True
            _record_sent(claimed, report)
            claimed = None
    except DBAPIError as exc:
        if claimed is None or claimed.lease_until is None or not database_lost(exc):
            raise
        raise Interrupted(Unsettled(claimed.id, claimed.lease_until, delivered)) from exc
    finally:
        connection.close()
    return report


# --- operator commands -----------------------------------------------------------------


def retry_failed() -> int:
    """Queue every failed message again, due now; return how many. The caller commits."""
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.failed)
    ).all()
    now = utcnow()
    for message in messages:
        message.status = OutboxStatus.queued
        message.attempts = 0
        message.next_attempt_at = now
    return len(messages)


def status_summary(now: datetime | None = None) -> dict:
    """Counts per status, the oldest due message, the next retry and the failures."""
    now = now or utcnow()
    counts = dict(db.session.execute(
        select(OutboxMessage.status, func.count(OutboxMessage.id)).group_by(OutboxMessage.status)
    ).all())
    oldest_due = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.queued, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.created_at, OutboxMessage.id).limit(1)
    ).first()
    next_waiting = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.queued, OutboxMessage.next_attempt_at > now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1)
    ).first()
    failures = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.failed)
        .order_by(OutboxMessage.id)
    ).all()
    return {
        "counts": {status.value: counts.get(status, 0) for status in OutboxStatus},
        "oldest_due": oldest_due,
        #: The next message that waits for a retry (or a claim's lease), with its error.
        "next_waiting": next_waiting,
        "failures": failures,
    }


def purge_mail_files(before: datetime) -> int:
    """Delete ``.eml`` files in ``MAIL_DIR`` last written before ``before``; return the count.

    Without a mail server every message is kept as a file; those copies hold the
    same personal data as the outbox rows and follow the same retention.
    """
    folder = Path(current_app.config["MAIL_DIR"])
    if not folder.is_dir():
        return 0
    limit = before.timestamp()
    removed = 0
    for path in folder.glob("*.eml"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another worker was faster
            continue
    return removed
