"""A registration on PostgreSQL in one call: the registration rush's path.

Every seat change of a programme waits for the programme lock (``locking``), so the time
the lock is held bounds the rush (issue 15). ``seats.register`` holds it across five
round trips with Python in between, and under load each of them waits for the
interpreter's lock as well: about 6 ms per registration, so at most ~150 a second
whatever the machine. Here the lock is held only inside the database, and the request
does nothing else of weight: one ``CALL praxis_register(…)`` (the procedure is made by
migration 0010), one answer, and the mail is written later by the worker.

::

    INSERT person (new address; nothing when the workshop is not open)   -- before the lock
    SELECT … FROM programme FOR UPDATE                                    -- the lock
    INSERT registration … SELECT <the seat rule> WHERE <open, no row yet>
      or UPDATE the registration (registered already: the link again)
        + INSERT outbox row (unwritten)                                   -- one statement
    COMMIT (synchronous_commit off)                                       -- releases it
    UPDATE the person's language; COMMIT at the CALL's end                -- waits for the disk

The seat rule in the statement is ``seats.SeatState.fits`` written in SQL (the workshop
has a free seat, and the person holds a seat in the programme already or the programme
is below its cap), with the same counts; ``tests/test_seat_pipeline.py`` runs both on the
same states. The seat transaction commits without waiting for the disk (see
``locking``); the next one writes and commits synchronously, so the CALL returns once the
WAL up to it, the registration included, is on disk: no one is told "accepted" before.

Why a procedure: the same statements sent as a pipeline (psycopg) were one round trip
too, but the driver writes and waits once per statement, and under load each wait was a
wait for the interpreter lock; the decision's plan (~1 ms to make, under the lock) was
lost whenever psycopg dropped its prepared statements (at every ROLLBACK). PL/pgSQL keeps
each statement's plan for the connection's life, and the request waits once.

The registration's mail is reserved as an outbox row of status ``unwritten`` in the seat
transaction (it can never be lost) and written by the worker in its next round
(``unwritten_mail``), which sends it in the same round: the request renders nothing.

A repeat (the person is registered for the workshop already, holding a seat or waiting)
is ``seats.repeat`` in SQL: the link again, at most once per ``LINK_RESEND_MINUTES``,
and the registration's language. It takes the same path as a new registration, so that
the answer's timing does not tell a known address from a new one (issue 13).

Only these common cases take this path. Anything else (a cancelled registration taken
up again, a closed or unknown workshop, SQLite) answers ``None``, and the caller runs
``seats.register``, which knows every case and its message.
"""

from __future__ import annotations

import logging

import psycopg
from flask import current_app
from sqlalchemy.exc import DBAPIError

from events import locales
from events.extensions import db
from events.mail.outbox import new_message_id
from events.models import RegistrationStatus, normalise_email
from events.services import tokens
from events.services.applicants import Applicant, validate
from events.services.errors import InvalidInput
from events.services.locking import refuse_pending_writes
from events.services.seats import RegistrationResult

log = logging.getLogger(__name__)

#: The procedure's parameters in its order; the four INOUT ones come back as the answer.
_CALL = """CALL praxis_register(%(workshop_id)s, %(email)s, %(name)s, %(municipality)s,
    %(role)s, %(language)s, %(feed_salt)s, %(token_salt)s, %(message_id)s,
    %(consent_version)s, %(remarks)s, %(accessibility_needs)s, %(confirmation_seconds)s,
    %(resend_seconds)s, NULL, NULL, NULL, NULL)"""


def register(workshop_id: int, applicant: Applicant) -> RegistrationResult | None:
    """``seats.RegistrationResult`` of a registration made or repeated and committed here
    (no row loaded, no waiting place counted), or ``None`` when this path does not apply
    (see the module); then nothing was written.

    Raises ``InvalidInput`` for bad fields, as ``seats.register`` does. The caller's
    session must hold no changes; its transaction is ended here.
    """
    if db.engine.dialect.name != "postgresql":
        return None
    applicant = applicant.cleaned()
    errors = validate(applicant)
    if errors:
        raise InvalidInput(errors)
    row = _run(_parameters(workshop_id, applicant))
    if row is None:
        return None
    registration_id, status, created, resent = row
    log.info("registration %s for workshop %s: %s%s", registration_id, workshop_id, status,
             "" if created else f" (repeated, link resent: {resent})")
    return RegistrationResult(registration_id, created, RegistrationStatus(status), None,
                              link_resent=resent)


