"""Calendar feed cost: the full feed of 500 workshops, a theme feed, and the 304 path.

    .venv/bin/python bench/feed_bench.py                       # SQLite, 500 workshops
    .venv/bin/python bench/feed_bench.py --backend postgresql --workshops 500 --rounds 50

Builds a throw-away migrated database (a SQLite file in a temporary folder, or a
new database on the PostgreSQL server at ``--postgres-url``, dropped afterwards)
with one programme of ``--workshops`` published workshops over six themes (every
tenth cancelled), then asks the app in-process (Flask's test client: no network,
no server processes) for ``/calendar.ics`` ``--rounds`` times without and with
``If-None-Match``. Prints the feed's size, the latency per request (median,
p95, max), the share spent querying and building (with the per-event cache of
``events.ical`` warm, and cold as after a restart), and the 304 path.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from bench.support import (  # noqa: E402
    DEFAULT_POSTGRES,  # noqa: E402
    bench_app,
    percentile,
    throwaway_database,
    timed,
)
from events import ical  # noqa: E402
from events.extensions import db  # noqa: E402
from events.models import Programme, Theme, Workshop, WorkshopStatus  # noqa: E402
from events.services import subscriptions  # noqa: E402

THEMES = ["Integration", "Aufenthaltsrecht", "Arbeitsmarkt", "Wohnen", "Bildung", "Gesundheit"]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workshops", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    return parser.parse_args()


def fill(count: int) -> None:
    programme = Programme(slug="bench", name="Workshopreihe Flüchtlings- und "
                          "Integrationsmanagement", capacity=150)
    themes = [Theme(slug=f"thema-{i}", name=name, position=i) for i, name in enumerate(THEMES)]
    db.session.add_all([programme, *themes])
    start = datetime(2027, 1, 11, 9, tzinfo=timezone.utc)
    description = ("Austausch zu Praxisfragen, mit Beispielen aus Kommunen; Fragen, "
                   "Antworten und Materialien. ") * 6
    for n in range(count):
        begins = start + timedelta(days=n // 3, hours=(n % 3) * 2)
        db.session.add(Workshop(
            programme=programme, theme=themes[n % len(themes)], slug=f"workshop-{n}",
            title=f"Workshop {n}: Übergänge gestalten – Asyl, Arbeit; Ausbildung",
            description=description, starts_at=begins, ends_at=begins + timedelta(hours=3),
            venue_name="Rathaus, Ratssaal", venue_address="Marktplatz 1, 50667 Köln",
            capacity=20, status=WorkshopStatus.cancelled if n % 10 == 9
            else WorkshopStatus.published, cancel_reason="Krankheit" if n % 10 == 9 else ""))
    db.session.commit()


def line(label: str, values: list[float]) -> str:
    p95 = percentile(values, 0.95)
    return (f"{label:<34} median {statistics.median(values):8.2f} ms   "
            f"p95 {p95:8.2f} ms   max {max(values):8.2f} ms")


def run(url: str, args: argparse.Namespace, folder: Path) -> None:
    app = bench_app(url, folder)
    with app.app_context():
        upgrade()
        fill(args.workshops)
        client = app.test_client()
        first = client.get("/calendar.ics")
        assert first.status_code == 200, first.status_code
        etag = first.headers["ETag"]
        body = first.get_data()
        events = body.count(b"BEGIN:VEVENT")
        print(f"backend {args.backend}, {events} events, feed {len(body) / 1024:.0f} KiB, "
              f"{args.rounds} rounds each")

        def full():
            assert client.get("/calendar.ics").status_code == 200

        def theme():
            assert client.get("/themes/thema-0/calendar.ics").status_code == 200

        def not_modified():
            response = client.get("/calendar.ics", headers={"If-None-Match": etag})
            assert response.status_code == 304

        programme = db.session.query(Programme).one()

        def query_only():
            db.session.expire_all()
            subscriptions.programme_workshops(programme)

        loaded = subscriptions.programme_workshops(programme)

        def build_only():
            ical.feed(loaded, name=programme.name)

        def build_cold():
            ical._EVENTS.clear()  # every VEVENT through icalendar again, as after a restart
            ical.feed(loaded, name=programme.name)

        print(line("GET /calendar.ics (200, full)", timed(full, args.rounds)))
        print(line("  of which: query", timed(query_only, args.rounds)))
        print(line("  of which: build (events cached)", timed(build_only, args.rounds)))
        print(line("build, cold (no cached event)", timed(build_cold, max(3, args.rounds // 5))))
        print(line("GET /themes/…/calendar.ics (200)", timed(theme, args.rounds)))
        print(line("GET /calendar.ics (304, ETag)", timed(not_modified, args.rounds * 10)))
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    args = arguments()
    with throwaway_database(args.backend, args.postgres_url, "praxis_feedbench") as (url, folder):
        run(url, args, folder)


if __name__ == "__main__":
    main()
