"""Public pages under load, each as a share of bare Flask on the same gunicorn, same run.

    .venv/bin/python bench/pages_bench.py                        # SQLite, 10 s per page
    .venv/bin/python bench/pages_bench.py --backend postgresql --seconds 20
    .venv/bin/python bench/pages_bench.py --cache-seconds 0      # the page cache off

Builds a throw-away migrated database (``bench.support``) with one programme of
``--workshops`` workshops over 12 themes (a third of them past, every tenth cancelled),
``--registrations`` registrations and ``--examples`` published practice examples;
then starts gunicorn twice with the same configuration (``deploy/gunicorn.conf.py``, the
one shipped, with ``--workers`` processes × ``--threads`` threads): once with the app,
once with ``bench/bare_app.py``
(one route returning "hello"). For the bare route and each page it runs wrk
(``--connections`` connections, ``--latency``) for ``--warmup`` seconds unmeasured,
then ``--seconds`` seconds measured, and prints requests/s, p99 and the share of the
bare route's requests/s against the target of issue 15. The bare route is measured
first and last; the share is taken of their mean. The feed's 304 sends the ETag of a
first GET as If-None-Match (a wrk Lua script); every request says
``Accept-Encoding: gzip`` as browsers and calendar clients do. The two lines "with
session" send the session cookie a workshop page sets (a visitor who opened one): those
requests go through the whole app (see ``events/web/page_cache.py``).

Figures on a busy machine are rough: compare shares, not absolute numbers.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support import DEFAULT_POSTGRES  # noqa: E402

WRK = "/usr/bin/wrk"
MORE_THEMES = ["Sprachförderung", "Ehrenamt und Engagement", "Kinder und Familie",
               "Antidiskriminierung", "Digitalisierung", "Steuerung und Planung"]
#: (label, path, target share of bare, how): how is "" (a new visitor), "304" (If-None-Match
#: with the ETag of a first GET) or "session" (a visitor with a session cookie, as after
#: opening a workshop page: such requests cannot skip the app, see events/web/page_cache.py)
PAGES = [
    ("catalogue /", "/", 0.40, ""),
    ("theme page /themes/…", "/themes/thema-3", 0.40, ""),
    ("workshop page", "/workshops/{open_slug}", 0.30, ""),
    ("/api/v1/workshops", "/api/v1/workshops", 0.50, ""),
    ("/calendar.ics 304", "/calendar.ics", 0.80, "304"),
    ("/calendar.ics full", "/calendar.ics", 0.10, ""),
    ("/praxisbeispiele?q=…", "/praxisbeispiele?q=Integration", 0.20, ""),
    ("catalogue, with session", "/", 0.40, "session"),
    ("workshop, with session", "/workshops/{open_slug}", 0.30, "session"),
]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--workshops", type=int, default=500)
    parser.add_argument("--registrations", type=int, default=3000)
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="gunicorn processes (default: deploy/gunicorn.conf.py's one per core)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--cache-seconds", default=None,
                        help="PAGE_CACHE_SECONDS for the app (default: the app's default)")
    parser.add_argument("--only", default="",
                        help="comma-separated words: measure only pages whose label has one")
    return parser.parse_args()


# --- the data ------------------------------------------------------------------------------


def fill(args: argparse.Namespace) -> str:
    """Examples (with six themes) from the search benchmark's generator, six more themes,
    the workshops and the registrations; returns the slug of a workshop open for
    registration."""
    from sqlalchemy import insert, select

    from bench import contribution_search_bench
    from events.extensions import db
    from events.models import (
        Participant,
        Programme,
        Registration,
        RegistrationStatus,
        Theme,
        Workshop,
        WorkshopStatus,
    )

    contribution_search_bench.fill(args.examples)  # themes thema-0 … thema-5 and the examples
    themes = list(db.session.scalars(select(Theme).order_by(Theme.position)))
    for offset, name in enumerate(MORE_THEMES, start=len(themes)):
        theme = Theme(slug=f"thema-{offset}", name=name, position=offset)
        db.session.add(theme)
        themes.append(theme)
    programme = Programme(slug="bench", name="Workshopreihe Flüchtlings- und "
                          "Integrationsmanagement", capacity=100_000)
    db.session.add(programme)
    db.session.flush()
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    first = now - timedelta(days=args.workshops // 9)  # a third of them lie in the past
    description = ("Austausch zu Praxisfragen, mit Beispielen aus Kommunen; Fragen, "
                   "Antworten und Materialien. ") * 6
    rows = []
    for n in range(args.workshops):
        begins = first + timedelta(days=n // 3, hours=9 + (n % 3) * 2)
        rows.append({
            "id": n + 1, "programme_id": programme.id, "theme_id": themes[n % len(themes)].id,
            "slug": f"workshop-{n}",
            "title": f"Workshop {n}: Übergänge gestalten – Asyl, Arbeit; Ausbildung",
            "description": description, "starts_at": begins,
            "ends_at": begins + timedelta(hours=3), "venue_name": "Rathaus, Ratssaal",
            "venue_address": "Marktplatz 1, 50667 Köln", "capacity": 20,
            "status": WorkshopStatus.cancelled if n % 10 == 9 else WorkshopStatus.published,
            "cancel_reason": "Krankheit" if n % 10 == 9 else "", "sequence": 0,
            "created_at": now, "updated_at": now})
    db.session.execute(insert(Workshop), rows)
    people, seats = [], []
    for n in range(args.registrations):
        workshop = rows[(n * 7) % len(rows)]
        people.append({"id": n + 1, "email": f"person{n}@kommune.example",
                       "name": f"Person {n}", "municipality": "Stadt Köln", "role": "",
                       "federal_state": "", "feed_salt": secrets.token_hex(16),
                       "created_at": now})
        status = (RegistrationStatus.confirmed if n % 3 else RegistrationStatus.waitlisted)
        seats.append({"id": n + 1, "workshop_id": workshop["id"], "participant_id": n + 1,
                      "status": status, "created_at": now, "requested_at": now,
                      "status_changed_at": now, "consent_version": "bench", "consent_at": now,
                      "remarks": "", "token_salt": secrets.token_hex(16), "ical_sequence": 0,
                      "source": "public"})
    db.session.execute(insert(Participant), people)
    db.session.execute(insert(Registration), seats)
    db.session.commit()
    later = [row for row in rows if row["starts_at"] > now + timedelta(days=7)
             and row["status"] == WorkshopStatus.published]
    return later[0]["slug"]


# --- servers and wrk -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn(app: str, args: argparse.Namespace, env: dict) -> tuple[subprocess.Popen, str]:
    """gunicorn with ``app`` (``module:callable``) on a free port, once it answers."""
    port = free_port()
    # the production configuration file for both (its SO_REUSEPORT gives each process its
    # own listening socket: with one shared socket, 15 of the 16 connections could land
    # on one process, which then had one core, and the figures swung by a factor of 3);
    # no restarts after max_requests during the measurement (they would cost the app a
    # new start and its page cache every few seconds at these rates, in production every
    # few minutes)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "deploy" / "gunicorn.conf.py"),
         "--workers", str(args.workers), "--threads", str(args.threads),
         "--max-requests", "0", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "--chdir", str(ROOT), app],
        env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/", timeout=5).read()
            return process, base
        except OSError as error:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn {app} stopped with {process.returncode}"
                                   ) from error
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn {app} did not answer within 60 s")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: int, connections: int, script: Path | None
        ) -> tuple[float, float, int]:
    """``(requests/s, p99 in ms, non-2xx/3xx answers)`` of one wrk run."""
    command = [WRK, "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
               "-H", "Accept-Encoding: gzip"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, float(value) * UNITS[unit], int(bad.group(1)) if bad else 0


def conditional_script(url: str, folder: Path) -> Path:
    """A wrk Lua script sending the ETag of a first GET of ``url`` as If-None-Match."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request) as answer:
        etag = answer.headers["ETag"]
    script = folder / "if-none-match.lua"
    script.write_text(f'wrk.headers["If-None-Match"] = [[{etag}]]\n', encoding="utf-8")
    return script


