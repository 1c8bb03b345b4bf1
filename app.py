"""Entry point: ``flask --app app run`` and ``gunicorn app:app``."""

from events import create_app

app = create_app()
