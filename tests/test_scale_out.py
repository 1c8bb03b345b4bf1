"""Scale out: two app servers and two mail workers on one PostgreSQL, and a shared Redis.

As docs/deployment.md sets it up: two separate gunicorn servers (two processes each)
on one database take a registration rush from client threads that alternate between
them, while two ``flask outbox worker`` processes send to one real SMTP server. The
seat lock (a row lock on the programme) holds across servers: no workshop over its
capacity, no more seat holders than the programme's cap, nobody waiting who fits; the
outbox claim (``FOR UPDATE SKIP LOCKED``) holds across workers: every registration's
mail arrives exactly once (counted by Message-ID at the SMTP server), nothing is left.

The rate limit is shared between servers through Redis (``RATELIMIT_STORAGE_URI``): with
``memory://`` each server would count alone and let twice as many through.
"""

from __future__ import annotations

import os
import runpy
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import func, select, text

from events import create_app
from events.extensions import db
from events.models import OutboxMessage, OutboxStatus, Registration, utcnow
from events.models import RegistrationStatus as S
from tests.conftest import REQUIRE_POSTGRES, TEST_SECRET, base_config
from tests.server_support import GunicornServer, fire, person, problems
from tests.test_concurrency import mail_kinds, outcome, violations

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

PEOPLE, WORKSHOPS, WORKSHOP_CAPACITY, PROGRAMME_CAPACITY = 400, 4, 60, 150
#: Seconds for the rush and for the workers to drain the outbox, each.
DEADLINE = 45


