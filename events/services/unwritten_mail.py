"""The mails the registration rush's path reserved (``seat_pipeline``), written by the worker.

That path makes each registration's outbox row in the seat's own transaction, as
``unwritten``: recipient, kind and language are there, the text is not. Rendering it in
the request cost more than the seat decision itself; here, at the start of each worker
round, it is done for up to ``BATCH`` rows at a time with three queries in all, and the
same round sends them.

A row is written from the registration as it is now, in the registration's language.
Should the registration have moved on in between (cancelled, promoted from the waiting
list, its reservation expired: each of those has its own mail), or be gone, the row is
``dropped`` with the reason, never sent: a "please confirm" for a cancelled place would
only confuse. Several workers never write the same row (``SKIP LOCKED``).
"""

from __future__ import annotations

import logging
from functools import partial

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from events.extensions import db
from events.mail.outbox import write_into
from events.models import OutboxMessage, OutboxStatus, Registration, RegistrationStatus
from events.services import notify, seats

log = logging.getLogger(__name__)

#: Rows written per query; a round writes them all.
BATCH = 500

S = RegistrationStatus

#: Each reserved kind: the states in which it still says what is true, and its message
#: (``notify``'s, written into the row: ``into``).
_KINDS = {
    "confirm_request": ({S.pending},
                        lambda registration, _place, into:
                        notify.confirm_request(registration, into=into)),
    "waitlisted": ({S.waitlisted}, notify.waitlisted),
    "link_again": ({S.pending, S.confirmed, S.waitlisted}, notify.link_again),
}


def write_unwritten() -> int:
    """Write every ``unwritten`` row and return how many were written or dropped. Each
    batch is committed here (its rows are locked only while written, and the worker's
    next steps begin their own transactions); call it with no pending changes."""
    done = 0
    while batch := _write_batch():
        db.session.commit()
        done += batch
    db.session.commit()  # the last, empty look ends its read transaction
    return done


def _write_batch() -> int:
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.unwritten)
        .order_by(OutboxMessage.id).limit(BATCH).with_for_update(skip_locked=True)).all()
    if not messages:
        return 0
    ids = {message.registration_id for message in messages} - {None}
    registrations = {registration.id: registration for registration in db.session.scalars(
        select(Registration).where(Registration.id.in_(ids))
        .options(joinedload(Registration.workshop), joinedload(Registration.participant)))}
    places = seats.waitlist_positions(
        [r for r in registrations.values() if r.status == S.waitlisted])
    for message in messages:
        registration = registrations.get(message.registration_id)
        reason = _dropped_because(message, registration)
        if reason:
            message.status, message.last_error = OutboxStatus.dropped, reason
            log.info("outbox message %s dropped: %s", message.id, reason)
            continue
        try:
            _write(message, registration, places.get(registration.id))
        except SQLAlchemyError:
            raise  # the database (gone, restarting): the round fails, the rows stay unwritten
        except Exception as error:  # noqa: BLE001 - one bad row must not stop every mail
            log.exception("outbox message %s could not be written", message.id)
            message.status = OutboxStatus.dropped
            message.last_error = f"nicht schreibbar: {type(error).__name__}: {error}"
    db.session.flush()
    return len(messages)


def _write(message: OutboxMessage, registration: Registration, place: int | None) -> None:
    _states, written = _KINDS[message.kind]
    written(registration, place, into=partial(write_into, message.id))


def _dropped_because(message: OutboxMessage, registration: Registration | None) -> str:
    """Why the row is not written (empty: it is)."""
    if registration is None:
        return "Anmeldung gelöscht, bevor die Nachricht geschrieben war"
    if message.kind not in _KINDS:
        return f"unbekannte Art {message.kind!r}"
    if registration.status not in _KINDS[message.kind][0]:
        return (f"überholt: die Anmeldung ist inzwischen {registration.status.value} "
                "(dazu ging eine eigene Nachricht)")
    return ""