def session_script(url: str, folder: Path) -> Path:
    """A wrk Lua script sending the session cookie that a first GET of ``url`` set."""
    with urllib.request.urlopen(url) as answer:
        cookie = answer.headers["Set-Cookie"].split(";", 1)[0]
    script = folder / "session.lua"
    script.write_text(f'wrk.headers["Cookie"] = [[{cookie}]]\n', encoding="utf-8")
    return script


def measure(label: str, url: str, args: argparse.Namespace, script: Path | None = None):
    wrk(url, args.warmup, args.connections, script)
    return wrk(url, args.seconds, args.connections, script)


def run(url: str, folder: Path, args: argparse.Namespace) -> None:
    from flask_migrate import upgrade

    from bench.support import bench_app
    from events.extensions import db

    app = bench_app(url, folder)
    with app.app_context():
        upgrade()
        begin = time.perf_counter()
        open_slug = fill(args)
        db.session.remove()
        db.engine.dispose()
    print(f"backend {args.backend}: {args.workshops} workshops over 12 themes, "
          f"{args.registrations} registrations, {args.examples} examples "
          f"(filled in {time.perf_counter() - begin:.0f} s); gunicorn {args.workers} × "
          f"{args.threads} threads, wrk {args.connections} connections, "
          f"{args.warmup} s warm-up + {args.seconds} s each", flush=True)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench",
           "BASE_URL": "https://praxis.example.de", "MAIL_DIR": str(folder / "mail"),
           "RATELIMIT_ENABLED": "false", "LOG_LEVEL": "WARNING"}
    if args.cache_seconds is not None:
        env["PAGE_CACHE_SECONDS"] = args.cache_seconds
    bare, bare_url = gunicorn("bench.bare_app:app", args, env)
    try:
        before = measure("bare", bare_url + "/", args)
    finally:
        stop(bare)
    server, base = gunicorn("app:app", args, env)
    results = []
    try:
        for label, path, target, how in PAGES:
            if args.only and not any(word in label for word in args.only.split(",")):
                continue
            page_url = base + path.format(open_slug=open_slug)
            script = None
            if how == "304":
                script = conditional_script(page_url, folder)
            elif how == "session":
                script = session_script(base + f"/workshops/{open_slug}", folder)
            results.append((label, target, measure(label, page_url, args, script)))
    finally:
        stop(server)
    bare, bare_url = gunicorn("bench.bare_app:app", args, env)
    try:
        after = measure("bare", bare_url + "/", args)
    finally:
        stop(bare)
    yardstick = (before[0] + after[0]) / 2
    print(f"{'page':<24} {'req/s':>8} {'p99 ms':>8} {'share':>7} {'target':>7}")
    print(f"{'bare Flask (first)':<24} {before[0]:8.0f} {before[1]:8.1f}")
    print(f"{'bare Flask (last)':<24} {after[0]:8.0f} {after[1]:8.1f}")
    for label, target, (rate, p99, bad) in results:
        share = rate / yardstick
        verdict = "ok" if share >= target else "BELOW"
        note = f"  {bad} non-2xx/3xx!" if bad else ""
        print(f"{label:<24} {rate:8.0f} {p99:8.1f} {share:6.0%} {target:6.0%}  {verdict}{note}")


def main() -> None:
    args = arguments()
    from bench.support import throwaway_database

    with throwaway_database(args.backend, args.postgres_url, "praxis_pagebench") as (url, folder):
        run(url, folder, args)


if __name__ == "__main__":
    main()
