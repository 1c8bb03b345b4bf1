"""Fixtures: the app on a migrated database (SQLite and PostgreSQL), factories, a clock.

PostgreSQL tests use a database of their own, created for the test session on
the server at ``TEST_POSTGRES_URL`` (default: the local server's ``test``
database as the admin connection). When the server is absent they are skipped
with the reason, unless ``REQUIRE_POSTGRES=1``, which turns the skip into a
failure (CI sets it).
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from events import create_app
from events.extensions import db
from events.models import Programme, Theme, Workshop, WorkshopStatus
from events.services.applicants import Applicant
from tests.postgres_drops import drop_later, wait_for_drops

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES", "").lower() in {"1", "true", "yes"}
pytest_plugins = ["tests.smtp_support"]

TEST_SECRET = "test-secret-key-not-for-production"
BACKENDS = ["sqlite", "postgresql"]


def base_config(database_url: str, tmp_path: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_ENABLED": False,
        "MAIL_SERVER": None,
        "MAIL_DIR": str(tmp_path / "mail"),
        "BASE_URL": "http://praxis.test",
        "PROGRAMME_CAPACITY": 150,
        "MAIL_RETRY_SECONDS": 60,
        # tests see every change at once; tests/test_pages_cache.py turns the cache on
        "PAGE_CACHE_SECONDS": 0,
    }


# --- PostgreSQL ------------------------------------------------------------------------


def _postgres_reason() -> str | None:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means: not available
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {type(exc).__name__}"
    return None


def require_postgres() -> None:
    """Skip (or, with REQUIRE_POSTGRES=1, fail) when the server is not reachable."""
    reason = _postgres_reason()
    if reason:
        if REQUIRE_POSTGRES:
            pytest.fail(f"REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)


@contextmanager
def scratch_postgres_database(prefix: str):
    """Create an empty PostgreSQL database, yield its URL, drop it afterwards.

    The drop runs in the background (``tests/postgres_drops.py``: PostgreSQL 15 makes it
    wait for a checkpoint of the whole server); ``dropped_databases`` waits for it.
    """
    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(
            hide_password=False)
    finally:
        drop_later(admin, name)


@pytest.fixture(scope="session", autouse=True)
def dropped_databases():
    """Set up first, so torn down last: waits for every drop of the session."""
    yield
    problems = wait_for_drops()
    assert not problems, f"PostgreSQL test databases not dropped: {problems}"


@pytest.fixture(scope="session")
def postgres_url():
    """URL of a fresh, migrated database for this test session; dropped at the end."""
    with scratch_postgres_database("praxis_test") as url:
        _migrate(url, Path("/tmp"))
        yield url


def _migrate(url: str, tmp_path: Path) -> None:
    from flask_migrate import upgrade

    app = create_app(base_config(url, tmp_path))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _truncate(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = [row[0] for row in connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"))]
        if tables:
            connection.execute(text(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


# --- SQLite ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test (migrations run once)."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.db"
    _migrate(f"sqlite:///{path}", folder)
    return path


@pytest.fixture
def database_url(request, tmp_path, sqlite_template):
    """The database for one test: ``sqlite`` unless parametrised with ``backend``."""
    backend = getattr(request, "param", None) or "sqlite"
    if backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        _truncate(url)
        yield url


def pytest_generate_tests(metafunc):
    """``@pytest.mark.backends`` runs a test on SQLite and on PostgreSQL."""
    if "database_url" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
            "backends"):
        metafunc.parametrize("database_url", [
            pytest.param("sqlite", id="sqlite"),
            pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
        ], indirect=True)


def pytest_configure(config):
    config.addinivalue_line("markers", "backends: run on SQLite and on PostgreSQL")
    if config.pluginmanager.hasplugin("xdist"):
        # the order of the files comes from pytest_collection_modifyitems below
        config.option.loadscopereorder = False


def _heavy(item) -> bool:
    return bool(item.get_closest_marker("slow") or item.get_closest_marker("browser")
                or "browser" in item.fixturenames)


def pytest_collection_modifyitems(config, items):
    """In the processes of ``-n 2 --dist loadfile``: the files with slow or browser tests
    first, then the others, each group with the files of most tests first.

    pytest-xdist hands out whole files in the order of the collection (reordering by
    test count is turned off above). Its own order, by test count, put the files of one
    or two slow tests (fuzzing, servers, browsers: a minute each) last, so one process
    still ran them while the other had nothing left. Heavy files first leave the short
    ones to even out the end. A run without xdist keeps pytest's order.
    """
    if not hasattr(config, "workerinput"):
        return
    files: dict[str, list] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::")[0], []).append(item)
    order = sorted(files.values(), key=lambda tests: (not any(map(_heavy, tests)),
                                                      -len(tests)))
    items[:] = [item for tests in order for item in tests]


@pytest.fixture
def config_overrides() -> dict:
    """Override in a test module to change settings for its ``app``."""
    return {}


class CompiledTemplates(BytecodeCache):
    """Jinja's compiled templates, kept in memory for every app of this test process.

    Each test builds its own app, and with it a Jinja environment that would parse and
    compile every template it renders again (about 30 ms a template). The cache hands it
    the code compiled for an earlier app instead; Jinja compares the template's source
    checksum first, and every app here is configured by the same ``create_app``.
    """

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


@pytest.fixture
def app(database_url, tmp_path, config_overrides):
    app = create_app({**base_config(database_url, tmp_path), **config_overrides})
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- factories -------------------------------------------------------------------------

NOW = datetime(2027, 1, 5, 9, 0, tzinfo=timezone.utc)
_counter = itertools.count(1)


@pytest.fixture
def now() -> datetime:
    """A fixed 'now' for service calls: Tuesday 5 January 2027, 10:00 in Berlin."""
    return NOW


@pytest.fixture
def make_programme(app):
    def make(capacity: int = 150, **fields) -> Programme:
        n = next(_counter)
        programme = Programme(slug=f"programm-{n}", name=fields.pop("name", f"Programm {n}"),
                              capacity=capacity, **fields)
        db.session.add(programme)
        db.session.commit()
        return programme
    return make


@pytest.fixture
def programme(make_programme) -> Programme:
    return make_programme()


@pytest.fixture
def theme(app) -> Theme:
    theme = Theme(slug="integration", name="Integration", description="Integration vor Ort")
    db.session.add(theme)
    db.session.commit()
    return theme


@pytest.fixture
def make_workshop(app, programme, theme):
    """``make_workshop(capacity=2)``: a published workshop in 14 days, open for registration."""
    def make(capacity: int = 10, *, programme_=None, starts_in=timedelta(days=14),
             hours: int = 6, status: WorkshopStatus = WorkshopStatus.published,
             **fields) -> Workshop:
        n = next(_counter)
        starts = fields.pop("starts_at", NOW + starts_in)
        workshop = Workshop(
            programme=programme_ or programme, theme=theme,
            slug=fields.pop("slug", f"workshop-{n}"), title=fields.pop("title", f"Workshop {n}"),
            description=fields.pop("description", "Beschreibung"),
            starts_at=starts, ends_at=fields.pop("ends_at", starts + timedelta(hours=hours)),
            venue_name=fields.pop("venue_name", "Rathaus"),
            venue_address=fields.pop("venue_address", "Marktplatz 1, 50667 Köln"),
            capacity=capacity, status=status, **fields)
        db.session.add(workshop)
        db.session.commit()
        return workshop
    return make


def applicant(n: int | str = 1, **fields) -> Applicant:
    """A valid applicant; ``n`` makes the e-mail address unique."""
    return Applicant(
        name=fields.pop("name", f"Person {n}"),
        email=fields.pop("email", f"person{n}@kommune.example"),
        municipality=fields.pop("municipality", "Stadt Köln"),
        role=fields.pop("role", "Integrationsbüro"),
        consent=fields.pop("consent", True),
        **fields,
    )


def write_mails() -> None:
    """The first step of a worker round: write the mails that the rush's path (PostgreSQL,
    ``seat_pipeline``) reserved with their registrations (``unwritten_mail``); committed.
    On SQLite there are none: there the request writes its mail."""
    from events.services import unwritten_mail

    unwritten_mail.write_unwritten()
    db.session.commit()


def confirmed(workshop, n, now):
    """Register applicant ``n`` for ``workshop`` and confirm at ``now`` (two commits)."""
    from events.services import seats

    registration = seats.register(workshop.id, applicant(n), now=now).registration
    db.session.commit()
    seats.confirm(registration.id, now=now)
    db.session.commit()
    return registration


@pytest.fixture
def make_applicant():
    return applicant


# --- back office ---------------------------------------------------------------------

ORGANISER_PASSWORD = "Wanderer über dem Nebelmeer 1818"


#: argon2id with the least work argon2 allows (one pass over 8 KiB, one lane). The suite
#: creates and logs in hundreds of accounts; at the production parameters (argon2-cffi's
#: defaults: 64 MiB, three passes, four lanes) each hash and each check costs about a
#: quarter of a second of both cores. Hashing and checking stay real; the production
#: parameters are pinned by ``production_password_hashing`` in test_organiser_auth.py.
#: (Django's test settings swap in a fast hasher for the same reason.) Servers started as
#: processes (gunicorn, flask commands) keep the production parameters.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _hashing_attributes() -> list[tuple[object, str]]:
    from events.services import accounts, second_factor

    return [(accounts, "HASHER"), (accounts, "_DUMMY_HASH"), (second_factor, "HASHER")]


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> dict:
    """Every test hashes with ``CHEAP_HASHER`` unless it asks for
    ``production_password_hashing``; yields the production values."""
    production = {(module, name): getattr(module, name)
                  for module, name in _hashing_attributes()}
    cheap = {"HASHER": CHEAP_HASHER,
             "_DUMMY_HASH": CHEAP_HASHER.hash("praxisaustausch-dummy-password")}
    with pytest.MonkeyPatch.context() as patch:
        for module, name in production:
            patch.setattr(module, name, cheap[name])
        yield production


@pytest.fixture
def production_password_hashing(cheap_password_hashing, monkeypatch) -> PasswordHasher:
    """This test hashes as the application does (argon2-cffi's defaults); returns the
    hasher."""
    for (module, name), value in cheap_password_hashing.items():
        monkeypatch.setattr(module, name, value)
    from events.services import accounts

    return accounts.HASHER


@pytest.fixture
def make_organiser(app):
    """``make_organiser("admin")``: an active account with ``ORGANISER_PASSWORD``."""
    from events.models import Role
    from events.services import accounts

    def make(role: str = "organiser", email: str | None = None, name: str | None = None):
        n = next(_counter)
        organiser = accounts.create(email or f"orga{n}@kgst.example",
                                    name or f"Orga {n}", Role(role), ORGANISER_PASSWORD)
        db.session.commit()
        return organiser
    return make


def login(client, organiser, password: str = ORGANISER_PASSWORD):
    """Log ``organiser`` in through the real form (CSRF token included)."""
    from tests.pages_support import csrf_token

    token = csrf_token(client, "/organiser/login")
    response = client.post("/organiser/login", data={
        "csrf_token": token, "email": organiser.email, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def admin_client(app, make_organiser):
    """A test client logged in as an admin (``admin_client.organiser``)."""
    client = app.test_client()
    client.organiser = make_organiser("admin")
    login(client, client.organiser)
    return client


@pytest.fixture
def organiser_client(app, make_organiser):
    """A test client logged in with the organiser role (``organiser_client.organiser``)."""
    client = app.test_client()
    client.organiser = make_organiser("organiser")
    login(client, client.organiser)
    return client
