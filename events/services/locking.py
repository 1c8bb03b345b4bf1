"""The one lock that serialises seat changes in a programme.

Every seat change (register, confirm, cancel, expire, promote, capacity and
workshop changes) runs as: ``begin_serialised()`` → ``lock_programme(id)`` →
check → write, in one transaction that the caller commits. pretix's rule:
take the lock *before* checking availability.
"""

from __future__ import annotations

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import bindparam, event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from events.extensions import db
from events.models import Programme, Workshop

WROTE = "events.wrote"
#: Set while the session's transaction began with ``BEGIN IMMEDIATE`` (SQLite): it already
#: holds the write lock, so a seat change may go on in it.
IMMEDIATE = "events.immediate"
#: The connection of a transaction that commits without waiting for the disk
#: (``lock_programme_of_workshop(flush_later=True)``); ``_flush_after_commit`` waits after.
FLUSH_LATER = "events.flush_later"
#: The driver's error when that wait failed (``check_flushed`` raises it after the commit).
FLUSH_FAILED = "events.flush_failed"


@event.listens_for(Session, "after_flush")
def _remember_write(session, _context) -> None:
    session.info[WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_write(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(WROTE, None)
        session.info.pop(IMMEDIATE, None)
        session.info.pop(FLUSH_LATER, None)


def begin_serialised() -> None:
    """Start a fresh transaction for a seat change.

    On SQLite it begins with ``BEGIN IMMEDIATE`` (see ``events.database``), so the
    write lock is held from the first read on. A read-only transaction that is
    still open is ended first; one with unflushed or flushed-but-uncommitted
    writes (tracked by the ``after_flush`` event) is a programming error, since
    the lock must come first.
    """
    session = db.session()
    if session.in_transaction():
        refuse_pending_writes()
        if session.info.get(IMMEDIATE):
            return  # began holding SQLite's write lock (``begin_immediately``): keep it
        session.rollback()
    begin_immediately()


def refuse_pending_writes() -> None:
    """A seat change must come first in its transaction: unflushed or flushed but
    uncommitted writes in the session (``after_flush``) are a programming error."""
    session = db.session()
    if session.new or session.dirty or session.deleted or session.info.get(WROTE):
        raise RuntimeError("commit pending changes before a seat change")


def begin_immediately() -> None:
    """Begin the session's transaction; on SQLite with ``BEGIN IMMEDIATE`` (the write lock
    from the first statement on). Does nothing when a transaction is already open."""
    session = db.session()
    if session.in_transaction():
        return
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    if db.engine.dialect.name == "sqlite":
        session.info[IMMEDIATE] = True


def lock_programme(programme_id: int) -> Programme:
    """``SELECT … FOR UPDATE`` the programme row (PostgreSQL); fresh from the database."""
    return db.session.execute(
        select(Programme)
        .where(Programme.id == programme_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def lock_programme_of_workshop(workshop_id: int, *, flush_later: bool = False
                               ) -> Programme | None:
    """``lock_programme`` for the workshop's programme in one statement (the programme id is
    looked up inside it); None for an unknown workshop. The registration rush takes this
    lock hundreds of times a second, so every round trip saved here counts.

    ``flush_later`` (PostgreSQL): the transaction's COMMIT releases the lock before the
    disk has the change, and then waits for the disk (``set_config`` in the same statement;
    see ``_flush_after_commit``); the caller calls ``check_flushed`` after the commit."""
    session = db.session()
    if not flush_later or session.get_bind().dialect.name != "postgresql":
        return session.execute(_LOCK_OF_WORKSHOP, {"workshop_id": workshop_id}
                               ).scalar_one_or_none()
    row = session.execute(_LOCK_OF_WORKSHOP_FLUSH_LATER, {"workshop_id": workshop_id}).first()
    if row is None:
        return None
    session.info[FLUSH_LATER] = session.connection()
    return row[0]


def _lock_of_workshop(*columns):
    return (
        select(Programme, *columns)
        .where(Programme.id == select(Workshop.programme_id)
               .where(Workshop.id == bindparam("workshop_id")).scalar_subquery())
        .with_for_update(of=Programme)
        .execution_options(populate_existing=True)
    )


#: The statements of ``lock_programme_of_workshop``, built once (the rush runs them under
#: load); the second also makes the transaction's commit asynchronous (``SET LOCAL``).
_LOCK_OF_WORKSHOP = _lock_of_workshop()
_LOCK_OF_WORKSHOP_FLUSH_LATER = _lock_of_workshop(
    func.set_config("synchronous_commit", "off", True))
#: One WAL record in its own transaction (see ``_flush_after_commit``).
_FLUSH_MARK = "SELECT pg_logical_emit_message(true, 'praxis', 'flush')"


@event.listens_for(Session, "after_commit")
def _flush_after_commit(session) -> None:
    """After a commit that released the programme lock before the WAL reached the disk
    (``lock_programme_of_workshop(flush_later=True)``), wait until it is there, on the same
    connection, before ``commit()`` returns to the caller.

    Why: the lock is held until the commit, so the fsync of a synchronous commit (a few
    milliseconds) would be spent holding it, serialised across the whole rush. With
    ``synchronous_commit = off`` for the seat change alone, the lock is exactly as strong
    (held until the commit; whoever takes it next sees the change), and the wait for the
    disk moves after the release, where the flushes of concurrent requests share one fsync.

    How: PostgreSQL 15 has no function that waits for the WAL flush, so one statement in
    autocommit writes a WAL record in a transaction of its own (a transactional logical-
    decoding message, ``pg_logical_emit_message``, which every role may call and nothing
    consumes); with ``synchronous_commit`` on, its commit waits for the disk up to its own
    record, which comes after the seat change's (WAL is written in order). If the server
    crashes before, the change and its outbox row are lost together and nobody got an
    answer; a mail worker's claim is a synchronous commit too, so no mail about the change
    leaves before it is on disk.
    """
    connection = session.info.get(FLUSH_LATER)
    if connection is None:
        return
    raw = connection.connection.dbapi_connection
    if raw.info.transaction_status != TransactionStatus.IDLE:
        return  # a savepoint was released; the transaction goes on
    del session.info[FLUSH_LATER]
    try:
        raw.autocommit = True
        try:
            raw.execute(_FLUSH_MARK)
        finally:
            raw.autocommit = False
    except psycopg.Error as error:
        # not raised here: the session would stay in its "committed" state for good; the
        # connection is dropped, as SQLAlchemy drops a lost one (no reset on a dead line)
        session.info[FLUSH_FAILED] = error
        connection.invalidate(error)


def check_flushed() -> None:
    """Raise when the wait for the disk after the last commit failed (``OperationalError``,
    as SQLAlchemy wraps a lost connection: the answer is a 503 like any other outage, see
    ``database.database_unavailable``). The
    change was committed, but nobody may be told so before it is known to be on disk."""
    error = db.session().info.pop(FLUSH_FAILED, None)
    if error is not None:
        raise OperationalError(_FLUSH_MARK, None, error) from error
