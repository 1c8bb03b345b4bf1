"""Engine set-up that the locking rules depend on. Floor 1.

SQLite: the driver's own implicit BEGIN is turned off and we emit ``BEGIN`` in
SQLAlchemy's ``begin`` event, as SQLAlchemy documents for pysqlite
("Serializable isolation / Savepoints / Transactional DDL"). A connection given
the execution option ``sqlite_begin="IMMEDIATE"`` starts with
``BEGIN IMMEDIATE``: it takes the database's write lock before its first read,
which is what serialises seat changes on SQLite. WAL lets readers go on
meanwhile, and the busy timeout makes writers queue instead of failing.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

SQLITE_BUSY_TIMEOUT_MS = 30_000


def configure_engine(engine: Engine) -> None:
    """Install the SQLite pragmas and the BEGIN recipe; nothing to do elsewhere."""
    if engine.dialect.name != "sqlite":
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


def database_unavailable(error: BaseException) -> bool:
    """True for errors that mean "the database cannot be reached right now" (connection
    refused or lost, server restarting, SQLite file locked beyond the busy timeout)."""
    return isinstance(error, OperationalError | InterfaceError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)
