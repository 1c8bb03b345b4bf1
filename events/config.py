"""Settings from the environment (a ``.env`` file is honoured), with safe defaults.

Floor 1: imports nothing of ours. ``load_config`` returns a plain dict that
``create_app`` puts into ``app.config``; tests pass overrides on top of it.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from dotenv import load_dotenv

log = logging.getLogger(__name__)

TRUE_WORDS = {"1", "true", "yes", "on", "ja"}


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in TRUE_WORDS


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a whole number, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a number, got {raw!r}") from exc


def secret_key_from_instance(instance_path: str | os.PathLike) -> str:
    """Return the secret key kept in ``instance/secret_key``, creating it once.

    The file is created with ``O_CREAT | O_EXCL`` so that several worker processes
    starting at the same moment agree on one key: exactly one creates it, the
    others read what it wrote.
    """
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the creator may not have written yet
            key = path.read_text().strip()
            if key:
                return key
            import time

            time.sleep(0.02)
        raise RuntimeError(f"{path} exists but is empty; delete it or set SECRET_KEY")
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    log.warning(
        "SECRET_KEY is not set: created one in %s. Set SECRET_KEY in production.", path
    )
    return key


def load_config(instance_path: str) -> dict:
    """Read every setting from the environment; see ``.env.example`` for the list."""
    load_dotenv(override=False)
    env = os.environ.get
    database_url = env("DATABASE_URL") or "sqlite:///" + str(
        Path(instance_path) / "praxisaustausch.db"
    )
    if database_url.startswith("postgres://"):  # Heroku-style URLs
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

    mail_server = env("MAIL_SERVER", "").strip()
    return {
        "SECRET_KEY": env("SECRET_KEY") or None,  # filled from instance/ by create_app
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAIL_SERVER": mail_server or None,
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool(env("MAIL_USE_TLS"), False),
        "MAIL_USE_SSL": _bool(env("MAIL_USE_SSL"), False),
        "MAIL_USERNAME": env("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env("MAIL_DEFAULT_SENDER")
        or "Kompetenzteam Flüchtlingsmanagement <praxisaustausch@localhost>",
        "MAIL_TIMEOUT": _float("MAIL_TIMEOUT", 10.0),
        "MAIL_MAX_ATTEMPTS": _int("MAIL_MAX_ATTEMPTS", 8),
        "MAIL_DIR": env("MAIL_DIR") or str(Path(instance_path) / "mail"),
        "CONTACT_EMAIL": env("CONTACT_EMAIL") or "praxisaustausch@localhost",
        "CONTACT_NAME": env("CONTACT_NAME")
        or "Kompetenzteam Flüchtlings- und Integrationsmanagement",
        "PROGRAMME_CAPACITY": _int("PROGRAMME_CAPACITY", 150),
        "CONFIRMATION_HOURS": _float("CONFIRMATION_HOURS", 48),
        "LINK_RESEND_MINUTES": _int("LINK_RESEND_MINUTES", 10),
        "APP_TIMEZONE": env("APP_TIMEZONE") or "Europe/Berlin",
        "BABEL_DEFAULT_LOCALE": env("APP_LOCALE") or "de",
        "BABEL_DEFAULT_TIMEZONE": env("APP_TIMEZONE") or "Europe/Berlin",
        "BASE_URL": (env("BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        "RATELIMIT_ENABLED": _bool(env("RATELIMIT_ENABLED"), True),
        "RATELIMIT_STORAGE_URI": env("RATELIMIT_STORAGE_URI") or "memory://",
        "RATELIMIT_REGISTRATION": env("RATELIMIT_REGISTRATION") or "10 per minute;60 per hour",
        "RATELIMIT_HEADERS_ENABLED": True,
        "WORKER_INTERVAL": _float("WORKER_INTERVAL", 5.0),
        "CONSENT_VERSION": env("CONSENT_VERSION") or "2026-11",
        "WTF_CSRF_TIME_LIMIT": None,
    }
