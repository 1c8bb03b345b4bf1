"""gunicorn settings for Praxisaustausch: ``gunicorn -c deploy/gunicorn.conf.py app:app``.

One file for every app server (docs/deployment.md). Each value can be changed per machine
through the environment (in the systemd unit's EnvironmentFile) without editing this file:

* ``GUNICORN_BIND`` (``127.0.0.1:8000``): nginx on the same machine proxies to it; for an
  app server nginx reaches over the network bind its private address, never a public one.
* ``GUNICORN_WORKERS`` (one per core): processes. A process runs Python on one core at a
  time, its threads fill the waits; more processes than cores only took turns on them
  (measured on 2 cores, registration rush: 4 × 4 threads 530-680 registrations/s with
  p99 0.40-1.6 s, 2 × 4 780-910/s with p99 0.26-0.37 s; pages the same). Each has its own
  database pool (SQLAlchemy: ``DATABASE_POOL_SIZE`` connections, one per thread unless
  set, + 10 overflow), so workers × servers × (threads + 10) must stay below
  PostgreSQL's ``max_connections``.
* ``GUNICORN_THREADS`` (4): threads per process (``gthread``). A request mostly waits for
  the database; threads keep the cores busy meanwhile and slow clients cannot block a
  whole process.

No ``preload_app``: every process builds its app (and its database engine) after the fork,
so no connection is ever shared between processes.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# a pooled database connection per thread (the app reads it in each process after the fork)
os.environ.setdefault("DATABASE_POOL_SIZE", str(threads))

# A request that takes longer than this is stuck (the slowest real one, an XLSX export
# of every registration, takes a few seconds); the process is restarted.
timeout = 30
# SIGTERM (systemctl stop/restart): requests in progress may finish for this long.
graceful_timeout = 20
# nginx keeps connections to the upstream open (keepalive in deploy/nginx.conf).
keepalive = 15
# Restart a process now and then: a slow leak never grows without bound.
max_requests = 5000
max_requests_jitter = 500
backlog = 2048
# each process listens on its own socket (SO_REUSEPORT) and the kernel spreads new
# connections evenly; with one shared socket, whichever process woke first took them, and
# a rush of keep-alive clients split 150 : 50 (those of the busier process waited three
# times as long: docs/performance.md). A process that ends drops what waits in its own
# queue unless the kernel hands it on: sysctl net.ipv4.tcp_migrate_req=1 (docs/deployment.md)
reuse_port = True

# ProxyFix in the app (TRUSTED_PROXIES) reads X-Forwarded-*; gunicorn itself trusts none.
forwarded_allow_ips = ""

# Errors on stderr: systemd's journal keeps them. No access log here: paths carry
# personal links (/anmeldung/<token>, /calendar/<token>.ics), and nginx writes the access
# log with those tokens cut out (deploy/nginx.conf). GUNICORN_ACCESS_LOG=- turns it on
# (without query strings) for a server that runs without nginx.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "praxisaustausch"


def post_worker_init(worker):
    """Open the process's database connections (one per thread) before its first request,
    each with the registration procedure planned: a rush that meets a process just
    started or restarted (``max_requests``) does not wait for it (docs/performance.md)."""
    from events.extensions import db
    from events.services.seat_pipeline import open_connections

    app = worker.wsgi
    if "sqlalchemy" not in getattr(app, "extensions", {}):
        return  # not our app (the benchmarks' bare Flask route runs with this file too)
    try:
        with app.app_context():
            open_connections(worker.cfg.threads)
            db.session.remove()
    except Exception as error:  # noqa: BLE001 - the database may be away: the pool
        # opens connections on demand then, as without this
        worker.log.warning("database connections not opened in advance: %s", error)
