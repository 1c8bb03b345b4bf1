"""``flask --app app organiser …``: back-office accounts from the shell (the first admin)."""

from __future__ import annotations

import sys

import click

from events.extensions import db
from events.models import Role
from events.services import accounts
from events.services.errors import InvalidInput


@click.group()
def organiser() -> None:
    """Konten des Verwaltungsbereichs anlegen."""


def _read_password() -> str:
    """Twice at a terminal (hidden); one line from standard input otherwise."""
    if sys.stdin.isatty():
        return click.prompt("Passwort", hide_input=True, confirmation_prompt="Passwort wiederholen")
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@organiser.command("create")
@click.argument("email")
@click.option("--name", default="", help="Anzeigename (Standard: Teil vor dem @).")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.admin.value,
              show_default=True, help="admin: alles; organiser: Workshops und Teilnehmende.")
def create(email: str, name: str, role: str) -> None:
    """Lege ein Konto an; das Passwort wird abgefragt (oder von stdin gelesen)."""
    password = _read_password()
    try:
        organiser_ = accounts.create(email, name or email.partition("@")[0], Role(role),
                                     password)
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        raise click.ClickException(" ".join(str(m) for m in error.errors.values())) from error
    click.echo(f"Konto {organiser_.email} ({organiser_.role.value}) angelegt. "
               f"Anmeldung unter /organiser/login.")
