"""Page times by size: the same pages at 50, 500 and 5,000 workshops, median and p95.

    .venv/bin/python bench/growth_bench.py                          # SQLite, 50/500/5000
    .venv/bin/python bench/growth_bench.py --backend postgresql
    .venv/bin/python bench/growth_bench.py --sizes 50,500 --rounds 10

For each size a throw-away migrated database (``bench.support.throwaway_database``) is
filled by ``bench/grow.py`` from the same seed: the workshops over 12 themes,
``--per-workshop`` registrations per workshop (default 40: 2,000 / 20,000 / 200,000 — the
registrations *scale* with the programme) and a *fixed* ``--contributions`` practice
examples (default 10,000: the practice exchange does not grow with the workshops). An
admin logs in through the real form. Every page is requested once (not timed: the first
request warms the app), then ``--rounds`` times in process with Flask's test client;
the table shows median and p95 in milliseconds per size, and the last column the factor
from the smallest to the largest size.

Pages that list everything (catalogue, theme page, ``/api/v1/workshops``,
``/calendar.ics``, and the dashboard: a bar per workshop, figures over every registration)
grow with the number of workshops by design; the paginated ones
(attendee list pages 1 and 40, the organiser API's registrations pages 1 and 40,
practice-exchange search) and the single-record pages
should stay flat: a factor above ``--flat`` (default 2) for them is marked ``NOT FLAT``.

The page cache of the public pages (``PAGE_CACHE_SECONDS``) is off by default here, so
the table shows the work behind each page; ``--page-cache 60`` measures with it.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench.grow import Sizes, grow  # noqa: E402
from bench.support import (  # noqa: E402
    DEFAULT_POSTGRES,  # noqa: E402
    bench_app,
    percentile,
    throwaway_database,
    timed,
)
from events.extensions import db  # noqa: E402
from events.models import (  # noqa: E402
    Registration,
    Role,
    Theme,
    Workshop,
    WorkshopStatus,
    utcnow,
)

PASSWORD = "Wanderer über dem Nebelmeer 1818"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
#: Page → does it list everything (grows by design) rather than one page or one record?
LISTS_ALL = {"catalogue /", "theme page", "/api/v1/workshops", "/calendar.ics",
             "dashboard /organiser/"}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--sizes", default="50,500,5000",
                        help="numbers of workshops, comma-separated")
    parser.add_argument("--per-workshop", type=int, default=40,
                        help="registrations per workshop (scaled with the size)")
    parser.add_argument("--contributions", type=int, default=10_000, help="fixed")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--flat", type=float, default=2.0,
                        help="largest factor a paginated page may grow by")
    parser.add_argument("--page-cache", type=int, default=0,
                        help="PAGE_CACHE_SECONDS for the run (0: off)")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    return parser.parse_args()


def pages() -> dict[str, str]:
    """Name → URL, picked in the grown data: the busiest upcoming workshop and its theme."""
    now = utcnow()
    registrations = (select(func.count(Registration.id))
                     .where(Registration.workshop_id == Workshop.id).scalar_subquery())
    workshop = db.session.scalars(
        select(Workshop).where(Workshop.status == WorkshopStatus.published,
                               Workshop.starts_at > now)
        .order_by(registrations.desc(), Workshop.id).limit(1)).one()
    theme = db.session.get(Theme, workshop.theme_id)
    return {
        "catalogue /": "/",
        "theme page": f"/themes/{theme.slug}",
        "workshop page": f"/workshops/{workshop.slug}",
        "/api/v1/workshops": "/api/v1/workshops",
        "/calendar.ics": "/calendar.ics",
        "/praxisbeispiele?q=Integration": "/praxisbeispiele?q=Integration",
        "attendee list page 1": "/organiser/teilnehmende/",
        "attendee list page 40": "/organiser/teilnehmende/?page=40",
        "dashboard /organiser/": "/organiser/",
        "organiser API registrations p. 1": "/api/v1/organiser/registrations",
        "organiser API registrations p. 40": "/api/v1/organiser/registrations?page=40",
    }


def log_in(client, email: str) -> None:
    page = client.get("/organiser/login").get_data(as_text=True)
    response = client.post("/organiser/login", data={
        "csrf_token": CSRF.search(page).group(1), "email": email, "password": PASSWORD})
    if response.status_code != 303:
        raise SystemExit(f"login failed: {response.status_code}")


def measure(url: str, folder: Path, workshops: int, args) -> tuple[dict, str]:
    """Grow one size at ``url``; ``({page: [ms, …]}, a line describing the data)``."""
    from events.services import accounts, api_tokens

    app = bench_app(url, folder, PAGE_CACHE_SECONDS=args.page_cache)
    with app.app_context():
        upgrade()
        begin = time.perf_counter()
        counts = grow(Sizes(workshops=workshops, registrations=workshops * args.per_workshop,
                            contributions=args.contributions))
        grown = time.perf_counter() - begin
        email = "bench-admin@kgst.example"
        admin = accounts.create(email, "Bench", Role.admin, PASSWORD)
        _token, secret = api_tokens.create(admin, "growth bench")
        db.session.commit()
        urls = pages()
        db.session.remove()
    described = (f"{workshops} workshops: {counts['registrations']} registrations of "
                 f"{counts['people']} people (cap {counts['cap']}), "
                 f"{counts['contributions']} examples — grown in {grown:.0f} s")
    client = app.test_client()
    log_in(client, email)
    bearer = {"Authorization": f"Bearer {secret}"}
    times = {}
    for name, page in urls.items():
        headers = bearer if page.startswith("/api/v1/organiser/") else {}
        response = client.get(page, headers=headers)  # the first request: warms, not timed
        if response.status_code != 200:
            raise SystemExit(f"{page}: {response.status_code}")
        times[name] = timed(lambda p=page, h=headers: client.get(p, headers=h), args.rounds)
    with app.app_context():
        db.engine.dispose()
    return times, described


def table(results: dict[int, dict], flat: float) -> str:
    sizes = sorted(results)
    head = f"{'page (ms: median / p95)':<32}" + "".join(f"{f'{n} workshops':>22}"
                                                        for n in sizes)
    lines = [head + f"{'factor':>9}", "-" * (len(head) + 9)]
    for name in results[sizes[0]]:
        cells, medians = "", []
        for n in sizes:
            values = results[n][name]
            median = statistics.median(values)
            medians.append(median)
            cells += f"{median:>12.1f} / {percentile(values, 0.95):>7.1f}"
        factor = medians[-1] / medians[0] if medians[0] else 0.0
        note = ("  grows with the data (lists all)" if name in LISTS_ALL
                else "  NOT FLAT" if factor > flat else "")
        lines.append(f"{name:<32}{cells}{factor:>8.1f}x{note}")
    return "\n".join(lines)


def main() -> None:
    args = arguments()
    sizes = [int(n) for n in args.sizes.split(",")]
    results, described = {}, []
    for workshops in sizes:
        with throwaway_database(args.backend, args.postgres_url,
                                "praxis_growthbench") as (url, folder):
            results[workshops], line = measure(url, folder, workshops, args)
            described.append(line)
            print(line, flush=True)
    print(f"\nbackend {args.backend}, in process (Flask test client), {args.rounds} rounds "
          f"per page after one untimed request, page cache "
          f"{'off' if not args.page_cache else f'{args.page_cache} s'}")
    print(table(results, args.flat))


if __name__ == "__main__":
    main()
