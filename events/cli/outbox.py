"""``flask --app app outbox send|worker|status|retry``."""

from __future__ import annotations

import logging
import signal
import time

import click
from flask import current_app

from events import formatting, urls
from events.extensions import db
from events.mail import sender
from events.services import jobs

log = logging.getLogger(__name__)


@click.group()
def outbox() -> None:
    """E-Mail-Ausgang: senden, Dauerbetrieb, Zustand, erneut versuchen."""


@outbox.command("send")
def send() -> None:
    """Sende einmal alles Fällige und beende dich (Exit-Code 1, wenn die Datenbank fehlt)."""
    urls.warn_if_unset(current_app)
    try:
        report = sender.send_due()
    except Exception as exc:
        cause = exc.__cause__ if isinstance(exc, sender.Interrupted) else exc
        if not sender.database_lost(cause):
            raise
        # a message in hand stays claimed until its lease runs out, then goes out again
        raise click.ClickException(
            "Die Datenbank ist nicht erreichbar; bitte später erneut versuchen.") from None
    click.echo(f"Ausgang: {report}")


@outbox.command("worker")
@click.option("--interval", type=float, default=None,
              help="Sekunden zwischen zwei Runden (Standard: WORKER_INTERVAL, 5).")
def worker(interval: float | None) -> None:
    """Laufe dauerhaft: Reservierungen ablaufen lassen, fällige E-Mails senden.

    Ist die Datenbank weg (Neustart, Umschaltung), wartet der Worker mit
    wachsendem Abstand und macht von selbst weiter. Beendet sich sauber bei
    SIGTERM oder SIGINT: nach der laufenden Nachricht, mit Exit-Code 0.
    """
    interval = interval if interval is not None else current_app.config["WORKER_INTERVAL"]
    stopping = False

    def _stop(signum, _frame):
        # Only set a flag: a signal handler that takes a lock (threading.Event.set)
        # can deadlock against the main thread it interrupted.
        nonlocal stopping
        stopping = True

    def should_stop() -> bool:
        return stopping

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    urls.warn_if_unset(current_app)  # mails sent from here have no request to take a host from
    click.echo(f"Worker läuft (alle {interval:g} s). Beenden mit Strg+C oder SIGTERM.")
    unsettled: list[sender.Unsettled] = []  # messages in hand when the database went away
    failures = 0
    while not stopping:
        try:
            while unsettled:
                sender.settle(unsettled[0])
                unsettled.pop(0)
            _round(should_stop)
            failures = 0
        except Exception as exc:  # a bad round (database away, …) must not end the worker
            failures += 1
            _forget_transaction()
            pause = _pause(interval, failures)
            in_hand = ""
            if isinstance(exc, sender.Interrupted):
                unsettled.append(exc.unsettled)
                in_hand = f" with outbox message {exc.unsettled.id} in hand"
                exc = exc.__cause__ or exc
            if sender.database_lost(exc):
                # a restart or failover: one line per round, no traceback
                log.warning("worker: database unavailable (%s)%s; trying again in %.1f s",
                            type(getattr(exc, "orig", None) or exc).__name__, in_hand, pause)
            else:
                log.exception("worker: round failed; trying again in %.1f s", pause)
        finally:
            _forget_session()
        deadline = time.monotonic() + _pause(interval, failures)
        while not stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, max(deadline - time.monotonic(), 0)))
    log.info("worker: stopped by signal")
    click.echo("Worker beendet.")


#: The longest pause between two failed worker rounds, in seconds.
MAX_PAUSE = 60.0


def _pause(interval: float, failures: int) -> float:
    """The interval, doubled for each failed round in a row, at most ``MAX_PAUSE``."""
    if not failures:
        return interval
    return min(max(interval, 0.1) * 2 ** failures, max(MAX_PAUSE, interval))


def _round(should_stop) -> None:
    expired = jobs.run_due()
    db.session.commit()
    if expired.get("expired"):
        log.info("worker: %s reservation(s) expired", expired["expired"])
    report = sender.send_due(should_stop=should_stop)
    if report.sent or report.retried or report.failed:
        log.info("worker: %s", report)


def _forget_transaction() -> None:
    try:
        db.session.rollback()
    except Exception as exc:  # noqa: BLE001 - the connection may be gone; the next round matters
        log.debug("worker: rollback failed (%s)", type(exc).__name__)


def _forget_session() -> None:
    try:
        db.session.remove()
    except Exception as exc:  # noqa: BLE001 - as above
        log.debug("worker: session not closed cleanly (%s)", type(exc).__name__)


@outbox.command("status")
def status() -> None:
    """Zeige Anzahl je Zustand, die älteste fällige Nachricht und Fehlschläge."""
    summary = sender.status_summary()
    counts = summary["counts"]
    click.echo(f"in Warteschlange: {counts['queued']}, gesendet: {counts['sent']}, "
               f"fehlgeschlagen: {counts['failed']}"
               + (f", noch ungeschrieben: {counts['unwritten']}" if counts["unwritten"] else "")
               + (f", verworfen: {counts['dropped']}" if counts["dropped"] else ""))
    oldest = summary["oldest_due"]
    if oldest is not None:
        click.echo(f"älteste fällige Nachricht: #{oldest.id} ({oldest.kind}), angelegt "
                   f"{formatting.format_datetime(oldest.created_at)}, "
                   f"Versuche: {oldest.attempts}")
    waiting = summary["next_waiting"]
    if waiting is not None:
        click.echo(f"nächster Versuch: #{waiting.id} ({waiting.kind}) am "
                   f"{formatting.format_datetime(waiting.next_attempt_at)}, "
                   f"Versuche: {waiting.attempts}"
                   + (f", letzter Fehler: {waiting.last_error}" if waiting.last_error else ""))
    for message in summary["failures"]:
        click.echo(f"fehlgeschlagen: #{message.id} ({message.kind}, Anmeldung "
                   f"{message.registration_id}), Versuche: {message.attempts}, "
                   f"Fehler: {message.last_error}")


@outbox.command("retry")
def retry() -> None:
    """Stelle fehlgeschlagene Nachrichten erneut in die Warteschlange."""
    count = sender.retry_failed()
    db.session.commit()
    click.echo(f"{count} Nachricht(en) erneut in die Warteschlange gestellt.")
