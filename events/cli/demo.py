"""``flask --app app seed-demo``: load the demo programme (idempotent)."""

from __future__ import annotations

import click

from events.demo import seed
from events.extensions import db


@click.command("seed-demo")
def seed_demo() -> None:
    """Lade Demo-Daten: Programm, Themen, Workshops (ein zweiter Lauf ändert nichts)."""
    created = seed()
    db.session.commit()
    if created:
        click.echo(f"Demo-Daten geladen: {created} Datensätze angelegt.")
    else:
        click.echo("Demo-Daten waren schon vorhanden; nichts geändert.")
