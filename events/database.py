"""Engine set-up that the locking rules depend on. Floor 1.

SQLite: the driver's own implicit BEGIN is turned off and we emit ``BEGIN`` in
SQLAlchemy's ``begin`` event, as SQLAlchemy documents for pysqlite
("Serializable isolation / Savepoints / Transactional DDL"). A connection given
the execution option ``sqlite_begin="IMMEDIATE"`` starts with
``BEGIN IMMEDIATE``: it takes the database's write lock before its first read,
which is what serialises seat changes on SQLite. WAL lets readers go on
meanwhile, and the busy timeout makes writers queue instead of failing.

PostgreSQL: a pooled connection that sat unused for ``PING_WHEN_IDLE_SECONDS`` is pinged
before it is handed out (``ping_when_idle``); one used a moment ago is not.
"""

from __future__ import annotations

import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: A pooled connection unused for this long is pinged before use (see ``ping_when_idle``).
PING_WHEN_IDLE_SECONDS = 2.0


def configure_engine(engine: Engine) -> None:
    """Install the SQLite pragmas and the BEGIN recipe; elsewhere ``ping_when_idle``."""
    if engine.dialect.name != "sqlite":
        ping_when_idle(engine)
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # no implicit BEGIN from pysqlite
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode not in {"DEFERRED", "IMMEDIATE", "EXCLUSIVE"}:
            raise ValueError(f"unknown SQLite BEGIN mode {mode!r}")
        connection.exec_driver_sql(f"BEGIN {mode}")


def ping_when_idle(engine: Engine, idle_seconds: float = PING_WHEN_IDLE_SECONDS) -> None:
    """Ping a pooled connection before use only when it sat idle for ``idle_seconds``.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: a round trip per request, which
    under a registration rush (issue 15) is a tenth of its database work, on connections
    used a millisecond earlier. A connection the server dropped while it was idle (restart,
    failover, an idle timeout on the way) is still found before a request sees it; the
    pool then discards it and opens a new one (``DisconnectionError``). A restart within
    the last ``idle_seconds`` of a connection's use is found by that request's first
    statement instead: the request is answered 503 with Retry-After (``errors``), and
    SQLAlchemy renews every connection of the pool older than that error, so at most one
    request per process meets a dead connection (``tests/test_database_outage.py``).
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # a new connection, or one in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # whatever the reason, a connection that cannot answer SELECT 1 is not handed
            # out: the pool closes it and checks out a new one
            raise DisconnectionError(f"idle connection failed its ping: {exc}") from exc


def database_unavailable(error: BaseException) -> bool:
    """True for errors that mean "the database cannot be reached right now" (connection
    refused or lost, server restarting, SQLite file locked beyond the busy timeout)."""
    return isinstance(error, OperationalError | InterfaceError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)
