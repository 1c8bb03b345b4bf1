"""Settings from the environment (a ``.env`` file is honoured), with safe defaults.

Floor 1: imports nothing of ours. ``load_config`` returns a plain dict that
``create_app`` puts into ``app.config``; tests pass overrides on top of it.
Every setting read here is listed, with a German comment, in ``.env.example``
(a test keeps the two in step). A value that cannot be right stops the start
with a ``RuntimeError`` naming the variable, rather than failing later.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values, find_dotenv
from limits import parse_many

log = logging.getLogger(__name__)

TRUE_WORDS = {"1", "true", "yes", "on", "ja"}
FALSE_WORDS = {"0", "false", "no", "off", "nein"}
LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
SECRET_FILE = "secret_key"
#: Links outside a request name this address when BASE_URL is not set (see events/urls.py).
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


class Settings:
    """Typed reading of one environment mapping; every failure names the variable."""

    def __init__(self, values: Mapping[str, str]):
        self.values = values

    def text(self, name: str, default: str | None = None) -> str | None:
        value = (self.values.get(name) or "").strip()
        return value or default

    def boolean(self, name: str, default: bool) -> bool:
        raw = (self.text(name) or "").lower()
        if not raw:
            return default
        if raw in TRUE_WORDS:
            return True
        if raw in FALSE_WORDS:
            return False
        raise RuntimeError(f"{name} must be true or false, got {raw!r}")

    def integer(self, name: str, default: int, minimum: int = 0) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise RuntimeError(f"{name} must be a whole number, got {raw!r}") from exc
        if value < minimum:
            raise RuntimeError(f"{name} must be at least {minimum}, got {raw!r}")
        return value

    def number(self, name: str, default: float, minimum: float = 0.0) -> float:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError as exc:
            raise RuntimeError(f"{name} must be a number, got {raw!r}") from exc
        if not value > minimum:
            raise RuntimeError(f"{name} must be greater than {minimum:g}, got {raw!r}")
        return value

    def rate_limit(self, name: str, default: str) -> str:
        """A Flask-Limiter limit such as ``10 per minute;60 per hour``."""
        value = self.text(name, default)
        try:
            parse_many(value)
        except ValueError as exc:
            raise RuntimeError(f"{name} must look like {default!r}, got {value!r}") from exc
        return value


def secret_key_from_instance(instance_path: str | os.PathLike) -> str:
    """Return the secret key kept in ``instance/secret_key``, creating it once.

    Several worker processes starting at the same moment must agree on one key.
    The key is written to a private temporary file first, which is then linked to
    its name: ``link`` is an exclusive create (it fails if the name exists, like
    ``O_CREAT | O_EXCL``) that also makes the file appear with its content, so
    a loser of the race never reads a half-written or empty file. Raises
    ``RuntimeError`` when the file exists but holds no key.
    """
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SECRET_FILE
    if not path.exists():
        key = secrets.token_urlsafe(48)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".secret_key-")  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(key + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: use its key
        else:
            log.warning("SECRET_KEY is not set: created a key in %s. Set SECRET_KEY in "
                        "production (all processes must share it).", path)
            return key
        finally:
            os.unlink(temporary)
    key = _read_key(path)
    log.warning("SECRET_KEY is not set: using the key in %s. Set SECRET_KEY in production.",
                path)
    return key


def _read_key(path: Path) -> str:
    for _ in range(20):  # a file from an older, non-atomic writer may still be filling
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.05)
    raise RuntimeError(f"{path} exists but holds no key; delete it or set SECRET_KEY")


def database_url(raw: str | None, instance_path: str | os.PathLike) -> str:
    """``DATABASE_URL`` for SQLAlchemy; PostgreSQL URLs without a driver use psycopg 3."""
    if not raw:
        return "sqlite:///" + str(Path(instance_path).resolve() / "praxisaustausch.db")
    for prefix in ("postgres://", "postgresql://"):  # postgres:// as Heroku & Co. write it
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def read_environment(environ: Mapping[str, str] | None = None,
                     env_file: str | os.PathLike | None = None) -> dict[str, str]:
    """The process environment over the ``.env`` file (found from the working directory up,
    as the ``flask`` command does). ``os.environ`` itself is left untouched."""
    path = env_file if env_file is not None else find_dotenv(usecwd=True)
    from_file = {k: v for k, v in dotenv_values(path).items() if v is not None} if path else {}
    return {**from_file, **(os.environ if environ is None else environ)}


def load_config(instance_path: str | os.PathLike, environ: Mapping[str, str] | None = None,
                env_file: str | os.PathLike | None = None) -> dict:
    """Read every setting; see ``.env.example`` for the list and what each one means.

    Raises ``RuntimeError`` naming the variable when a value is malformed.
    """
    env = Settings(read_environment(environ, env_file))
    instance = Path(instance_path)

    timezone_name = env.text("APP_TIMEZONE", "Europe/Berlin")
    try:
        ZoneInfo(timezone_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RuntimeError(f"APP_TIMEZONE is not a known time zone: {timezone_name!r}") from exc
    registration_limit = env.rate_limit("RATELIMIT_REGISTRATION", "10 per minute;60 per hour")
    certificate_limit = env.rate_limit("RATELIMIT_CERTIFICATE", "30 per minute;300 per hour")
    base_url = (env.text("BASE_URL") or "").rstrip("/") or None  # None: the request's host
    if base_url and not base_url.startswith(("http://", "https://")):
        raise RuntimeError(f"BASE_URL must start with http:// or https://, got {base_url!r}")
    allowed_hosts = [h.strip().lower() for h in (env.text("ALLOWED_HOSTS") or "").split(",")
                     if h.strip()]
    for host in allowed_hosts:
        if "/" in host or "@" in host or " " in host:
            raise RuntimeError(f"ALLOWED_HOSTS lists names like praxis.example or "
                               f"praxis.example:8443, got {host!r}")
    log_level = env.text("LOG_LEVEL", "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise RuntimeError(f"LOG_LEVEL must be one of {sorted(LOG_LEVELS)}, got {log_level!r}")
    mail_tls, mail_ssl = env.boolean("MAIL_USE_TLS", False), env.boolean("MAIL_USE_SSL", False)
    if mail_tls and mail_ssl:
        raise RuntimeError("MAIL_USE_TLS (STARTTLS, port 587) and MAIL_USE_SSL (port 465) "
                           "exclude each other; set only one")

    url = database_url(env.text("DATABASE_URL"), instance)
    # no pool_pre_ping: events.database pings only connections that sat idle (ping_when_idle)
    engine_options = {}
    if not url.startswith("sqlite"):
        # connections kept per process: at least one per thread, or every request beyond
        # them opens and closes one (a new server process each, under load)
        engine_options["pool_size"] = env.integer("DATABASE_POOL_SIZE", 5, minimum=1)
    return {
        "SECRET_KEY": env.text("SECRET_KEY"),  # None: create_app takes the one in instance/
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "MAIL_SERVER": env.text("MAIL_SERVER"),
        "MAIL_PORT": env.integer("MAIL_PORT", 25, minimum=1),
        "MAIL_USE_TLS": mail_tls,
        "MAIL_USE_SSL": mail_ssl,
        "MAIL_USERNAME": env.text("MAIL_USERNAME"),
        "MAIL_PASSWORD": env.text("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": env.text(
            "MAIL_DEFAULT_SENDER",
            "Kompetenzteam Flüchtlingsmanagement <praxisaustausch@localhost>"),
        "MAIL_TIMEOUT": env.number("MAIL_TIMEOUT", 10.0),
        "MAIL_MAX_ATTEMPTS": env.integer("MAIL_MAX_ATTEMPTS", 12, minimum=1),
        "MAIL_RETRY_SECONDS": env.integer("MAIL_RETRY_SECONDS", 60, minimum=1),
        "MAIL_DIR": env.text("MAIL_DIR", str(instance / "mail")),
        # practice exchange: attachments of contributions (outside the static folder)
        "ATTACHMENT_DIR": env.text("ATTACHMENT_DIR", str(instance / "attachments")),
        "CONTACT_EMAIL": env.text("CONTACT_EMAIL", "praxisaustausch@localhost"),
        "CONTACT_NAME": env.text("CONTACT_NAME",
                                "Kompetenzteam Flüchtlings- und Integrationsmanagement"),
        # calendar: invitations' ORGANIZER (a mailbox that receives replies), reminders, UIDs
        "ORGANIZER_NAME": env.text("ORGANIZER_NAME", env.text(
            "CONTACT_NAME", "Kompetenzteam Flüchtlings- und Integrationsmanagement")),
        "ORGANIZER_EMAIL": env.text("ORGANIZER_EMAIL",
                                    env.text("CONTACT_EMAIL", "praxisaustausch@localhost")),
        "REMINDER_BEFORE": timedelta(hours=env.number("REMINDER_BEFORE_HOURS", 72.0)),
        "ICAL_UID_HOST": env.text("ICAL_UID_HOST"),
        "PROGRAMME_CAPACITY": env.integer("PROGRAMME_CAPACITY", 150),
        "CONFIRMATION_HOURS": env.number("CONFIRMATION_HOURS", 48),
        "LINK_RESEND_MINUTES": env.integer("LINK_RESEND_MINUTES", 10),
        "APP_TIMEZONE": timezone_name,
        "BABEL_DEFAULT_LOCALE": env.text("APP_LOCALE", "de"),
        "BABEL_DEFAULT_TIMEZONE": timezone_name,
        "BASE_URL": base_url,
        "ALLOWED_HOSTS": allowed_hosts,
        "RATELIMIT_ENABLED": env.boolean("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": env.text("RATELIMIT_STORAGE_URI", "memory://"),
        # several installations on one Redis keep their counters apart by this prefix
        "RATELIMIT_KEY_PREFIX": env.text("RATELIMIT_KEY_PREFIX", ""),
        # Redis away: each process counts alone in memory until it is back (and logs it),
        # rather than answering every limited form with a 500
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_REGISTRATION": registration_limit,
        "RATELIMIT_HEADERS_ENABLED": True,
        "WORKER_INTERVAL": env.number("WORKER_INTERVAL", 5.0),
        # public pages kept rendered per process; a change shows after at most this many
        # seconds (0: off); see events/web/page_cache.py
        "PAGE_CACHE_SECONDS": env.integer("PAGE_CACHE_SECONDS", 5),
        "PAGE_CACHE_ENTRIES": env.integer("PAGE_CACHE_ENTRIES", 1000, minimum=1),
        "TRUSTED_PROXIES": env.integer("TRUSTED_PROXIES", 0),
        "MAX_CONTENT_LENGTH": env.integer("MAX_CONTENT_LENGTH", 256 * 1024, minimum=1024),
        "KERN_PACKAGE": env.text("KERN_PACKAGE"),
        "CONSENT_VERSION": env.text("CONSENT_VERSION", "2026-11"),
        # public site: imprint and privacy notice (address lines separated by ";")
        "OPERATOR_NAME": env.text("OPERATOR_NAME",
                                 "Kompetenzteam Flüchtlings- und Integrationsmanagement"),
        "OPERATOR_ADDRESS": env.text("OPERATOR_ADDRESS", "Musterstraße 1; 12345 Musterstadt"),
        "OPERATOR_REPRESENTATIVE": env.text("OPERATOR_REPRESENTATIVE", ""),
        "OPERATOR_EMAIL": env.text("OPERATOR_EMAIL",
                                  env.text("CONTACT_EMAIL", "praxisaustausch@localhost")),
        "OPERATOR_PHONE": env.text("OPERATOR_PHONE", ""),
        "PRIVACY_CONTACT": env.text("PRIVACY_CONTACT", ""),
        "PRIVACY_AUTHORITY": env.text("PRIVACY_AUTHORITY", ""),
        "PRIVACY_RETENTION": env.text("PRIVACY_RETENTION", ""),
        # storage limitation (Art. 5(1)(e) DSGVO): days after a workshop until deletion
        "RETENTION_DAYS": env.integer("RETENTION_DAYS", 183, minimum=1),
        "PRIVACY_TEXT_FILE": env.text("PRIVACY_TEXT_FILE", ""),
        "IMPRINT_TEXT_FILE": env.text("IMPRINT_TEXT_FILE", ""),
        # accessibility statement (BITV 2.0 / EU 2016/2102): status, last check, contact
        "ACCESSIBILITY_STATUS": env.text("ACCESSIBILITY_STATUS", "teilweise"),
        "ACCESSIBILITY_CHECKED_ON": env.text("ACCESSIBILITY_CHECKED_ON", "2026-11-30"),
        "ACCESSIBILITY_CONTACT": env.text("ACCESSIBILITY_CONTACT", ""),
        "ACCESSIBILITY_ENFORCEMENT_BODY": env.text(
            "ACCESSIBILITY_ENFORCEMENT_BODY",
            "Schlichtungsstelle nach § 16 BGG; bei der oder dem Beauftragten der Bundesregierung "
            "für die Belange von Menschen mit Behinderungen; Mauerstraße 53; 10117 Berlin"),
        "ACCESSIBILITY_ENFORCEMENT_URL": env.text("ACCESSIBILITY_ENFORCEMENT_URL",
                                                  "https://www.schlichtungsstelle-bgg.de"),
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent.parent
                                             / "translations"),
        "LOG_LEVEL": log_level,
        "WTF_CSRF_TIME_LIMIT": None,
        # back office: sessions, login throttling, invitations
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.boolean("SESSION_COOKIE_SECURE",
                                             (base_url or "").startswith("https://")),
        "ORGANISER_IDLE_MINUTES": env.integer("ORGANISER_IDLE_MINUTES", 60, minimum=1),
        "LOGIN_MAX_FAILURES": env.integer("LOGIN_MAX_FAILURES", 5, minimum=1),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": env.integer("LOGIN_MAX_FAILURES_PER_ADDRESS", 20,
                                                      minimum=1),
        "LOGIN_THROTTLE_MINUTES": env.integer("LOGIN_THROTTLE_MINUTES", 15, minimum=1),
        "RATELIMIT_CERTIFICATE": certificate_limit,
        "ORGANISER_INVITE_HOURS": env.integer("ORGANISER_INVITE_HOURS", 72, minimum=1),
    }
