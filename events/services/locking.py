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
from events.models import Programme

WROTE = "events.wrote"


@event.listens_for(Session, "after_flush")
def _remember_write(session, _context) -> None:
    session.info[WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_write(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(WROTE, None)


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
        session.rollback()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def lock_programme(programme_id: int) -> Programme:
    """``SELECT … FOR UPDATE`` the programme row (PostgreSQL); fresh from the database."""
    return db.session.execute(
        select(Programme)
        .where(Programme.id == programme_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
