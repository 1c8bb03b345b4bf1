"""``flask --app app backup FILE``: a consistent copy of the database while the app runs.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies page by page from
one consistent snapshot; writers keep going (WAL), and the result is a plain database
file to put back in place (with the app stopped) or to open directly.
PostgreSQL: ``pg_dump -Fc`` (custom format, compressed, for ``pg_restore``), run with
the connection from ``DATABASE_URL``; the password goes in ``PGPASSWORD``, never on the
command line (``ps`` shows command lines to every user). See docs/deployment.md.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.engine import URL, make_url

from events.extensions import db


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(target: Path) -> None:
    """Sichere die Datenbank in eine Datei (SQLite: Online-Backup; PostgreSQL: pg_dump -Fc)."""
    if target.exists():
        raise click.ClickException(f"{target} gibt es schon; bitte einen neuen Namen wählen.")
    url = make_url(db.engine.url.render_as_string(hide_password=False))
    if url.get_backend_name() == "sqlite":
        backup_sqlite(url, target)
    elif url.get_backend_name() == "postgresql":
        backup_postgres(url, target)
    else:
        raise click.ClickException(f"Keine Sicherung für {url.get_backend_name()} eingebaut.")
    click.echo(f"Sicherung geschrieben: {target} ({target.stat().st_size} Bytes)")


def backup_sqlite(url: URL, target: Path) -> None:
    """Copy the live database into ``target`` through SQLite's online backup API."""
    if not url.database or url.database == ":memory:":
        raise click.ClickException("Die SQLite-Datenbank liegt nur im Speicher.")
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(url.database)
    try:
        destination = sqlite3.connect(partial)
        try:
            source.backup(destination, pages=1024)  # short steps: writers are not held up
        finally:
            destination.close()
    finally:
        source.close()
    partial.replace(target)  # no half-written file under the final name


def pg_connection_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """libpq options (``-h -p -U -d``) and environment (``PGPASSWORD``) for ``url``."""
    args = []
    if url.host:
        args += ["-h", url.host]
    if url.port:
        args += ["-p", str(url.port)]
    if url.username:
        args += ["-U", url.username]
    args += ["-d", url.database or "postgres"]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def backup_postgres(url: URL, target: Path) -> None:
    """``pg_dump -Fc`` into ``target``; its version must be at least the server's."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise click.ClickException(
            "pg_dump fehlt (Debian: apt-get install postgresql-client, in der Version des "
            "Servers oder neuer).")
    args, env = pg_connection_args(url)
    partial = target.with_name(target.name + ".partial")
    result = subprocess.run([pg_dump, "-Fc", "--no-password", "-f", str(partial), *args],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"pg_dump ist fehlgeschlagen: {result.stderr.strip()}")
    partial.replace(target)
