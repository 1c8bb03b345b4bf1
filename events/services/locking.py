"""The one lock that serialises seat changes in a programme.

Every seat change (register, confirm, cancel, expire, promote, capacity and
workshop changes) runs as: ``begin_serialised()`` → ``lock_programme(id)`` →
check → write, in one transaction that the caller commits. pretix's rule:
take the lock *before* checking availability.
"""

from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from events.extensions import db
from events.models import Programme, Workshop

WROTE = "events.wrote"
#: Set while the session's transaction began with ``BEGIN IMMEDIATE`` (SQLite): it already
#: holds the write lock, so a seat change may go on in it.
IMMEDIATE = "events.immediate"


@event.listens_for(Session, "after_flush")
def _remember_write(session, _context) -> None:
    session.info[WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_write(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(WROTE, None)
        session.info.pop(IMMEDIATE, None)


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
    programme_id = (select(Workshop.programme_id).where(Workshop.id == workshop_id)
                    .scalar_subquery())
    return db.session.execute(
        select(Programme)
        .where(Programme.id == programme_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
