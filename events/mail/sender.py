"""Deliver due outbox messages: claim, send, record — one commit per step.

Delivery is at-least-once: a crash between the server's 250 and our commit
sends the message again on the next round; its fixed Message-ID lets the
receiving client drop the twin.

Claiming works on both backends: the claim transaction is serialised
(``BEGIN IMMEDIATE`` on SQLite, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so
several workers never pick the same row) and pushes ``next_attempt_at`` a
lease into the future before the message leaves the transaction. The SMTP
conversation itself holds no database lock.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_mail import Connection
from sqlalchemy import func, select

from events.extensions import db, mail
from events.mail import mime
from events.models import OutboxMessage, OutboxStatus, utcnow

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)


class TimeoutConnection(Connection):
    """Flask-Mail's connection, with ``MAIL_TIMEOUT`` on the socket (it has none)."""

    def __init__(self, state, timeout: float) -> None:
        super().__init__(state)
        self.timeout = timeout

    def configure_host(self):
        cls = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = cls(self.mail.server, self.mail.port, timeout=self.timeout)
        try:
            if self.mail.use_tls:
                host.starttls()
            if self.mail.username and self.mail.password:
                host.login(self.mail.username, self.mail.password)
        except BaseException:
            host.close()
            raise
        return host

    def send_raw(self, sender: str, recipients: list[str], raw: bytes) -> None:
        self.host.sendmail(sender, recipients, raw)

    def close(self) -> None:
        if self.host is None:
            return
        try:
            self.host.quit()
        except (smtplib.SMTPException, OSError):
            self.host.close()
        self.host = None


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.sent} gesendet, {self.retried} zurückgestellt, {self.failed} fehlgeschlagen"


class _Failure(Exception):
    def __init__(self, text: str, permanent: bool, connection_broken: bool):
        super().__init__(text)
        self.permanent = permanent
        self.connection_broken = connection_broken


def _classify(exc: Exception) -> _Failure:
    """Sort an SMTP error into permanent (5xx on this message) or transient."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        return _Failure(f"recipient refused: {codes}", permanent, False)
    if isinstance(exc, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        text = f"{exc.smtp_code} {exc.smtp_error!r}"
        return _Failure(text, 500 <= exc.smtp_code < 600, False)
    if isinstance(exc, smtplib.SMTPResponseException):  # connect, helo, auth: server-wide
        return _Failure(f"{exc.smtp_code} {exc.smtp_error!r}", False, True)
    if isinstance(exc, (smtplib.SMTPException, OSError)):  # refused, timeout, disconnected
        return _Failure(f"{type(exc).__name__}: {exc}", False, True)
    return _Failure(f"{type(exc).__name__}: {exc}", False, True)


def _lease() -> timedelta:
    return timedelta(seconds=max(300.0, 10 * current_app.config["MAIL_TIMEOUT"]))


def claim_next(now: datetime) -> int | None:
    """Claim the next due message for this worker and commit the claim."""
    session = db.session()
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    message = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.queued, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if message is None:
        session.commit()
        return None
    message.attempts += 1
    message.next_attempt_at = now + _lease()
    message_id = message.id
    session.commit()
    return message_id


def _write_file(message: OutboxMessage, raw: bytes) -> Path:
    folder = Path(current_app.config["MAIL_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (message.created_at or utcnow()).strftime("%Y%m%d-%H%M%S")
    path = folder / f"{stamp}-{message.id:06d}-{message.kind}.eml"
    path.write_bytes(raw)
    return path


def _record_failure(message: OutboxMessage, failure: _Failure, now: datetime,
                    report: SendReport) -> None:
    config = current_app.config
    message.last_error = str(failure)[:2000]
    if failure.permanent or message.attempts >= config["MAIL_MAX_ATTEMPTS"]:
        message.status = OutboxStatus.failed
        report.failed += 1
        log.error("outbox message %s (registration %s) failed after %s attempt(s): %s",
                  message.id, message.registration_id, message.attempts, failure)
    else:
        base = timedelta(seconds=config.get("MAIL_RETRY_SECONDS", 60))
        delay = min(base * (2 ** (message.attempts - 1)), MAX_BACKOFF)
        message.next_attempt_at = now + delay
        report.retried += 1
        log.warning("outbox message %s (registration %s) will be retried in %s: %s",
                    message.id, message.registration_id, delay, failure)
    report.errors.append(str(failure))


def send_due(now: datetime | None = None, limit: int | None = None) -> SendReport:
    """Send what is due once. A connection failure ends the round (the rest stays due)."""
    report = SendReport()
    config = current_app.config
    sender = config["MAIL_DEFAULT_SENDER"]
    to_files = not config.get("MAIL_SERVER")
    connection: TimeoutConnection | None = None
    try:
        while limit is None or report.sent + report.retried + report.failed < limit:
            message_id = claim_next(now or utcnow())
            if message_id is None:
                break
            message = db.session.get(OutboxMessage, message_id)
            raw = mime.build(message, sender, reply_to=config.get("CONTACT_EMAIL")).as_bytes()
            try:
                if to_files:
                    path = _write_file(message, raw)
                    log.info("mail %s (registration %s) written to %s", message.id,
                             message.registration_id, path)
                else:
                    if connection is None:
                        connection = TimeoutConnection(mail.state, config["MAIL_TIMEOUT"])
                        connection.host = connection.configure_host()
                    connection.send_raw(sender, [message.recipient], raw)
            except Exception as exc:  # noqa: BLE001 - every failure is recorded, none lost
                failure = _classify(exc)
                _record_failure(message, failure, utcnow(), report)
                db.session.commit()
                if failure.connection_broken:
                    if connection is not None:
                        connection.host and connection.host.close()
                        connection.host = None
                    connection = None
                    break
                continue
            message.status = OutboxStatus.sent
            message.sent_at = utcnow()
            message.last_error = ""
            db.session.commit()
            report.sent += 1
            log.info("outbox message %s (%s, registration %s) sent", message.id, message.kind,
                     message.registration_id)
    finally:
        if connection is not None:
            connection.close()
    return report


def retry_failed() -> int:
    """Queue every failed message again, due now; return how many."""
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
    """Counts per status, the oldest due message and the failures with their error."""
    now = now or utcnow()
    counts = dict(db.session.execute(
        select(OutboxMessage.status, func.count(OutboxMessage.id)).group_by(OutboxMessage.status)
    ).all())
    oldest_due = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.queued, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.created_at, OutboxMessage.id).limit(1)
    ).first()
    failures = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.failed)
        .order_by(OutboxMessage.id)
    ).all()
    return {
        "counts": {status.value: counts.get(status, 0) for status in OutboxStatus},
        "oldest_due": oldest_due,
        "failures": failures,
    }
