"""A new registration on PostgreSQL in one round trip: the registration rush's path.

Every seat change of a programme waits for the programme lock (``locking``), so the time
the lock is held bounds the rush (issue 15). ``seats.register`` holds it across five
round trips with Python in between, and under load each of them waits for the
interpreter's lock as well: about 6 ms per registration, so at most ~150 a second
whatever the machine. Here the lock is held only inside the database: the statements go
out together in one pipeline (psycopg) and the lock is released by the COMMIT at its end,
before any answer reaches Python.

::

    INSERT person (new address; nothing when the workshop is not open)   -- before the lock
    SELECT … FROM programme FOR UPDATE                                    -- the lock
    INSERT registration … SELECT <the seat rule> WHERE <open, no row yet>
        + INSERT outbox row (unwritten) + UPDATE the person's language   -- one statement
    COMMIT                                                                -- releases it

The seat rule in the statement is ``seats.SeatState.fits`` written in SQL (the workshop
has a free seat, and the person holds a seat in the programme already or the programme
is below its cap), with the same counts; ``tests/test_seat_pipeline.py`` runs both on the
same states. The registration's mail is reserved as an outbox row of status
``unwritten`` in the same transaction and written right after the commit, outside the
lock; its commit waits for the disk, which then has the registration too (the seat
transaction commits with ``synchronous_commit = off``, see ``locking``). Should the
process die in between, the worker writes it (``write_unwritten``): no mail is lost.

Only the common cases take this path: a workshop open for registration and a person
without a registration for it, or with one that holds a seat or waits (a repeat: the
link again, ``_again``). Anything else (a cancelled registration taken up again, a
closed or unknown workshop, SQLite) answers ``None``, and the caller runs
``seats.register``, which knows every case and its message.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

import psycopg
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import joinedload

from events import locales
from events.extensions import db
from events.mail.outbox import new_message_id, write_into
from events.models import (
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    normalise_email,
    utcnow,
)
from events.services import notify, tokens
from events.services.applicants import Applicant, validate
from events.services.errors import InvalidInput
from events.services.locking import begin_serialised
from events.services.seats import RegistrationResult, repeat, waitlist_position

log = logging.getLogger(__name__)

#: The status ``_REGISTER`` answers for a person registered already.
AGAIN = "again"

#: An unwritten mail this old lost its request (which writes it within milliseconds).
ORPHANED_AFTER = timedelta(seconds=30)

#: Open for registration at ``t.now`` (``Workshop.registration_state(now) == "open"``).
_OPEN = """w.status = 'published' AND t.now < w.starts_at
    AND (w.registration_opens_at IS NULL OR t.now >= w.registration_opens_at)
    AND (w.registration_closes_at IS NULL OR t.now < w.registration_closes_at)"""

#: The person, for a new address, and only if the workshop is open (no stray person rows
#: from registrations that fail). Before the lock: no seat depends on it.
_PERSON = f"""
INSERT INTO participant (email, name, municipality, role, federal_state, feed_salt, language,
                         created_at)
