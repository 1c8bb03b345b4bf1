"""The registration rush (issue 15): wrk sends exactly N registrations to gunicorn, then the
database is checked.

    .venv/bin/python bench/registration_rush.py --backend postgresql
    .venv/bin/python bench/registration_rush.py --backend sqlite

One command: builds a throw-away database (a SQLite file in a temporary folder, or a new
database on the PostgreSQL server at ``--postgres-url``, dropped afterwards), migrates it,
adds one programme (cap ``--programme-capacity``, 150) with ``--workshops`` (10) published
workshops of ``--capacity`` (20) seats, starts gunicorn (``--workers`` gthread workers, one
per CPU, of ``--worker-threads`` 4 threads, as ``deploy/gunicorn.conf.py``) and runs
``wrk -t 2 -c 200 --latency`` with
``bench/registration_rush.lua``: exactly ``--requests`` (2,000) POSTs to
``/api/v1/workshops/<id>/registrations``, every address unique, the workshops taking turns.
The cap is below the seats, so most people end on the waiting list.

gunicorn runs with the production file ``deploy/gunicorn.conf.py`` (its
``post_worker_init`` opens each thread's database connection and plans the registration
procedure before the first request; without it the rush's first requests did that and
were the p99), with the processes, threads and keep-alive of the run. ``--warmup N``
sends N registrations for another programme first (unmeasured, deleted before the rush).

Each gunicorn process listens on its own socket (``--reuse-port``: with one shared socket
one process took 150 of the 200 connections and its clients waited three times as long)
and keeps a database connection per thread (``DATABASE_POOL_SIZE``; ``--pool-size``).

Why gthread: once a wrk thread has sent its share, its connections are parked (the Lua
``delay`` hook), but wrk opens a new connection after each "Connection: close" before it
asks the hook. gunicorn's sync worker answers with "Connection: close" and then blocks on
the parked connection it accepted until ``--timeout`` kills it, stalling the rest of the
rush; the gthread worker keeps connections alive and waits for their requests in its
poller, so parked connections cost nothing. Its threads also wait for the database (the
programme lock) without holding a process: one process per CPU with 4 threads each kept
both busy, and fewer connections queue on the lock (2 × 4 against 2 × 8 alternating, 3
pairs: 774-912 against 679-880 registrations/s, p99 0.26-0.37 against 0.30-0.46 s;
4 × 4: 527-678/s, p99 0.40-1.6 s, its app using 1.4-2.0 ms CPU per registration where
2 × 8 used 0.9-1.2).

It prints the throughput (requests / time from the first request sent to the last answer
received, measured in the Lua script; wrk's own Requests/sec includes the moment until the
runner stops it), wrk's latency distribution of exactly those requests (p50, p75, p90, p99;
wrk's coordinated-omission correction only touches latencies above run time × connections
÷ requests), the answers by status, wrk's socket errors, and the checks: no workshop over
its capacity, no more seat holders than the cap, as many registrations as 202 answers, and
one outbox row (the mail) per registration. Exit status 1 when a check or a target fails.

The mails: on PostgreSQL the request only reserves its mail's row; an outbox worker
writes and sends it (``services.unwritten_mail``). ``--outbox-workers`` (1) such
processes run beside the server from the start, as in production (with the systemd
unit's ``Nice=10``: on a shared machine the answers come first), so the CPU they take from
the rush is counted; after the last answer the benchmark waits until every mail is
written and sent (as an .eml file each: no mail server) and reports how long that took,
the workers' CPU per mail, and fails unless every row was sent exactly once.

Rate limits stay on (``--rate-limit``, far above the rush: every request comes from one
address here), in ``--limiter-storage`` (``memory://``: per worker process; use ``redis://``
when several processes must share the counts, as in production). The client runs on the
same machine and takes CPU from the server: the figures are a floor.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import exists, func, select  # noqa: E402

from bench.support import (  # noqa: E402
    DEFAULT_POSTGRES,  # noqa: E402
    bench_app,
    throwaway_database,
)
from events.extensions import db  # noqa: E402
from events.models import (  # noqa: E402
    SEAT_HOLDING,
    OutboxMessage,
    Programme,
    Registration,
    Theme,
    Workshop,
    WorkshopStatus,
    utcnow,
)
from tests.server_support import GunicornServer  # noqa: E402

LUA = Path(__file__).with_suffix(".lua")
#: The outbox workers' priority, as ``deploy/praxisaustausch-worker.service`` sets it
#: (``Nice=10``, and ``CPUWeight=20`` for its cgroup: here the nice of its autogroup).
WORKER_NICE = 10
#: The issue's targets (PostgreSQL; SQLite's figures are reported against them too).
TARGET_RATE = 300.0
TARGET_P99_MS = 500.0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=200, help="wrk -c")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--workshops", type=int, default=10)
    parser.add_argument("--capacity", type=int, default=20, help="seats per workshop")
    parser.add_argument("--programme-capacity", type=int, default=150)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="gunicorn worker processes (default: one per core, as "
                             "deploy/gunicorn.conf.py)")
    parser.add_argument("--worker-threads", type=int, default=4,
                        help="threads per worker (more than 1: the gthread worker; 1: sync, "
                             "which the parked connections stall, see above)")
    parser.add_argument("--rate-limit", default="100000 per minute",
                        help="RATELIMIT_REGISTRATION during the run ('off': limiter disabled)")
    parser.add_argument("--limiter-storage", default="memory://",
                        help="RATELIMIT_STORAGE_URI, e.g. redis://127.0.0.1:6379/15")
    parser.add_argument("--pool-size", type=int, default=0,
                        help="database connections kept per process (0: one per thread)")
    parser.add_argument("--outbox-workers", type=int, default=1,
                        help="`flask outbox worker` processes running beside the server "
                             "(0: none; the mails then stay unwritten)")
    parser.add_argument("--warmup", type=int, default=0,
                        help="registrations sent first to a workshop of another programme, "
                             "unmeasured: the server as it is after a while in service (every "
                             "thread's database connection open, the procedure planned); "
                             "0: the rush meets a server just started")
    parser.add_argument("--deadline", type=float, default=300, help="seconds for the rush")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES,
                        help="admin connection; a throw-away database is created beside it")
    return parser.parse_args()


def prepare(url: str, folder: Path, args) -> tuple[list[int], list[int]]:
    """Migrate and add the programme with its workshops, and (``--warmup``) another
    programme with one workshop for the warm-up; return both lists of workshop ids."""
    from flask_migrate import upgrade

    app = bench_app(url, folder)
    with app.app_context():
        upgrade()
        programme = Programme(slug="rush", name="Anmeldeansturm",
                              capacity=args.programme_capacity)
        theme = Theme(slug="rush", name="Anmeldeansturm")
        starts = utcnow() + timedelta(days=30)
        workshops = [Workshop(programme=programme, theme=theme, slug=f"rush-{n}",
                              title=f"Workshop {n}", starts_at=starts,
                              ends_at=starts + timedelta(hours=6), capacity=args.capacity,
                              status=WorkshopStatus.published)
                     for n in range(args.workshops)]
        warm = [Workshop(programme=Programme(slug="warmup", name="Vorher",
                                             capacity=args.warmup + 1),
                         theme=theme, slug="warmup", title="Vorher", starts_at=starts,
                         ends_at=starts + timedelta(hours=6), capacity=args.warmup + 1,
                         status=WorkshopStatus.published)] if args.warmup else []
        db.session.add_all(workshops + warm)
        db.session.commit()
        ids, warm_ids = [w.id for w in workshops], [w.id for w in warm]
        db.session.remove()
        db.engine.dispose()
    return ids, warm_ids


def server_environment(args) -> dict:
    # connections stay open between a client's requests (gthread; the default of 2 s
    # closes parked ones, and a request sent at that moment is lost to a read error)
    # each process its own listening socket (SO_REUSEPORT): the kernel spreads the 200
    # connections evenly, where one shared socket gave 150 to one process and 50 to the
    # other (whose clients then waited half as long); a pool connection per thread
    # the production configuration (deploy/gunicorn.conf.py: among others its
    # post_worker_init, which opens each thread's connection before the first request),
    # with the processes, threads and keep-alive of this run
    env = {"GUNICORN_CMD_ARGS": f"--config {ROOT / 'deploy' / 'gunicorn.conf.py'} "
                                "--keep-alive 75 --reuse-port",
           "DATABASE_POOL_SIZE": str(args.pool_size or args.worker_threads)}
    if args.rate_limit == "off":
        return {**env, "RATELIMIT_ENABLED": "false"}
    return {**env, "RATELIMIT_ENABLED": "true", "RATELIMIT_REGISTRATION": args.rate_limit,
            "RATELIMIT_STORAGE_URI": args.limiter_storage}


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pids(master: int) -> list[int]:
    """The gunicorn master and its workers."""
    pids = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def database_pids(url: str, folder: Path) -> list[int]:
    """Server processes of the connections to the throw-away PostgreSQL database."""
    if not url.startswith("postgresql"):
        return []
    app = bench_app(url, folder)
    with app.app_context():
        from sqlalchemy import text
        pids = list(db.session.scalars(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")))
        db.session.remove()
        db.engine.dispose()
    return pids


class CpuMeter:
    """CPU seconds spent by the app (gunicorn), the outbox workers, the database
    connections and wrk between ``start`` and ``stop``; read from /proc, so the machine's
    other load is not counted."""

    def __init__(self, master: int, workers: list[int], url: str, folder: Path) -> None:
        self.master, self.workers, self.url, self.folder = master, workers, url, folder

    def _sample(self) -> dict[str, dict[int, float]]:
        return {"app": {pid: cpu_seconds(pid) for pid in server_pids(self.master)},
                "worker": {pid: cpu_seconds(pid) for pid in self.workers},
                "database": {pid: cpu_seconds(pid)
                             for pid in database_pids(self.url, self.folder)}}

    def start(self) -> None:
        self.before = self._sample()
        self.children = resource.getrusage(resource.RUSAGE_CHILDREN)

    def stop(self) -> dict[str, float]:
        after = self._sample()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = {part: sum(value - self.before[part].get(pid, 0.0)
                          for pid, value in after[part].items()) for part in after}
        used["wrk"] = (children.ru_utime + children.ru_stime
                       - self.children.ru_utime - self.children.ru_stime)
        return used


def run_wrk(base_url: str, workshop_ids: list[int], folder: Path, args,
            requests: int | None = None) -> tuple[str, list[str]]:
    """wrk's output and the Lua script's finish marks (one line per wrk thread)."""
    marks = folder / ("wrk-marks" if requests is None else "wrk-warmup-marks")
    marks.mkdir()
    command = [shutil.which("wrk") or "/usr/bin/wrk", "-t", str(args.threads),
               "-c", str(args.connections), "-d", f"{int(args.deadline) + 60}s",
               "--latency", "--timeout", "60s", "-s", str(LUA), base_url, "--",
               str(requests or args.requests), str(args.threads),
               ",".join(map(str, workshop_ids)), str(marks),
               "warmup" if requests is not None else "rush"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    end = time.monotonic() + args.deadline
    while time.monotonic() < end and process.poll() is None:
        if len(list(marks.glob("done-*"))) == args.threads:
            break
        time.sleep(0.02)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # wrk prints its summary and ends
    output, _ = process.communicate(timeout=60)
    return output, [path.read_text() for path in sorted(marks.glob("done-*"))]


def forget_warmup(url: str, folder: Path) -> None:
    """Delete what the warm-up wrote (its people, registrations and reserved mails), so
    that the rush and its checks start from the prepared state, on a warm server."""
    from sqlalchemy import text
    app = bench_app(url, folder)
    with app.app_context():
        for table in ("outbox_message", "registration", "participant"):
            db.session.execute(text(f"DELETE FROM {table}"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def start_outbox_workers(server: GunicornServer, count: int) -> list[subprocess.Popen]:
    """``flask outbox worker`` processes on the server's database and mail folder (no mail
    server: each mail becomes an .eml file there), one round a second."""
    workers = []
    for n in range(count):
        log = open(server.workdir / f"outbox-worker-{n}.log", "ab")  # noqa: SIM115
        workers.append(subprocess.Popen(
            ["nice", "-n", str(WORKER_NICE), sys.executable, "-m", "flask", "--app", "app",
             "outbox", "worker", "--interval", "1"], cwd=ROOT, env=server.environment(),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        # a new session is a new autogroup, which the scheduler weighs like the server's
        # whole group whatever the process's nice: the autogroup gets the nice as well
        # (what the unit's CPUWeight does to its cgroup)
        try:
            Path(f"/proc/{workers[-1].pid}/autogroup").write_text(str(WORKER_NICE))
        except OSError as error:
            print(f"  note        worker {n}: autogroup nice not set ({error})")
    return workers


def wait_for_mail(url: str, folder: Path, deadline: float) -> tuple[float, Counter]:
    """Seconds until no outbox row is left to write or send (or the deadline), and the
    rows by status then."""
    app = bench_app(url, folder)
    start = time.monotonic()
    with app.app_context():
        while True:
            counts = Counter({status.value: n for status, n in db.session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))})
            db.session.rollback()
            if not (counts["unwritten"] or counts["queued"]) \
                    or time.monotonic() - start > deadline:
                break
            time.sleep(0.1)
        db.session.remove()
        db.engine.dispose()
    return time.monotonic() - start, counts


def stop_processes(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def wrk_latency(output: str) -> dict[str, float]:
    """``{"50%": ms, …}`` from wrk's "Latency Distribution"."""
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
    found = {}
    for label, value, unit in re.findall(r"^\s+(\d+%)\s+([\d.]+)(us|ms|s|m)\s*$", output,
                                         re.MULTILINE):
        found[label] = float(value) * units[unit]
    return found


