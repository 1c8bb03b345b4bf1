"""Flask commands. They call services, commit once, and never import views."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from events.cli import backup, demo, organiser, outbox, privacy, workshop

    app.cli.add_command(backup.backup)
    app.cli.add_command(demo.seed_demo)
    app.cli.add_command(organiser.organiser)
    app.cli.add_command(outbox.outbox)
    app.cli.add_command(privacy.privacy)
    app.cli.add_command(workshop.workshop)