SELECT %(email)s, %(name)s, %(municipality)s, %(role)s, '', %(feed_salt)s, %(language)s, t.now
FROM workshop w, (SELECT clock_timestamp() AS now) t
WHERE w.id = %(workshop_id)s AND {_OPEN}
ON CONFLICT (email) DO NOTHING
"""

#: The programme lock (as ``locking.lock_programme_of_workshop``); the transaction commits
#: without waiting for the disk (the mail's commit after it waits).
_LOCK = """
SELECT set_config('synchronous_commit', 'off', true)
FROM programme p
WHERE p.id = (SELECT programme_id FROM workshop WHERE id = %(workshop_id)s)
FOR UPDATE OF p
"""

_HOLDING = "('pending', 'confirmed')"

#: Under the lock: the decision, the registration, its reserved mail and the person's
#: language, in one statement (its snapshot is taken after the lock was granted).
_REGISTER = f"""
WITH t AS (SELECT clock_timestamp() AS now),
person AS (SELECT id FROM participant WHERE email = %(email)s),
w AS (
    SELECT w.id, w.starts_at,
        (SELECT count(*) FROM registration r
         WHERE r.workshop_id = w.id AND r.status IN {_HOLDING}) < w.capacity
        AND (EXISTS (SELECT FROM registration r JOIN workshop x ON x.id = r.workshop_id
                     WHERE r.participant_id = person.id AND x.programme_id = w.programme_id
                       AND r.status IN {_HOLDING})
             OR (SELECT count(DISTINCT r.participant_id) FROM registration r
                 JOIN workshop x ON x.id = r.workshop_id
                 WHERE x.programme_id = w.programme_id AND r.status IN {_HOLDING})
                + p.deleted_participants < p.capacity) AS fits,
        (SELECT count(*) FROM registration r
         WHERE r.workshop_id = w.id AND r.status = 'waitlisted'
           AND r.requested_at <= t.now) AS waiting
    FROM workshop w JOIN programme p ON p.id = w.programme_id, person, t
    WHERE w.id = %(workshop_id)s AND {_OPEN}
      AND NOT EXISTS (SELECT FROM registration r
                      WHERE r.workshop_id = w.id AND r.participant_id = person.id)
),
new AS (
    INSERT INTO registration (workshop_id, participant_id, status, created_at, requested_at,
        status_changed_at, expires_at, consent_version, consent_at, remarks,
        accessibility_needs, accessibility_consent_at, token_salt, ical_sequence, source,
        language)
    SELECT w.id, person.id, CASE WHEN w.fits THEN 'pending' ELSE 'waitlisted' END,
        t.now, t.now, t.now,
        CASE WHEN w.fits
             THEN least(t.now + make_interval(secs => %(confirmation_seconds)s), w.starts_at)
        END,
        %(consent_version)s, t.now, %(remarks)s, %(accessibility_needs)s::text,
        CASE WHEN %(accessibility_needs)s::text IS NOT NULL THEN t.now END,
        %(token_salt)s, 0, 'public', %(language)s
    FROM w, person, t
    RETURNING id, participant_id, status
),
spoken AS (
    UPDATE participant SET language = %(language)s FROM new
    WHERE participant.id = new.participant_id
),
mail AS (
    INSERT INTO outbox_message (message_id, kind, registration_id, recipient, subject,
        body_text, body_html, language, status, attempts, next_attempt_at, last_error,
        created_at)
    SELECT %(message_id)s,
        CASE new.status WHEN 'pending' THEN 'confirm_request' ELSE 'waitlisted' END,
        new.id, %(email)s, '', '', '', %(language)s, 'unwritten', 0, t.now, '', t.now
    FROM new, t
    RETURNING id
),
again AS (
    SELECT r.id FROM registration r JOIN workshop w ON w.id = r.workshop_id, person, t
    WHERE r.workshop_id = %(workshop_id)s AND r.participant_id = person.id
      AND r.status IN ('pending', 'confirmed', 'waitlisted') AND {_OPEN}
)
SELECT new.id, new.status, w.waiting, mail.id FROM new, w, mail
UNION ALL
SELECT again.id, 'again', NULL, NULL FROM again
"""


#: The written mail into its row (``outbox.write_into``, as one prepared statement).
_WRITE = """
UPDATE outbox_message
SET subject = %(subject)s, body_text = %(body_text)s, body_html = %(body_html)s,
    status = 'queued', next_attempt_at = clock_timestamp()
WHERE id = %(id)s AND status = 'unwritten'
"""


def register(workshop_id: int, applicant: Applicant) -> RegistrationResult | None:
    """``seats.RegistrationResult`` of a new registration made and committed here, or
    ``None`` when this path does not apply (see the module); then nothing was written.

    Raises ``InvalidInput`` for bad fields, as ``seats.register`` does. The caller's
    session must hold no changes; it ends with the mail's transaction committed.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    applicant = applicant.cleaned()
    errors = validate(applicant)
    if errors:
        raise InvalidInput(errors)
    params = _parameters(workshop_id, applicant)
    row = _run(params)
    if row is None:
        return None
    registration_id, status, waiting, message_id = row
    if status == AGAIN:
        return _again(registration_id, applicant.language)
    registration = _registration(registration_id)
    position, mail = None, {"id": message_id}
    if status == RegistrationStatus.pending.value:
        notify.confirm_request(registration, into=mail.update)
    else:
        position = waiting + 1  # the new row comes after every entry up to now
        notify.waitlisted(registration, position, into=mail.update)
    result = RegistrationResult(registration, True, registration.status, position)
    _write(mail)
    log.info("registration %s for workshop %s: %s", registration_id, workshop_id, status)
    return result