def check_database(url: str, folder: Path, args) -> tuple[list[str], list[str]]:
    """(lines to print, failed checks)."""
    app = bench_app(url, folder)
    lines, failed = [], []
    with app.app_context():
        statuses = Counter({status.value: n for status, n in db.session.execute(
            select(Registration.status, func.count()).group_by(Registration.status))})
        per_workshop = dict(db.session.execute(
            select(Registration.workshop_id, func.count())
            .where(Registration.status.in_(SEAT_HOLDING)).group_by(Registration.workshop_id)
        ).all())
        capacities = dict(db.session.execute(select(Workshop.id, Workshop.capacity)).all())
        holders = db.session.scalar(select(func.count(func.distinct(Registration.participant_id)))
                                    .where(Registration.status.in_(SEAT_HOLDING)))
        registrations = sum(statuses.values())
        without_mail = db.session.scalar(select(func.count(Registration.id)).where(
            ~exists().where(OutboxMessage.registration_id == Registration.id)))
        mails = db.session.scalar(select(func.count(OutboxMessage.id)))
        db.session.remove()
        db.engine.dispose()
    over = {wid: n for wid, n in per_workshop.items() if n > capacities[wid]}
    lines.append(f"  database    {dict(sorted(statuses.items()))}; {holders} people hold a "
                 f"seat (cap {args.programme_capacity}); seats per workshop "
                 f"{sorted(per_workshop.values())} (capacity {args.capacity}); "
                 f"{mails} outbox rows")
    if over:
        failed.append(f"overbooked workshops {over}")
    if holders > args.programme_capacity:
        failed.append(f"{holders} seat holders over the cap of {args.programme_capacity}")
    if without_mail:
        failed.append(f"{without_mail} registrations without their outbox row")
    return lines, failed + [f"__registrations={registrations}"]


