"""register procedure (PostgreSQL): the registration rush's path as one CALL

``events/services/seat_pipeline.py`` sent a registration as a pipeline of four statements
and two commits: one round trip, but each statement a separate write and wait in the
driver, which under load meant a wait for Python's interpreter lock each time. The same
statements now run inside one procedure, called once: person (new address, before the
lock), programme lock, the decision with the seat rule (``seats.SeatState.fits`` in SQL)
or the repeat, the reserved mail, ``COMMIT`` without waiting for the disk (releases the
lock), then the person's language, committed synchronously when the CALL ends (the wait
for the disk). PL/pgSQL keeps each statement's plan for the connection's life; the
driver's prepared statements were dropped at every ROLLBACK (psycopg deallocates them),
and the decision's plan took ~1 ms to make, under the lock.

Only PostgreSQL: SQLite takes ``seats.register``. The module's docstring describes the
statements; ``tests/test_seat_pipeline.py`` holds them to ``seats``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 04:45:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_OPEN = """w.status = 'published' AND now_ < w.starts_at
            AND (w.registration_opens_at IS NULL OR now_ >= w.registration_opens_at)
            AND (w.registration_closes_at IS NULL OR now_ < w.registration_closes_at)"""

PROCEDURE = f"""
CREATE OR REPLACE PROCEDURE praxis_register(
    workshop_id_ bigint, email_ text, name_ text, municipality_ text, role_ text,
    language_ text, feed_salt_ text, token_salt_ text, message_id_ text,
    consent_version_ text, remarks_ text, accessibility_needs_ text,
    confirmation_seconds_ double precision, resend_seconds_ double precision,
    INOUT registration_id_ integer DEFAULT NULL, INOUT status_ text DEFAULT NULL,
    INOUT created_ boolean DEFAULT NULL, INOUT resent_ boolean DEFAULT NULL)
LANGUAGE plpgsql AS $procedure$
DECLARE
    now_ timestamptz;
    person_ integer;
BEGIN
    -- the person, for a new address, only if the workshop is open (before the lock)
    now_ := clock_timestamp();
    INSERT INTO participant (email, name, municipality, role, federal_state, feed_salt,
                             language, created_at)
    SELECT email_, name_, municipality_, role_, '', feed_salt_, language_, now_
    FROM workshop w
    WHERE w.id = workshop_id_ AND {_OPEN}
    ON CONFLICT (email) DO NOTHING;

    -- the programme lock; its transaction commits without waiting for the disk
    PERFORM set_config('synchronous_commit', 'off', true)
    FROM programme p
    WHERE p.id = (SELECT programme_id FROM workshop WHERE id = workshop_id_)
    FOR UPDATE OF p;

    -- under the lock (this statement's snapshot is taken after it was granted)
    now_ := clock_timestamp();
    SELECT id INTO person_ FROM participant WHERE email = email_;
    WITH w AS (
        SELECT w.id, w.starts_at,
            (SELECT count(*) FROM registration r
             WHERE r.workshop_id = w.id AND r.status IN ('pending', 'confirmed')) < w.capacity
            AND (EXISTS (SELECT FROM registration r JOIN workshop x ON x.id = r.workshop_id
                         WHERE r.participant_id = person_ AND x.programme_id = w.programme_id
                           AND r.status IN ('pending', 'confirmed'))
                 OR (SELECT count(DISTINCT r.participant_id) FROM registration r
                     JOIN workshop x ON x.id = r.workshop_id
                     WHERE x.programme_id = w.programme_id
                       AND r.status IN ('pending', 'confirmed'))
                    + p.deleted_participants < p.capacity) AS fits
        FROM workshop w JOIN programme p ON p.id = w.programme_id
        WHERE w.id = workshop_id_ AND person_ IS NOT NULL AND {_OPEN}
          AND NOT EXISTS (SELECT FROM registration r
                          WHERE r.workshop_id = w.id AND r.participant_id = person_)
    ),
    new AS (
        INSERT INTO registration (workshop_id, participant_id, status, created_at,
            requested_at, status_changed_at, expires_at, consent_version, consent_at, remarks,
            accessibility_needs, accessibility_consent_at, token_salt, ical_sequence, source,
            language)
        SELECT w.id, person_, CASE WHEN w.fits THEN 'pending' ELSE 'waitlisted' END,
            now_, now_, now_,
            CASE WHEN w.fits
                 THEN least(now_ + make_interval(secs => confirmation_seconds_), w.starts_at)
            END,
            consent_version_, now_, remarks_, accessibility_needs_,
            CASE WHEN accessibility_needs_ IS NOT NULL THEN now_ END,
            token_salt_, 0, 'public', language_
        FROM w
        RETURNING id, status
    ),
    again AS (
        UPDATE registration r SET language = language_,
            link_sent_at = CASE
                WHEN r.link_sent_at IS NULL
                     OR r.link_sent_at <= now_ - make_interval(secs => resend_seconds_)
                THEN now_ ELSE r.link_sent_at END
        FROM workshop w
        WHERE r.workshop_id = workshop_id_ AND r.participant_id = person_
          AND w.id = r.workshop_id AND r.status IN ('pending', 'confirmed', 'waitlisted')
          AND {_OPEN}
        RETURNING r.id, r.status, r.link_sent_at = now_ AS resent
    ),
    mail AS (
        INSERT INTO outbox_message (message_id, kind, registration_id, recipient, subject,
            body_text, body_html, language, status, attempts, next_attempt_at, last_error,
            created_at)
        SELECT message_id_, kind, id, email_, '', '', '', language_, 'unwritten', 0, now_, '',
            now_
        FROM (SELECT id, CASE status WHEN 'pending' THEN 'confirm_request'
                                     ELSE 'waitlisted' END
              FROM new
              UNION ALL
              SELECT id, 'link_again' FROM again WHERE resent) AS reserved (id, kind)
    )
    SELECT id, status, true, false FROM new
    UNION ALL
    SELECT id, status, false, resent FROM again
    INTO registration_id_, status_, created_, resent_;

    COMMIT;  -- releases the lock, without waiting for the disk

    -- the person's language (their latest choice); written and committed synchronously
    -- at the CALL's end, which therefore returns once the WAL up to here is on disk
    IF registration_id_ IS NOT NULL THEN
        UPDATE participant SET language = language_ WHERE id = person_;
    END IF;
END
$procedure$
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PROCEDURE)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP PROCEDURE IF EXISTS praxis_register")