def start_worker(database_url: str, smtp, tmp_path: Path, n: int) -> subprocess.Popen:
    """``flask outbox worker`` as its own process, like the systemd unit runs it."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("MAIL_", "DATABASE_URL", "RATELIMIT_"))}
    env.update({"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET,
                "MAIL_SERVER": smtp.host, "MAIL_PORT": str(smtp.port), "MAIL_TIMEOUT": "5",
                "MAIL_DIR": str(tmp_path / f"worker-mail-{n}"),
                "BASE_URL": "http://praxis.test", "PYTHONUNBUFFERED": "1"})
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "outbox", "worker", "--interval", "0.2"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)


def stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def rush(servers: list[GunicornServer], jobs: list[tuple[int, dict]]) -> list:
    """Job i goes to server i mod len(servers); all servers are hit at the same time."""
    answers: list[list] = [[] for _ in servers]

    def hit(index: int) -> None:
        answers[index] = fire(servers[index].url, jobs[index::len(servers)],
                              concurrency=24, deadline=DEADLINE)

    threads = [threading.Thread(target=hit, args=(i,)) for i in range(len(servers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [answer for part in answers for answer in part]


def outbox_counts() -> Counter:
    db.session.rollback()  # a fresh snapshot: the workers wrote meanwhile
    return Counter(dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_servers_and_two_workers_on_one_database(
        app, database_url, tmp_path, smtp, make_programme, make_workshop):
    programme = make_programme(capacity=PROGRAMME_CAPACITY)
    workshops = [make_workshop(capacity=WORKSHOP_CAPACITY, programme_=programme,
                               starts_at=utcnow() + timedelta(days=30))
                 for _ in range(WORKSHOPS)]
    jobs = [(workshops[n % WORKSHOPS].id, person(f"s{n}")) for n in range(PEOPLE)]

    servers = [GunicornServer(database_url, tmp_path / f"server-{n}", workers=2)
               for n in range(2)]
    workers: list[subprocess.Popen] = []
    for server in servers:
        server.workdir.mkdir()
    try:
        for server in servers:
            server.start()
        workers = [start_worker(database_url, smtp, tmp_path, n) for n in range(2)]
        started = time.monotonic()
        answers = rush(servers, jobs)
        rushed = time.monotonic()

        bad = problems(answers)
        assert not bad, (f"{len(bad)} of {len(answers)} failed, e.g. {bad[:3]}\n"
                         + "\n".join(s.log_tail(3000) for s in servers))
        assert Counter(a.status for a in answers) == {202: PEOPLE}

        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            counts = outbox_counts()
            if counts[OutboxStatus.sent] >= PEOPLE and sum(counts.values()) == \
                    counts[OutboxStatus.sent]:
                break
            time.sleep(0.3)
        sys.stderr.write(f"rush {rushed - started:.1f} s ({PEOPLE / (rushed - started):.0f}/s), "
                         f"outbox drained {time.monotonic() - rushed:.1f} s later\n")
    finally:
        outputs = [stop(worker) for worker in workers]
        for server in servers:
            server.stop()

    assert all(worker.returncode == 0 for worker in workers), outputs
    # seats: the lock held across the two servers
    rows = outcome(programme.id)
    assert len(rows) == PEOPLE
    assert violations(programme) == []
    holding = Counter(r.workshop_id for r in rows if r.status in (S.pending, S.confirmed))
    assert max(holding.values()) <= WORKSHOP_CAPACITY
    assert len({r.participant_id for r in rows if r.status == S.pending}) == PROGRAMME_CAPACITY
    # mail: one per registration, queued with it, sent once by one of the two workers
    kinds = mail_kinds(programme.id)
    assert {r.id: kinds[r.id] for r in rows} == {
        r.id: ["confirm_request" if r.status == S.pending else "waitlisted"] for r in rows}
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert {m.status for m in messages} == {OutboxStatus.sent}, outbox_counts()
    assert {m.attempts for m in messages} == {1}
    delivered = Counter(smtp.handler.message_ids())
    assert delivered == Counter(m.message_id for m in messages)  # each exactly once
    assert set(delivered.values()) == {1}
    assert all("Worker beendet." in output for output in outputs)


# --- the rate limit across servers --------------------------------------------------------


def redis_client():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if REQUIRE_POSTGRES:  # CI (.ci/run) starts Redis with PostgreSQL
            pytest.fail(f"Redis not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    return client


def test_the_registration_limit_is_shared_through_redis(app, database_url, tmp_path,
                                                        make_workshop):
    redis = redis_client()
    prefix = f"praxis-test-{uuid.uuid4().hex[:8]}"
    workshop = make_workshop(capacity=50, starts_at=utcnow() + timedelta(days=30))
    env = {"RATELIMIT_ENABLED": "true", "RATELIMIT_STORAGE_URI": REDIS_URL,
           "RATELIMIT_KEY_PREFIX": prefix, "RATELIMIT_REGISTRATION": "5 per minute"}
    servers = [GunicornServer(database_url, tmp_path / f"server-{n}", workers=1, env=env)
               for n in range(2)]
    statuses = []
    try:
        for server in servers:
            server.workdir.mkdir()
            server.start()
        for n in range(8):  # alternately: 4 to each, each server alone would allow all
            response = requests.post(
                f"{servers[n % 2].url}/api/v1/workshops/{workshop.id}/registrations",
                json=person(f"r{n}"), timeout=10)
            statuses.append(response.status_code)
        keys = redis.keys(f"*{prefix}*")  # limits writes LIMITS:<prefix>/…
    finally:
        for server in servers:
            server.stop()
        for key in redis.scan_iter(f"*{prefix}*"):
            redis.delete(key)
    assert statuses == [202] * 5 + [429] * 3, statuses
    assert keys, "the counters are not in Redis"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 5


# --- the committed gunicorn configuration -------------------------------------------------


class ConfiguredServer(GunicornServer):
    """gunicorn exactly as the systemd unit starts it: ``-c deploy/gunicorn.conf.py``."""

    def command(self) -> list[str]:
        return [str(Path(sys.executable).with_name("gunicorn")), "--chdir", str(ROOT),
                "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "app:app"]

    def environment(self) -> dict:
        return {**super().environment(), "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "2"}


@pytest.mark.backends
def test_the_deployment_gunicorn_configuration_serves(app, database_url, tmp_path,
                                                      make_workshop):
    workshop = make_workshop(starts_at=utcnow() + timedelta(days=30))
    db.session.commit()
    with ConfiguredServer(database_url, tmp_path) as server:
        # post_worker_init: each process opens a connection per thread before it takes
        # requests (the start waited for one process's /healthz; the other may still be
        # opening its own)
        opened = None
        for _ in range(100) if database_url.startswith("postgresql") else ():
            opened = db.session.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"))
            db.session.rollback()
            if opened >= 4:
                break
            time.sleep(0.1)
        page = requests.get(f"{server.url}/workshops/{workshop.slug}", timeout=10)
        answer = requests.post(f"{server.url}/api/v1/workshops/{workshop.id}/registrations",
                               json=person("conf"), timeout=10)
        log = server.log_tail()
    assert page.status_code == 200 and workshop.title in page.text
    assert answer.status_code == 202
    assert "Using worker: gthread" in log and log.count("Booting worker") == 2
    assert "not opened in advance" not in log
    assert opened in (None, 4)  # 2 processes × 2 threads


def test_a_process_that_starts_while_the_database_is_away_says_so_and_starts(tmp_path):
    """``post_worker_init`` with nothing listening at the database's port: one warning,
    no exception (the pool opens connections on demand later, as without the hook)."""
    hook = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))["post_worker_init"]
    url = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"
    app = create_app({**base_config(url, tmp_path), "SQLALCHEMY_ENGINE_OPTIONS": {
        "connect_args": {"connect_timeout": 2}}})
    warnings = []
    worker = SimpleNamespace(wsgi=app, cfg=SimpleNamespace(threads=2),
                             log=SimpleNamespace(warning=lambda *a: warnings.append(a)))
    hook(worker)
    assert len(warnings) == 1 and "not opened in advance" in warnings[0][0]


@pytest.mark.parametrize("config_overrides", [{
    "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
    "RATELIMIT_REGISTRATION": "2 per minute"}])
def test_with_redis_away_the_limit_falls_back_to_memory_instead_of_failing(
        app, client, make_workshop):
    """Nothing listens on port 1: every form would answer 500 without the fallback."""
    workshop = make_workshop(starts_at=utcnow() + timedelta(days=30))
    statuses = [client.post(f"/api/v1/workshops/{workshop.id}/registrations",
                            json=person(f"f{n}")).status_code for n in range(3)]
    assert statuses == [202, 202, 429]