def _parameters(workshop_id: int, applicant: Applicant) -> dict:
    config = current_app.config
    language = locales.known(applicant.language)
    accessibility = (applicant.accessibility_needs
                     if applicant.accessibility_needs and applicant.accessibility_consent
                     else None)
    return {
        "workshop_id": workshop_id, "email": normalise_email(applicant.email),
        "name": applicant.name, "municipality": applicant.municipality,
        "role": applicant.role, "language": language, "feed_salt": tokens.new_salt(),
        "token_salt": tokens.new_salt(), "message_id": new_message_id(),
        "consent_version": config["CONSENT_VERSION"], "remarks": applicant.remarks,
        "accessibility_needs": accessibility,
        "confirmation_seconds": float(config["CONFIRMATION_HOURS"]) * 3600,
        "resend_seconds": float(config["LINK_RESEND_MINUTES"]) * 60,
    }


def _run(params: dict) -> tuple | None:
    """The CALL on a pooled connection of its own (the session is left alone: its
    bookkeeping cost more than the CALL, per registration); the registration's (id,
    status, created, link sent), or None when it wrote nothing."""
    refuse_pending_writes()
    # pinged when it sat idle (database.ping_when_idle); a database that cannot be
    # reached raises SQLAlchemy's OperationalError here (a 503)
    with db.engine.connect() as connection:
        row = _call(connection, params)
    return row if row and row[0] is not None else None


def _call(connection, params: dict) -> tuple | None:
    """``CALL praxis_register`` on ``connection``; its answer row. A driver error is raised
    as SQLAlchemy would (``OperationalError`` and the like, so a lost database is a 503),
    a dead connection invalidated first (it does not go back into the pool)."""
    raw = connection.connection.driver_connection
    try:
        raw.autocommit = True  # a procedure that commits runs outside a transaction
        row = raw.execute(_CALL, params).fetchone()
        raw.autocommit = False
        return row
    except psycopg.Error as error:
        dialect = connection.dialect
        wrapped = DBAPIError.instance(_CALL, params, error, psycopg.Error, dialect=dialect)
        if dialect.is_disconnect(error, raw, None) or raw.closed:
            wrapped.connection_invalidated = True
            connection.invalidate(error)
        else:
            raw.autocommit = False
        raise wrapped from error


#: The CALL's parameters for no workshop (id 0): it finds nothing and writes nothing.
_NOTHING = {**dict.fromkeys(("email", "name", "municipality", "role", "language",
                             "feed_salt", "token_salt", "message_id", "consent_version",
                             "remarks"), ""),
            "workshop_id": 0, "accessibility_needs": None, "confirmation_seconds": 0.0,
            "resend_seconds": 0.0}


def open_connections(count: int) -> int:
    """Open ``count`` pooled connections now and let each plan the procedure; return how
    many. For a process about to take requests (gunicorn's ``post_worker_init``,
    ``deploy/gunicorn.conf.py``): otherwise the first request on each thread opens its
    connection, and a new PostgreSQL connection plans every statement of the procedure
    on its first CALL, while a rush waits behind it (``bench/registration_rush.py``: p99
    0.61 s just after the start, 0.36 s a while later). The CALL names no workshop
    (``_NOTHING``). Nothing to do on SQLite."""
    if db.engine.dialect.name != "postgresql":
        return 0
    connections = [db.engine.connect() for _ in range(count)]
    try:
        for connection in connections:
            _call(connection, _NOTHING)
    finally:
        for connection in connections:
            connection.close()  # back into the pool, open
    return len(connections)
