"""A real HTTP server for tests and benchmarks: gunicorn with several worker processes.

``GunicornServer`` starts ``gunicorn app:app`` as a subprocess on a free loopback
port with the settings in its environment, waits for ``/healthz`` and always
stops again (SIGTERM, then SIGKILL). Its stderr goes to a file, so a failing
test can show what the workers logged (``log_tail``).

``fire`` sends many JSON POSTs through a bounded thread pool under one global
deadline and returns one ``Answer`` per request, in the order given; transport
errors (timeouts, refused or reset connections) are answers too, with
``status=None``, so callers can assert that every request was answered.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
SECRET = "test-secret-key-not-for-production"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GunicornServer:
    """``gunicorn -w <workers> [-k gthread --threads <threads>] app:app`` on loopback."""

    def __init__(self, database_url: str, workdir: Path, *, workers: int = 2,
                 threads: int = 1, env: dict | None = None, timeout: float = 60) -> None:
        self.database_url = database_url
        self.workdir = Path(workdir)
        self.workers = workers
        self.threads = threads
        self.extra_env = env or {}
        self.timeout = timeout
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        self.log_path = self.workdir / "gunicorn.log"
        self.mail_dir = self.workdir / "server-mail"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("MAIL_", "DATABASE_URL", "RATELIMIT_"))}
        env.update({
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": SECRET,
            "RATELIMIT_ENABLED": "false",
            "MAIL_DIR": str(self.mail_dir),
            "BASE_URL": "http://praxis.test",
            "PYTHONUNBUFFERED": "1",
            "PAGE_CACHE_SECONDS": "0",  # the tests read what they just wrote, in any worker
        })
        env.update(self.extra_env)
        return env

    def command(self) -> list[str]:
        command = [str(GUNICORN), "--chdir", str(ROOT), "-b", f"127.0.0.1:{self.port}",
                   "-w", str(self.workers), "--timeout", str(int(self.timeout)),
                   "--graceful-timeout", "5", "--backlog", "512"]
        if self.threads > 1:
            command += ["-k", "gthread", "--threads", str(self.threads)]
        return command + ["app:app"]

    def start(self, wait: float = 30) -> GunicornServer:
        """Start and wait for ``/healthz`` → 200; raise with the log if it never comes."""
        for attempt in range(3):  # the free port may be taken between probe and bind
            self.port = free_port()
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(
                    self.command(), cwd=ROOT, env=self.environment(),
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True)
            if self._wait_healthy(wait):
                return self
            self.stop()
            if attempt == 2 or "Address already in use" not in self.log_tail():
                break
        raise RuntimeError(f"gunicorn did not become healthy:\n{self.log_tail()}")

    def _wait_healthy(self, wait: float) -> bool:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        """SIGTERM to the whole process group; SIGKILL if it is not gone in 10 s."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def log_tail(self, limit: int = 20_000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no gunicorn log)"
        return text[-limit:]

    def __enter__(self) -> GunicornServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- the client side -----------------------------------------------------------------------


@dataclass
class Answer:
    workshop_id: int
    email: str
    status: int | None  # None: no HTTP answer (timeout, refused, reset, deadline)
    body: dict | None
    error: str | None
    seconds: float


def person(n: int | str, **fields) -> dict:
    """A valid JSON body for ``POST /api/v1/workshops/<id>/registrations``."""
    body = {"name": f"Person {n}", "email": f"person{n}@kommune.example",
            "municipality": "Stadt Köln", "role": "Integrationsbüro", "consent": True}
    body.update(fields)
    return body


def fire(base_url: str, jobs: Sequence[tuple[int, dict]], *, concurrency: int = 48,
         deadline: float = 45, request_timeout: float = 30,
         barrier: threading.Barrier | None = None) -> list[Answer]:
    """POST every ``(workshop_id, body)`` job with at most ``concurrency`` in flight.

    Every request must finish before ``deadline`` seconds from now; those that
    could not even start in time are answered with ``error="deadline"``. With a
    ``barrier`` each job waits for it before sending (to release them at once).
    """
    local = threading.local()
    end = time.monotonic() + deadline

    def post(job: tuple[int, dict]) -> Answer:
        workshop_id, body = job
        email = body.get("email", "")
        if barrier is not None:
            barrier.wait(timeout=deadline)
        started = time.monotonic()
        left = end - started
        if left <= 0:
            return Answer(workshop_id, email, None, None, "deadline", 0.0)
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        try:
            response = session.post(f"{base_url}/api/v1/workshops/{workshop_id}/registrations",
                                    json=body, timeout=min(request_timeout, left))
        except requests.RequestException as exc:
            return Answer(workshop_id, email, None, None, f"{type(exc).__name__}: {exc}",
                          time.monotonic() - started)
        try:
            payload = response.json()
        except ValueError:
            payload = None
        return Answer(workshop_id, email, response.status_code, payload, None,
                      time.monotonic() - started)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(post, jobs))


def problems(answers: Iterable[Answer]) -> list[Answer]:
    """Answers that break the promise: no HTTP answer at all, or a 5xx."""
    return [a for a in answers if a.status is None or a.status >= 500]


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of ``values`` (``fraction`` in 0..1)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]