def _again(registration_id: int, language: str) -> RegistrationResult | None:
    """A person registered already (pending, confirmed or waiting): ``seats.repeat``
    (the link again, at most once per ``LINK_RESEND_MINUTES``) under the row's lock, not
    the programme's: nothing about a seat changes. The same work as a new registration
    (a read, a rendered mail, a write, a synchronous commit), so that the answer's timing
    does not tell a known address from a new one (issue 13). ``None`` when the row ended
    in between (cancelled, expired): then it is a registration anew, for the full path."""
    registration = _registration(registration_id, lock=True)
    if registration is None or registration.can_register_again:
        db.session.rollback()
        return None
    result = repeat(registration, utcnow(), language)
    db.session.commit()
    return result


def _registration(registration_id: int, *, lock: bool = False) -> Registration | None:
    """The registration with its workshop and person (what its mail shows), in one read;
    ``lock``: with its row locked until the commit."""
    query = (select(Registration).where(Registration.id == registration_id)
             .options(joinedload(Registration.workshop), joinedload(Registration.participant)))
    if lock:
        query = query.with_for_update(of=Registration)
    return db.session.execute(query).scalar_one_or_none()


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
    }


def _run(params: dict):
    """The pipeline, committed; the ``_REGISTER`` row, or None when it inserted nothing.
    The session's transaction stays open on this connection, and its next statement
    begins the database's next one (no return to the pool and back)."""
    begin_serialised()  # no pending changes; a read-only transaction is ended
    return _committed((_PERSON, params), (_LOCK, params), (_REGISTER, params))


def _write(mail: dict) -> None:
    """The mail into its reserved row, and the commit, in one round trip; the commit is
    synchronous, so it returns once the registration is on disk, too."""
    _committed((_WRITE, mail))
    db.session.commit()  # the session's side of it (the database's transaction has ended)


def _committed(*statements: tuple[str, dict]) -> tuple | None:
    """The statements and a COMMIT in one pipeline on the session's connection (one round
    trip, prepared statements); the first row of the last one, if it returns rows."""
    connection = db.session.connection()
    raw = connection.connection.driver_connection
    last = raw.cursor()
    try:
        with raw.pipeline():
            for statement, params in statements[:-1]:
                raw.execute(statement, params, prepare=True)
            last.execute(*statements[-1], prepare=True)
            raw.commit()
        return last.fetchone() if last.description else None
    except psycopg.Error as error:
        _raise(error, *statements[-1], connection, raw)
    finally:
        last.close()


def _raise(error: psycopg.Error, statement: str, params: dict, connection, raw):
    """Raise the driver's error as SQLAlchemy would (``OperationalError`` and the like, so
    that a lost database is a 503), after dropping a dead connection and rolling back."""
    wrapped = DBAPIError.instance(statement, params, error, psycopg.Error,
                                  dialect=connection.dialect)
    if connection.dialect.is_disconnect(error, raw, None):
        connection.invalidate(error)
    db.session.rollback()
    raise wrapped from error


def write_unwritten(now: datetime) -> int:
    """Write the mails whose request died between its commit and the mail's (the worker,
    each round); returns how many. One whose registration is gone cannot be written and
    fails. The caller commits."""
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.unwritten,
                                    OutboxMessage.created_at < now - ORPHANED_AFTER)
        .order_by(OutboxMessage.id).limit(500)).all()
    for message in rows:
        registration = (db.session.get(Registration, message.registration_id)
                        if message.registration_id else None)
        if registration is None:
            message.status = OutboxStatus.failed
            message.last_error = "Anmeldung gelöscht, bevor die Nachricht geschrieben war"
            continue
        write = partial(write_into, message.id)
        if message.kind == "confirm_request":
            notify.confirm_request(registration, into=write)
        else:
            notify.waitlisted(registration, waitlist_position(registration), into=write)
        log.warning("outbox message %s (registration %s) written by the worker",
                    message.id, registration.id)
    return len(rows)
