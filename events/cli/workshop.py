"""``flask --app app workshop …``: organiser actions from the shell."""

from __future__ import annotations

import click

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
    """Setze die Kapazität; frei werdende Plätze gehen an die Warteliste."""
    try:
        workshops.set_capacity(workshop_id, capacity)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo(f"Kapazität von Workshop {workshop_id} ist jetzt {capacity}.")
