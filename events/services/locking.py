"""The one lock that serialises seat changes in a programme.

Every seat change (register, confirm, cancel, expire, promote, capacity and
workshop changes) runs as: ``begin_serialised()`` → ``lock_programme(id)`` →
check → write, in one transaction that the caller commits. pretix's rule:
take the lock *before* checking availability.
"""

from __future__ import annotations

from sqlalchemy import bindparam, event, func, select, text
from sqlalchemy.orm import Session

from events.extensions import db
from events.models import Programme, Workshop

WROTE = "events.wrote"
#: Set while the session's transaction began with ``BEGIN IMMEDIATE`` (SQLite): it already
#: holds the write lock, so a seat change may go on in it.
IMMEDIATE = "events.immediate"
#: Set while the transaction commits without waiting for the disk (``release_before_flush``).
FLUSH_LATER = "events.flush_later"


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
        if session.new or session.dirty or session.deleted or session.info.get(WROTE):
            raise RuntimeError("commit pending changes before a seat change")
        if session.info.get(IMMEDIATE):
            return  # began holding SQLite's write lock (``begin_immediately``): keep it
        session.rollback()
    begin_immediately()


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


def lock_programme_of_workshop(workshop_id: int) -> Programme | None:
    """``lock_programme`` for the workshop's programme in one statement (the programme id is
    looked up inside it); None for an unknown workshop. The registration rush takes this
    lock hundreds of times a second, so every round trip saved here counts."""
    return db.session.execute(_LOCK_OF_WORKSHOP, {"workshop_id": workshop_id}
                              ).scalar_one_or_none()


#: The statement of ``lock_programme_of_workshop``, built once (the rush runs it under load).
_LOCK_OF_WORKSHOP = (
    select(Programme)
    .where(Programme.id == select(Workshop.programme_id)
           .where(Workshop.id == bindparam("workshop_id")).scalar_subquery())
    .with_for_update()
    .execution_options(populate_existing=True)
)
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit = off")
_FLUSH_MARK = select(func.pg_logical_emit_message(True, "praxis", "flush"))


def release_before_flush() -> None:
    """PostgreSQL: let this transaction's COMMIT release the programme lock before the WAL
    reaches the disk (``SET LOCAL synchronous_commit = off``); the caller must then commit
    ``write_flush_mark`` after the commit, before it tells anybody the change was made.

    The lock is exactly as strong: it is held until the commit, and whoever takes it next
    sees the change. Only the wait for the disk (an fsync, milliseconds, which would
    otherwise be spent holding the lock and so serialised across the whole rush) moves
    after the release, where the flushes of concurrent requests share one fsync. WAL is
    written in order: once a later commit is on disk, this one is too; if the server
    crashes before, the change and its outbox row are lost together and nobody got an
    answer (a mail worker's claim is a synchronous commit too, so no mail about the change
    leaves before it is on disk). Does nothing on SQLite (``synchronous = NORMAL`` in WAL
    mode already).
    """
    session = db.session()
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(_ASYNC_COMMIT)
    session.info[FLUSH_LATER] = True


def flush_pending() -> bool:
    """True when the open transaction asked for ``release_before_flush`` (read it before
    committing: the mark ends with the transaction)."""
    return bool(db.session().info.get(FLUSH_LATER))


def write_flush_mark() -> None:
    """Write what makes the next COMMIT wait until everything committed so far is on disk
    (after a commit with ``release_before_flush``); the caller commits it.

    PostgreSQL 15 has no function that waits for the WAL flush, so this writes one WAL
    record in a fresh transaction (a transactional logical-decoding message,
    ``pg_logical_emit_message``, which every role may call and nothing consumes): with
    ``synchronous_commit`` on, its COMMIT waits for the disk up to its own record, which
    comes after the seat change's. One statement and a COMMIT, outside the lock.
    """
    db.session.execute(_FLUSH_MARK)
