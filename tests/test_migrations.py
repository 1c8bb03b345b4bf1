"""The schema comes only from Alembic: from an empty database, on SQLite and PostgreSQL.

``flask --app app db upgrade`` runs as the README says (a real process reading
``DATABASE_URL``); afterwards Alembic's autogenerate comparison, configured as
``migrations/env.py`` configures it, must find no difference between the models
and the migrated database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

import events.models  # noqa: F401 - every table in the metadata
from events import ROOT, create_app
from events.extensions import db
from events.search_index import include_name, is_index_table
from tests.conftest import (
    TEST_SECRET,
    base_config,
    scratch_postgres_database,
)

pytestmark = pytest.mark.slow  # flask processes, a new PostgreSQL database per test

MODEL_TABLES = set(db.metadata.tables)


@pytest.fixture(params=[
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
])
def empty_database(request, tmp_path):
    """URL of a database with nothing in it: a new SQLite file, or a new PostgreSQL database
    (created for this test and dropped afterwards)."""
    if request.param == "sqlite":
        path = tmp_path / "fresh.db"
        assert not path.exists()
        yield f"sqlite:///{path}"
        return
    with scratch_postgres_database("praxis_migrate") as url:
        yield url


def flask_command(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """``flask --app app <args>`` in the project folder, configured by the environment only."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET,
           "MAIL_DIR": str(tmp_path / "mail"), "RATELIMIT_ENABLED": "false"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def without_driver(url: str) -> str:
    """``postgresql://…`` as hosting providers hand it out; the app must pick psycopg 3."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def schema_differences(url: str) -> list:
    """What ``flask db migrate`` would generate: the autogenerate diff, as env.py sets it up."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True,
                                  "include_name": include_name})
            return compare_metadata(context, db.metadata)
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    """The tables, without the search index (FTS5/tsvector, no model; see search_index)."""
    engine = create_engine(url)
    try:
        return {name for name in inspect(engine).get_table_names()
                if not is_index_table(name)}
    finally:
        engine.dispose()


def revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head() -> str:
    app = create_app(base_config("sqlite://", Path("/tmp")))
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(str(ROOT / "migrations"))
        return ScriptDirectory.from_config(config).get_current_head()


def test_upgrade_from_an_empty_database_matches_the_models(empty_database, tmp_path):
    assert tables(empty_database) == set()
    done = flask_command(without_driver(empty_database), tmp_path, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert tables(empty_database) == MODEL_TABLES | {"alembic_version"}
    assert revision(empty_database) == head()
    assert schema_differences(empty_database) == []
    check = flask_command(empty_database, tmp_path, "db", "check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_downgrade_to_base_and_upgrade_again(empty_database, tmp_path):
    app = create_app(base_config(empty_database, tmp_path))
    runner = app.test_cli_runner()
    try:
        for args, expected in ((["db", "upgrade"], MODEL_TABLES),
                               (["db", "downgrade", "base"], set()),
                               (["db", "upgrade"], MODEL_TABLES)):
            result = runner.invoke(args=args)
            assert result.exit_code == 0, result.output
            with app.app_context():
                db.engine.dispose()  # let the checks below see the database as it is
            assert tables(empty_database) - {"alembic_version"} == expected, args
    finally:
        with app.app_context():
            db.engine.dispose()
    assert revision(empty_database) == head()
    assert schema_differences(empty_database) == []


def test_the_difference_check_would_notice_a_missing_migration(empty_database, tmp_path):
    """The comparison above is not blind: a column the migrations lack shows up."""
    done = flask_command(empty_database, tmp_path, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    engine = create_engine(empty_database)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE theme ADD COLUMN colour VARCHAR(20)"))
    engine.dispose()
    differences = schema_differences(empty_database)
    assert [d[0] for d in differences] == ["remove_column"]
    assert differences[0][3].name == "colour"