def main() -> int:
    args = arguments()
    if args.connections < args.threads:
        raise SystemExit("--connections must be at least --threads")
    with throwaway_database(args.backend, args.postgres_url, "praxis_rush") as (url, folder):
        workshop_ids, warmup_ids = prepare(url, folder, args)
        server = GunicornServer(url, folder, workers=args.workers, threads=args.worker_threads,
                                env=server_environment(args), timeout=120)
        workers: list[subprocess.Popen] = []
        try:
            server.start(wait=180)  # eight workers booting at once on a busy machine
            if warmup_ids:
                run_wrk(server.url, warmup_ids, folder, args, requests=args.warmup)
                forget_warmup(url, folder)
            workers = start_outbox_workers(server, args.outbox_workers)
            meter = CpuMeter(server.process.pid, [w.pid for w in workers], url, folder)
            meter.start()
            output, marks = run_wrk(server.url, workshop_ids, folder, args)
            cpu = meter.stop()
            log_tail = server.log_tail(3000)
            mail_meter = CpuMeter(server.process.pid, [w.pid for w in workers], url, folder)
            mail_meter.start()
            if workers:
                mail_seconds, mail_counts = wait_for_mail(url, folder, args.deadline)
            mail_cpu = mail_meter.stop()
        finally:
            stop_processes(workers)
            server.stop()
        lines, failed = check_database(url, folder, args)
        mail_files = len(list(server.mail_dir.glob("*.eml"))) if workers else 0
    registrations = int(failed.pop().split("=")[1])

    statuses: Counter = Counter()
    starts, ends = [], []
    for mark in marks:
        first, last, *counts = mark.split()
        starts.append(float(first))
        ends.append(float(last))
        for item in counts:
            code, count = item.split("=")
            statuses[int(code)] += int(count)
    answered = sum(statuses.values())
    elapsed = max(ends) - min(starts) if marks else float("nan")
    rate = answered / elapsed if marks else 0.0
    latency = wrk_latency(output)
    wrk_rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    kind = (f"gthread, {args.worker_threads} threads each" if args.worker_threads > 1
            else "sync")
    limiter = ("off" if args.rate_limit == "off"
               else f"{args.rate_limit} in {args.limiter_storage}")

    print(f"registration rush, {args.backend}: {args.requests} registrations with unique "
          f"addresses for {args.workshops} workshops of {args.capacity} seats, programme cap "
          f"{args.programme_capacity}")
    print(f"  server      gunicorn {args.workers} workers ({kind}, keep-alive 75 s); "
          f"rate limit {limiter}")
    print(f"  client      wrk -t {args.threads} -c {args.connections} --latency, "
          f"{os.cpu_count()} CPUs shared with the server and the database; "
          + (f"server warmed up with {args.warmup} registrations for another programme"
             if args.warmup else "server just started (no warm-up)"))
    print(f"  throughput  {rate:8.1f} registrations/s ({answered} answers in {elapsed:.2f} s; "
          f"wrk's Requests/sec {wrk_rate.group(1) if wrk_rate else '?'})")
    per = {part: seconds * 1000 / max(answered, 1) for part, seconds in cpu.items()}
    total = sum(per.values())
    print(f"  CPU         {total:6.2f} ms per registration: app {per['app']:.2f}, outbox "
          f"workers {per['worker']:.2f}, database {per['database']:.2f}, wrk {per['wrk']:.2f} "
          f"(so at most "
          f"{os.cpu_count() * 1000 / total if total else float('nan'):.0f} registrations/s on "
          f"{os.cpu_count()} CPUs when the CPU is the limit)")
    for label in ("50%", "75%", "90%", "99%"):
        print(f"  latency p{label[:-1]:<3} {latency.get(label, float('nan')):8.1f} ms")
    print(f"  answers     {dict(sorted(statuses.items()))}")
    if socket_errors:
        print(f"  socket errors {socket_errors.group(1)}")
    for line in lines:
        print(line)
    if workers:
        mails = sum(mail_counts.values())
        worker_ms = (cpu["worker"] + mail_cpu["worker"]) * 1000 / max(mails, 1)
        print(f"  mail        {args.outbox_workers} outbox worker(s) beside the server: "
              f"{mail_counts['sent']} of {mails} mails written and sent (.eml files: "
              f"{mail_files}), the last {mail_seconds:.1f} s after the rush's last answer; "
              f"worker CPU {worker_ms:.2f} ms per mail (database "
              f"{mail_cpu['database'] * 1000 / max(mails, 1):.2f} after the rush)")
        if mail_counts["sent"] != mails or mail_files != mails:
            failed.append(f"mail: {dict(mail_counts)}, {mail_files} files for {mails} rows")

    if answered != args.requests:
        failed.append(f"{answered} of {args.requests} requests answered")
    server_errors = sum(n for code, n in statuses.items() if code >= 500)
    if server_errors:
        failed.append(f"{server_errors} answers 5xx")
    if registrations != statuses.get(202, 0):
        failed.append(f"{registrations} registrations but {statuses.get(202, 0)} answers 202")
    if rate < TARGET_RATE:
        failed.append(f"below the target of {TARGET_RATE:.0f} registrations/s")
    if latency.get("99%", float("inf")) >= TARGET_P99_MS:
        failed.append(f"p99 not below the target of {TARGET_P99_MS:.0f} ms")
    for problem in failed:
        print(f"  FAILED      {problem}")
    if server_errors or answered != args.requests:
        print(output)
        print(log_tail)
    print("  result      " + ("all checks and targets met" if not failed else
                              f"{len(failed)} failed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
