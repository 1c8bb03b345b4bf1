"""A registration on PostgreSQL in one round trip: the registration rush's path.

Every seat change of a programme waits for the programme lock (``locking``), so the time
the lock is held bounds the rush (issue 15). ``seats.register`` holds it across five
round trips with Python in between, and under load each of them waits for the
interpreter's lock as well: about 6 ms per registration, so at most ~150 a second
whatever the machine. Here the lock is held only inside the database, and the request
does nothing else of weight: the statements go out together in one pipeline (psycopg),
the answer comes back once, and the mail is written by the worker.

::

    INSERT person (new address; nothing when the workshop is not open)   -- before the lock
    SELECT … FROM programme FOR UPDATE                                    -- the lock
    INSERT registration … SELECT <the seat rule> WHERE <open, no row yet>
      or UPDATE the registration (registered already: the link again)
        + INSERT outbox row (unwritten)                                   -- one statement
    COMMIT (synchronous_commit off)                                       -- releases it
    UPDATE the person's language; COMMIT                                  -- waits for the disk

The seat rule in the statement is ``seats.SeatState.fits`` written in SQL (the workshop
has a free seat, and the person holds a seat in the programme already or the programme
is below its cap), with the same counts; ``tests/test_seat_pipeline.py`` runs both on the
same states. The seat transaction commits without waiting for the disk (see
``locking``); the next one writes and commits synchronously, so it returns once the WAL
up to it, the registration included, is on disk: no one is told "accepted" before that.

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
from events.services.locking import begin_serialised
from events.services.seats import RegistrationResult

log = logging.getLogger(__name__)

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
#: without waiting for the disk (the next one waits).
_LOCK = """
SELECT set_config('synchronous_commit', 'off', true)
FROM programme p
WHERE p.id = (SELECT programme_id FROM workshop WHERE id = %(workshop_id)s)
FOR UPDATE OF p
"""

_HOLDING = "('pending', 'confirmed')"
_REGISTERED = "('pending', 'confirmed', 'waitlisted')"

#: Under the lock, in one statement (its snapshot is taken after the lock was granted):
#: a new registration with the seat rule's decision, or the repeat of one, and the mail
#: reserved for either. Answers (registration id, status, created, link sent).
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
                + p.deleted_participants < p.capacity) AS fits
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
    RETURNING id, status
),
again AS (
    UPDATE registration r SET language = %(language)s,
        link_sent_at = CASE
            WHEN r.link_sent_at IS NULL
                 OR r.link_sent_at <= t.now - make_interval(secs => %(resend_seconds)s)
            THEN t.now ELSE r.link_sent_at END
    FROM workshop w, person, t
    WHERE r.workshop_id = %(workshop_id)s AND r.participant_id = person.id
      AND w.id = r.workshop_id AND r.status IN {_REGISTERED} AND {_OPEN}
    RETURNING r.id, r.status, r.link_sent_at = t.now AS resent
),
mail AS (
    INSERT INTO outbox_message (message_id, kind, registration_id, recipient, subject,
        body_text, body_html, language, status, attempts, next_attempt_at, last_error,
        created_at)
    SELECT %(message_id)s, kind, id, %(email)s, '', '', '', %(language)s, 'unwritten', 0,
        t.now, '', t.now
    FROM (SELECT id, CASE status WHEN 'pending' THEN 'confirm_request' ELSE 'waitlisted' END
          FROM new
          UNION ALL
          SELECT id, 'link_again' FROM again WHERE resent) AS reserved (id, kind), t
)
SELECT id, status, true, false FROM new
UNION ALL
SELECT id, status, false, resent FROM again
"""

#: After the seat's commit, in a transaction that commits synchronously: the person's
#: language (their latest choice, as ``seats.register`` keeps it). Being a write, its
#: commit returns once the WAL up to it is on disk, and with it the registration.
_SPOKEN = f"""
UPDATE participant p SET language = %(language)s
WHERE p.email = %(email)s
  AND EXISTS (SELECT FROM registration r
              WHERE r.participant_id = p.id AND r.workshop_id = %(workshop_id)s
                AND r.status IN {_REGISTERED} AND r.language = %(language)s)
"""


def register(workshop_id: int, applicant: Applicant) -> RegistrationResult | None:
    """``seats.RegistrationResult`` of a registration made or repeated and committed here
    (no row loaded, no waiting place counted), or ``None`` when this path does not apply
    (see the module); then nothing was written.

    Raises ``InvalidInput`` for bad fields, as ``seats.register`` does. The caller's
    session must hold no changes; its transaction is ended here.
    """
    if db.session.get_bind().dialect.name != "postgresql":
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
    """Both transactions in one pipeline on the session's connection (one round trip,
    prepared statements); the ``_REGISTER`` row, or None when it wrote nothing. The
    session's side is ended as well (its connection goes back to the pool)."""
    begin_serialised()  # no pending changes; a read-only transaction is ended
    connection = db.session.connection()
    raw = connection.connection.driver_connection
    decision = raw.cursor()
    try:
        with raw.pipeline():
            raw.execute(_PERSON, params, prepare=True)
            raw.execute(_LOCK, params, prepare=True)
            decision.execute(_REGISTER, params, prepare=True)
            raw.commit()  # releases the lock
            raw.execute(_SPOKEN, params, prepare=True)
            raw.commit()  # waits for the disk
        row = decision.fetchone()
    except psycopg.Error as error:
        _raise(error, _REGISTER, params, connection, raw)
    finally:
        decision.close()
    db.session.commit()  # the session's side (the database's transactions have ended)
    return row


def _raise(error: psycopg.Error, statement: str, params: dict, connection, raw):
    """Raise the driver's error as SQLAlchemy would (``OperationalError`` and the like, so
    that a lost database is a 503), after dropping a dead connection and rolling back."""
    wrapped = DBAPIError.instance(statement, params, error, psycopg.Error,
                                  dialect=connection.dialect)
    if connection.dialect.is_disconnect(error, raw, None):
        connection.invalidate(error)
    db.session.rollback()
    raise wrapped from error
