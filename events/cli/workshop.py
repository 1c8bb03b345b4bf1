"""``flask --app app workshop …``: organiser actions from the shell."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click
from flask import current_app

from events.extensions import db
from events.services import workshops
from events.services.errors import DomainError


@click.group()
def workshop() -> None:
    """Workshops ändern, absagen, Kapazität setzen."""


@workshop.command("cancel")
@click.argument("workshop_id", type=int)
@click.option("--reason", default="", help="Grund, der in der E-Mail steht.")
def cancel(workshop_id: int, reason: str) -> None:
    """Sage einen Workshop ab; alle Angemeldeten werden per E-Mail informiert."""
    try:
        affected = workshops.cancel_workshop(workshop_id, reason)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo(f"Workshop {workshop_id} abgesagt; {len(affected)} Anmeldung(en) informiert.")


@workshop.command("capacity")
@click.argument("workshop_id", type=int)
@click.argument("capacity", type=int)
def capacity(workshop_id: int, capacity: int) -> None:
    """Setze die Kapazität; frei werdende Plätze gehen an die Warteliste.

    Weniger als die bereits vergebenen Plätze (reserviert + bestätigt) wird abgelehnt.
    """
    try:
        workshops.set_capacity(workshop_id, capacity)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(_message(error)) from error
    click.echo(f"Kapazität von Workshop {workshop_id} ist jetzt {capacity}.")


def _message(error: DomainError) -> str:
    """The error and, for invalid input, each field's message."""
    details = getattr(error, "errors", None)
    return " ".join([str(error), *map(str, details.values())]) if details else str(error)


def _moment(value: str | None, option: str) -> datetime | None:
    """ISO 8601 (``2027-03-02T10:00``); without an offset it is local time (APP_TIMEZONE)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise click.BadParameter(
            f"„{value}“ ist keine Zeit im Format JJJJ-MM-TTTHH:MM.", param_hint=option
        ) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(current_app.config["APP_TIMEZONE"]))
    return moment


@workshop.command("update")
@click.argument("workshop_id", type=int)
@click.option("--starts-at", help="Neuer Beginn, z. B. 2027-03-02T10:00 (Ortszeit).")
@click.option("--ends-at", help="Neues Ende; ohne Angabe bleibt die Dauer gleich.")
@click.option("--venue", help="Name des Veranstaltungsorts.")
@click.option("--address", help="Adresse des Veranstaltungsorts.")
@click.option("--online-url", help="Zugangslink (nur für bestätigte Teilnehmende).")
@click.option("--title", help="Neuer Titel.")
def update(workshop_id: int, starts_at: str | None, ends_at: str | None, venue: str | None,
           address: str | None, online_url: str | None, title: str | None) -> None:
    """Ändere Zeit, Ort oder Titel; alle Angemeldeten erfahren per E-Mail, was sich ändert."""
    start = _moment(starts_at, "--starts-at")
    end = _moment(ends_at, "--ends-at")
    try:
        changes = workshops.update_workshop(
            workshop_id, starts_at=start, ends_at=end, venue_name=venue,
            venue_address=address, online_url=online_url, title=title)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(_message(error)) from error
    if not changes:
        click.echo(f"Workshop {workshop_id}: nichts geändert.")
        return
    click.echo(f"Workshop {workshop_id} geändert:")
    for line in changes:
        click.echo(f"  {line}")
