"""What the benchmarks share: a throw-away database and a timer.

Imported as ``bench.support`` by the scripts in this folder (they put the project
root on ``sys.path`` first).
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

#: The administrative PostgreSQL connection the benchmarks create their databases beside.
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def throwaway_database(backend: str, postgres_url: str,
                       name_prefix: str) -> Iterator[tuple[str, Path]]:
    """``(database URL, temporary folder)``: a SQLite file in the folder, or a new database
    ``<name_prefix>_<random>`` on the PostgreSQL server at ``postgres_url``, dropped
    (with its connections) afterwards. The folder is removed afterwards too."""
    with tempfile.TemporaryDirectory(prefix="praxis-bench-") as tmp:
        folder = Path(tmp)
        if backend == "sqlite":
            yield f"sqlite:///{folder / 'bench.db'}", folder
            return
        name = f"{name_prefix}_{uuid.uuid4().hex[:10]}"
        admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(postgres_url).set(database=name).render_as_string(
                hide_password=False), folder
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def timed(call, rounds: int) -> list[float]:
    """Milliseconds of each of ``rounds`` calls of ``call()``."""
    values = []
    for _ in range(rounds):
        begin = time.perf_counter()
        call()
        values.append((time.perf_counter() - begin) * 1000)
    return values


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` (0.95, 0.99) of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def bench_app(url: str, folder, **overrides):
    """The app on ``url`` as the benchmarks run it: no rate limits, mail into ``folder``;
    ``overrides`` are further settings (given to ``create_app``, so read at start)."""
    from events import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                       "BASE_URL": "https://praxis.example.de",
                       "MAIL_DIR": str(folder / "mail"), "RATELIMIT_ENABLED": False,
                       "LOG_LEVEL": "WARNING", **overrides})
