"""Registration throughput under load: gunicorn, a fresh migrated database, many POSTs.

    .venv/bin/python bench/register_load.py --backend sqlite --requests 1000 --workers 4
    .venv/bin/python bench/register_load.py --backend postgresql --requests 1000 --workers 4

Builds a throw-away database (a SQLite file in a temporary folder, or a new
database on the PostgreSQL server at ``--postgres-url``, dropped afterwards),
migrates it, adds one programme with a few workshops, starts ``gunicorn app:app``
with ``--workers`` processes, and sends ``--requests`` registrations of distinct
people from ``--concurrency`` client threads. Prints throughput, latency
percentiles, the answers by status (all 202 with one fixed body: the API does not say
whether a seat was reserved or the person waits, issue 13) and what the database holds
at the end.
The client runs on the same machine and takes CPU from the server: the figures
are a floor, not a ceiling.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.support import DEFAULT_POSTGRES, throwaway_database  # noqa: E402
from events import create_app  # noqa: E402
from events.extensions import db  # noqa: E402
from events.models import (  # noqa: E402
    SEAT_HOLDING,
    Programme,
    Registration,
    Theme,
    Workshop,
    WorkshopStatus,
    utcnow,
)
from events.web.api_schemas import ACCEPTED_MESSAGE  # noqa: E402
from tests.server_support import GunicornServer, fire, percentile, person  # noqa: E402


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per worker (more than 1: the gthread worker)")
    parser.add_argument("--concurrency", type=int, default=32, help="client threads")
    parser.add_argument("--workshops", type=int, default=4)
    parser.add_argument("--capacity", type=int, default=50, help="seats per workshop")
    parser.add_argument("--programme-capacity", type=int, default=150)
    parser.add_argument("--deadline", type=float, default=600, help="seconds for the whole run")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES,
                        help="admin connection; a throw-away database is created beside it")
    return parser.parse_args()


def app_for(url: str, folder: Path):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                       "MAIL_SERVER": None, "MAIL_DIR": str(folder / "mail"),
                       "RATELIMIT_ENABLED": False})


def prepare(url: str, folder: Path, args) -> list[int]:
    """Migrate and add one programme with its workshops; return the workshop ids."""
    from flask_migrate import upgrade

    app = app_for(url, folder)
    with app.app_context():
        upgrade()
        programme = Programme(slug="bench", name="Lasttest", capacity=args.programme_capacity)
        theme = Theme(slug="bench", name="Lasttest")
        starts = utcnow() + timedelta(days=30)
        workshops = [Workshop(programme=programme, theme=theme, slug=f"bench-{n}",
                              title=f"Workshop {n}", starts_at=starts,
                              ends_at=starts + timedelta(hours=6), capacity=args.capacity,
                              status=WorkshopStatus.published)
                     for n in range(args.workshops)]
        db.session.add_all(workshops)
        db.session.commit()
        ids = [w.id for w in workshops]
        db.session.remove()
        db.engine.dispose()
    return ids


def held(url: str, folder: Path) -> tuple[Counter, int]:
    app = app_for(url, folder)
    with app.app_context():
        statuses = Counter(dict(db.session.execute(
            select(Registration.status, func.count()).group_by(Registration.status)).all()))
        people = db.session.scalar(select(func.count(func.distinct(Registration.participant_id)))
                                   .where(Registration.status.in_(SEAT_HOLDING)))
        db.session.remove()
        db.engine.dispose()
    return statuses, people


ACCEPTED = {"status": "accepted", "message": str(ACCEPTED_MESSAGE)}


def run(url: str, folder: Path, args) -> None:
    workshop_ids = prepare(url, folder, args)
    jobs = [(workshop_ids[n % len(workshop_ids)], person(f"bench{n}"))
            for n in range(args.requests)]
    with GunicornServer(url, folder, workers=args.workers, threads=args.threads,
                        timeout=120) as server:
        started = time.perf_counter()
        answers = fire(server.url, jobs, concurrency=args.concurrency, deadline=args.deadline,
                       request_timeout=120)
        elapsed = time.perf_counter() - started
    latencies = [a.seconds * 1000 for a in answers if a.status is not None]
    kind = f"gthread x{args.threads}" if args.threads > 1 else "sync"
    print(f"backend {args.backend}: {args.requests} registrations, {args.workers} gunicorn "
          f"workers ({kind}), {args.concurrency} client threads, {len(workshop_ids)} "
          f"workshops of {args.capacity}, programme cap {args.programme_capacity}")
    print(f"  wall time   {elapsed:8.2f} s")
    print(f"  throughput  {len(latencies) / elapsed:8.1f} requests/s")
    for label, fraction in (("p50", .5), ("p90", .9), ("p95", .95), ("p99", .99)):
        print(f"  latency {label} {percentile(latencies, fraction):8.1f} ms")
    print(f"  latency max {max(latencies, default=float('nan')):8.1f} ms")
    print(f"  answers     {dict(sorted(Counter(a.status for a in answers).items(), key=str))}")
    odd = [a for a in answers if a.status == 202 and a.body != ACCEPTED]
    if odd:
        print(f"  ODD BODIES  {len(odd)} answers 202 with another body, e.g. {odd[0].body}")
    failures = [a for a in answers if a.status is None or a.status >= 500]
    if failures:
        print(f"  FAILURES    {len(failures)}, e.g. {failures[0].error or failures[0].body}")
        print(server.log_tail(3000))
    statuses, people = held(url, folder)
    print(f"  database    {({s.value: n for s, n in statuses.items()})}, "
          f"{people} people hold a seat")


def main() -> int:
    args = arguments()
    with throwaway_database(args.backend, args.postgres_url, "praxis_bench") as (url, folder):
        run(url, folder, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
