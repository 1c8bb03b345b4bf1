"""Settings from the environment and the ``.env`` file; the secret key kept in instance/."""

from __future__ import annotations

import logging
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from events import ROOT, create_app
from events import config as config_module
from events.config import load_config, secret_key_from_instance
from events.extensions import db

EXAMPLE = ROOT / ".env.example"
NO_FILE = ""  # env_file="" : read no .env file at all


@pytest.fixture(autouse=True)
def _away_from_the_project(tmp_path, monkeypatch):
    """Run from an empty folder, so that a developer's own .env cannot take part."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)


def settings_in_config_module() -> set[str]:
    """Every variable ``load_config`` reads: ``env.text("NAME"…)``, ``env.integer(…)``, …"""
    source = Path(config_module.__file__).read_text()
    return set(re.findall(
        r'env\.(?:text|boolean|integer|number|rate_limit)\(\s*"([A-Z0-9_]+)"', source))


# --- the secret key ------------------------------------------------------------------------


def test_secret_key_from_the_environment_wins(tmp_path, monkeypatch):
    assert load_config(tmp_path, {"SECRET_KEY": "aus-der-umgebung"},
                       NO_FILE)["SECRET_KEY"] == "aus-der-umgebung"
    monkeypatch.setenv("SECRET_KEY", "aus-der-umgebung")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    with app.app_context():
        db.engine.dispose()
    assert app.config["SECRET_KEY"] == "aus-der-umgebung"
    assert load_config(tmp_path, {}, NO_FILE)["SECRET_KEY"] is None  # unset: instance/ decides


def test_without_one_a_key_is_created_once_in_instance(tmp_path, caplog):
    instance = tmp_path / "instance"
    with caplog.at_level(logging.WARNING, logger="events.config"):
        first = secret_key_from_instance(instance)
    path = instance / "secret_key"
    assert path.read_text().strip() == first and len(first) >= 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "Set SECRET_KEY in production" in caplog.text and str(path) in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="events.config"):
        assert secret_key_from_instance(instance) == first
    assert "Set SECRET_KEY in production" in caplog.text  # said again on every start
    assert sorted(p.name for p in instance.iterdir()) == ["secret_key"]  # no temporary left


# Each racer makes key generation slow, which widens the gap between "no key yet"
# and "key written": a check-then-write implementation then gives every process
# its own key (tried: 5 rounds out of 5); an exclusive create cannot.
RACER = """
import secrets, sys, time
from events.config import secret_key_from_instance
fast = secrets.token_urlsafe
secrets.token_urlsafe = lambda n: (time.sleep(0.2), fast(n))[1]
sys.stdin.read()  # everyone is loaded; start together when the parent closes stdin
print(secret_key_from_instance(sys.argv[1]))
"""


@pytest.mark.parametrize("round_", range(2))
def test_processes_starting_together_agree_on_one_key(tmp_path, round_):
    instance = tmp_path / "instance"
    racers = [subprocess.Popen([sys.executable, "-c", RACER, str(instance)], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
              for _ in range(6)]
    for racer in racers:  # go
        racer.stdin.close()
    outcomes = []
    for racer in racers:
        outcomes.append((racer.stdout.read(), racer.stderr.read()))
        racer.wait(timeout=60)
    assert [racer.returncode for racer in racers] == [0] * 6, [err for _, err in outcomes]
    keys = {out.strip() for out, _ in outcomes}
    assert len(keys) == 1
    assert (instance / "secret_key").read_text().strip() == keys.pop()
    assert stat.S_IMODE((instance / "secret_key").stat().st_mode) == 0o600
    assert sorted(p.name for p in instance.iterdir()) == ["secret_key"]
    creators = [err for _, err in outcomes if "created a key" in err]
    assert len(creators) == 1  # exactly one process made it; the others read it


def test_a_secret_file_without_a_key_is_a_clear_error(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "secret_key").write_text("\n")
    with pytest.raises(RuntimeError, match="holds no key.*SECRET_KEY"):
        secret_key_from_instance(instance)


# --- the database --------------------------------------------------------------------------


def test_database_defaults_to_a_sqlite_file_in_instance(tmp_path):
    url = load_config(tmp_path / "instance", {}, NO_FILE)["SQLALCHEMY_DATABASE_URI"]
    assert url == f"sqlite:///{tmp_path / 'instance' / 'praxisaustausch.db'}"


@pytest.mark.parametrize("given, expected", [
    ("postgres://u:geheim@db.example:5432/praxis",
     "postgresql+psycopg://u:geheim@db.example:5432/praxis"),
    ("postgresql://u@127.0.0.1/praxis", "postgresql+psycopg://u@127.0.0.1/praxis"),
    ("postgresql+psycopg://u@h/praxis", "postgresql+psycopg://u@h/praxis"),
    ("postgresql+psycopg2://u@h/praxis", "postgresql+psycopg2://u@h/praxis"),  # as chosen
    ("sqlite:////var/lib/praxis/daten.db", "sqlite:////var/lib/praxis/daten.db"),
])
def test_database_url_postgres_schemes_use_psycopg(tmp_path, given, expected):
    config = load_config(tmp_path, {"DATABASE_URL": given}, NO_FILE)
    assert config["SQLALCHEMY_DATABASE_URI"] == expected


def test_app_from_a_plain_postgresql_url_uses_the_psycopg_driver(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nirgends")
    app = create_app({"SECRET_KEY": "x"})  # no connection is made to build the engine
    with app.app_context():
        assert (db.engine.dialect.name, db.engine.dialect.driver) == ("postgresql", "psycopg")
        db.engine.dispose()


# --- values --------------------------------------------------------------------------------


@pytest.mark.parametrize("name, value, words", [
    ("MAIL_PORT", "fünfundzwanzig", "whole number"),
    ("MAIL_PORT", "0", "at least 1"),
    ("PROGRAMME_CAPACITY", "150.5", "whole number"),
    ("PROGRAMME_CAPACITY", "-1", "at least 0"),
    ("LINK_RESEND_MINUTES", "zehn", "whole number"),
    ("MAIL_MAX_ATTEMPTS", "0", "at least 1"),
    ("CONFIRMATION_HOURS", "zwei Tage", "a number"),
    ("CONFIRMATION_HOURS", "0", "greater than 0"),
    ("MAIL_TIMEOUT", "-5", "greater than 0"),
    ("WORKER_INTERVAL", "schnell", "a number"),
    ("RATELIMIT_ENABLED", "vielleicht", "true or false"),
    ("MAIL_USE_TLS", "2", "true or false"),
    ("APP_TIMEZONE", "Europa/Bonn", "time zone"),
    ("RATELIMIT_REGISTRATION", "ganz viele", "10 per minute"),
    ("BASE_URL", "praxis.example", "http://"),
    ("LOG_LEVEL", "LAUT", "LOG_LEVEL must be one of"),
])
def test_bad_values_stop_the_start_naming_the_variable(tmp_path, name, value, words):
    with pytest.raises(RuntimeError) as error:
        load_config(tmp_path, {name: value}, NO_FILE)
    assert name in str(error.value) and words in str(error.value)
    assert repr(value) in str(error.value) or name == "LOG_LEVEL"


def test_tls_and_ssl_together_are_refused(tmp_path):
    with pytest.raises(RuntimeError, match="MAIL_USE_TLS.*MAIL_USE_SSL"):
        load_config(tmp_path, {"MAIL_USE_TLS": "true", "MAIL_USE_SSL": "ja"}, NO_FILE)


@pytest.mark.parametrize("value, expected", [
    ("true", True), ("1", True), ("ja", True), ("ON", True), (" yes ", True),
    ("false", False), ("0", False), ("nein", False), ("Off", False), ("no", False),
    ("", True),  # empty: the default
])
def test_switches(tmp_path, value, expected):
    assert load_config(tmp_path, {"RATELIMIT_ENABLED": value}, NO_FILE)[
        "RATELIMIT_ENABLED"] is expected


def test_defaults(tmp_path):
    config = load_config(tmp_path, {}, NO_FILE)
    assert config["MAIL_SERVER"] is None  # no server: mail goes to .eml files
    assert config["MAIL_DIR"] == str(tmp_path / "mail")
    assert (config["MAIL_TIMEOUT"], config["PROGRAMME_CAPACITY"],
            config["CONFIRMATION_HOURS"]) == (10.0, 150, 48.0)
    assert (config["APP_TIMEZONE"], config["BASE_URL"]) == ("Europe/Berlin", None)
    assert config["ALLOWED_HOSTS"] == []  # BASE_URL unset: pages follow the request
    assert (config["RATELIMIT_ENABLED"], config["RATELIMIT_STORAGE_URI"]) == (True, "memory://")


def test_numbers_and_urls_are_read(tmp_path):
    config = load_config(tmp_path, {"MAIL_TIMEOUT": "2.5", "PROGRAMME_CAPACITY": "80",
                                    "BASE_URL": "https://praxis.example/", "MAIL_PORT": " 587 ",
                                    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"},
                         NO_FILE)
    assert (config["MAIL_TIMEOUT"], config["PROGRAMME_CAPACITY"], config["MAIL_PORT"]) == \
        (2.5, 80, 587)
    assert config["BASE_URL"] == "https://praxis.example"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


# --- the .env file -------------------------------------------------------------------------


def test_dot_env_in_the_working_folder_is_honoured_and_the_environment_wins(tmp_path):
    Path(".env").write_text("PROGRAMME_CAPACITY=42\nBASE_URL=https://aus-der-datei.example\n"
                            "MAIL_SERVER=smtp.kommune.example\n")
    config = load_config(tmp_path, {"BASE_URL": "https://aus-der-umgebung.example"})
    assert config["PROGRAMME_CAPACITY"] == 42
    assert config["MAIL_SERVER"] == "smtp.kommune.example"
    assert config["BASE_URL"] == "https://aus-der-umgebung.example"
    assert "PROGRAMME_CAPACITY" not in os.environ  # read, not copied into the process


def test_the_app_reads_dot_env(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "RATELIMIT_ENABLED"):
        monkeypatch.delenv(name, raising=False)  # the real environment would win
    database = tmp_path / "aus-der-datei.db"
    Path(".env").write_text(f"SECRET_KEY=geheim-aus-der-datei\nDATABASE_URL=sqlite:///{database}\n"
                            "RATELIMIT_ENABLED=false\n")
    app = create_app()
    with app.app_context():
        db.engine.dispose()
    assert app.config["SECRET_KEY"] == "geheim-aus-der-datei"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{database}"


def test_env_example_lists_every_setting_with_a_comment():
    settings = settings_in_config_module()
    assert len(settings) > 20  # the pattern still finds them
    lines = EXAMPLE.read_text().splitlines()
    listed = {}
    for number, line in enumerate(lines):
        match = re.match(r"([A-Z0-9_]+)=", line)
        if match:
            listed[match.group(1)] = number
    assert set(listed) == settings
    for name, number in listed.items():
        above = lines[number - 1]
        assert above.startswith("# ") and len(above) > 12, f"{name} has no comment"


def test_env_example_holds_the_defaults(tmp_path):
    """Copying .env.example to .env changes nothing: the file shows the real defaults."""
    assert load_config(tmp_path, {}, EXAMPLE) == load_config(tmp_path, {}, NO_FILE)
