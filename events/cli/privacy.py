"""``flask --app app privacy purge [--dry-run]``: delete personal data past its retention."""

from __future__ import annotations

import click
from flask import current_app

from events import formatting
from events.extensions import db
from events.mail.sender import purge_mail_files
from events.models import utcnow
from events.services import contributions, retention
from events.services.locking import begin_serialised


@click.group()
def privacy() -> None:
    """Datenschutz: Speicherfristen durchsetzen."""


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


@privacy.command("purge")
@click.option("--dry-run", is_flag=True,
              help="Nur zählen, was gelöscht würde; nichts ändern.")
def purge(dry_run: bool) -> None:
    """Lösche Anmeldungen, Personen und E-Mails nach Ablauf der Speicherfrist.

    Regeln: ``events/services/retention.py``. Der Worker (``outbox worker``) tut
    dasselbe in jeder Runde; dieser Befehl ist für den Lauf von Hand und die
    Vorschau. Der Probelauf führt die Löschung in einer Transaktion aus und rollt
    sie zurück: Er zählt genau, was ein echter Lauf löschen würde.
    """
    now = utcnow()
    begin_serialised()
    try:
        report = retention.purge(now)
        unverified = contributions.purge_unverified(now)
    finally:
        if dry_run:
            db.session.rollback()
    if not dry_run:
        db.session.commit()
        files = purge_mail_files(retention.cutoff(now))
        if files:
            click.echo(f"{_count(files, 'E-Mail-Datei', 'E-Mail-Dateien')} in "
                       f"{current_app.config['MAIL_DIR']} gelöscht.")

    click.echo(f"Unbestätigte Praxisbeispiele (älter als 7 Tage) "
               f"{'zu löschen' if dry_run else 'gelöscht'}: {unverified}.")
    days = current_app.config["RETENTION_DAYS"]
    click.echo(f"Speicherfrist: {days} Tage (Stichtag "
               f"{formatting.format_datetime(retention.cutoff(now))}).")
    if not report:
        click.echo("Nichts zu löschen.")
        return
    deleted = ", ".join((
        _count(report.registrations, "Anmeldung", "Anmeldungen"),
        _count(report.participants, "Person", "Personen"),
        _count(report.messages, "E-Mail", "E-Mails"),
    ))
    needs = _count(report.accessibility_cleared, "Anmeldung", "Anmeldungen")
    if dry_run:
        click.echo("Probelauf: Nichts wurde geändert.")
        click.echo(f"Zu löschen: {deleted}.")
        click.echo(f"Angaben zur Barrierefreiheit zu entfernen (Workshop vorbei): {needs}.")
    else:
        click.echo(f"Gelöscht: {deleted}.")
        click.echo(f"Angaben zur Barrierefreiheit entfernt (Workshop vorbei): {needs}.")
