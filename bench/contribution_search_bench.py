"""Search over the practice examples: 10,000 generated examples, median and p99 per query.

    .venv/bin/python bench/contribution_search_bench.py                      # SQLite
    .venv/bin/python bench/contribution_search_bench.py --backend postgresql
    .venv/bin/python bench/contribution_search_bench.py --examples 2000 --rounds 50

Builds a throw-away migrated database (a SQLite file in a temporary folder, or a new
database on the PostgreSQL server at ``--postgres-url``, dropped afterwards), fills it
with ``--examples`` published examples generated from a fixed seed (``bench.grow``: German
words, municipalities, figures; six themes), indexes them with ``contribution_search.rebuild``
and then times ``contribution_search.search`` — the whole answer the page and the API
need: total, one page of 20, and the three facets — ``--rounds`` times per query, plus
the public page and the API for two of them (in-process, Flask's test client). Prints
hits, median and p99 in milliseconds per query.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.grow import add_contributions  # noqa: E402
from bench.support import (  # noqa: E402
    DEFAULT_POSTGRES,  # noqa: E402
    bench_app,
    percentile,
    throwaway_database,
    timed,
)
from events.extensions import db  # noqa: E402
from events.models import Theme  # noqa: E402
from events.services import contribution_search  # noqa: E402
from events.services.contribution_search import Filters  # noqa: E402

THEMES = ["Arbeit und Ausbildung", "Wohnen", "Ehrenamt", "Sprache", "Gesundheit", "Verwaltung"]
QUERIES = [
    ("", None), ("Integration", None), ("Köln", None), ("Koeln", None), ("muelheim", None),
    ("Altenpfleger", None), ("Ausbildung Altenpflege", None), ("Sprachcafe Görlitz", None),
    ("Ehrenamtliche Begleitung Wohnung", None), ("Caritas", None), ("a", None),
    ("xyzzy", None), ("Ausbildung", Filters(federal_state="Bayern")),
    ("", Filters(theme="thema-2", kind="landkreis")),
]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    return parser.parse_args()


def fill(count: int) -> None:
    """``count`` published examples from a fixed seed (``bench.grow``), inserted in bulk,
    then indexed."""
    themes = [Theme(slug=f"thema-{i}", name=name, position=i) for i, name in enumerate(THEMES)]
    db.session.add_all(themes)
    db.session.flush()
    add_contributions(random.Random(12), count, [theme.id for theme in themes])
    db.session.commit()
    db.session.execute(text("ANALYZE"))  # as autovacuum would after a bulk load
    db.session.commit()


def line(label: str, hits: int | str, values: list[float]) -> str:
    p99 = percentile(values, 0.99)
    return (f"{label:<46} {hits:>6}   median {statistics.median(values):8.2f} ms   "
            f"p99 {p99:8.2f} ms")


def run(url: str, args: argparse.Namespace, folder: Path) -> None:
    app = bench_app(url, folder)
    with app.app_context():
        upgrade()
        begin = time.perf_counter()
        fill(args.examples)
        print(f"backend {args.backend}: {args.examples} examples generated and indexed in "
              f"{time.perf_counter() - begin:.1f} s; {args.rounds} rounds per query")
        print(f"{'query (service: total + page of 20 + 3 facets)':<46} {'hits':>6}")
        for query, filters in QUERIES:
            hits = contribution_search.search(query, filters).total
            label = repr(query) + (f" {filters}" if filters else "")
            print(line(label[:46], hits, timed(
                lambda q=query, f=filters: contribution_search.search(q, f), args.rounds)))
        client = app.test_client()
        for label, url_ in (("page /praxisbeispiele?q=Integration",
                             "/praxisbeispiele?q=Integration"),
                            ("API /api/v1/contributions?q=Koeln", "/api/v1/contributions?q=Koeln")):
            print(line(label, "", timed(lambda u=url_: client.get(u), args.rounds)))
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    args = arguments()
    with throwaway_database(args.backend, args.postgres_url, "praxis_searchbench") as (url, folder):
        run(url, args, folder)


if __name__ == "__main__":
    main()
