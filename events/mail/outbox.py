"""Queue an e-mail as an outbox row in the caller's transaction (no commit here)."""

from __future__ import annotations

import secrets

from sqlalchemy import update

from events import locales
from events.extensions import db
from events.models import OutboxMessage, OutboxStatus, utcnow
from events.urls import stable_host


def message_domain() -> str:
    return stable_host()


def new_message_id() -> str:
    """``<128 random bits in hex@host of BASE_URL>`` (never the request's host), fixed when
    the message is queued.

    Short on purpose: a Message-ID line longer than 78 characters gets folded,
    and some readers (Python's own parser among them) then keep the fold's space.
    """
    return f"<{secrets.token_hex(16)}@{message_domain()}>"


def enqueue(*, kind: str, recipient: str, subject: str, body_text: str, body_html: str = "",
            registration_id: int | None = None, ical: str | None = None,
            ical_method: str | None = None, language: str | None = None) -> OutboxMessage:
    """Add the message to the session; it is sent once the caller's transaction commits.

    ``language``: what it is written in; by default the current one, which is the
    recipient's inside ``locales.in_language`` (where every message is rendered).
    """
    message = OutboxMessage(
        message_id=new_message_id(),
        kind=kind,
        registration_id=registration_id,
        recipient=recipient,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        ical=ical,
        ical_method=ical_method,
        language=locales.known(language) if language else locales.current(),
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    return message


def write_into(message_id: int, *, subject: str, body_text: str, body_html: str,
               language: str) -> None:
    """Write a message into its reserved, still ``unwritten`` outbox row and queue it (in the
    caller's transaction). The row was added with the change it is about, in the same
    transaction (``services.seat_pipeline``), so the mail can never be lost; it holds the
    recipient and kind, and the text is missing (``services.unwritten_mail`` writes it).
    ``language`` is the one the text was written in: the registration's when it is written,
    which a repeat in between may have changed from the one reserved (the header must say
    what the text is). A row written already is left alone."""
    table = OutboxMessage.__table__  # a plain UPDATE: no ORM bookkeeping per row
    db.session.execute(
        update(table)
        .where(table.c.id == message_id, table.c.status == OutboxStatus.unwritten)
        .values(subject=subject, body_text=body_text, body_html=body_html,
                language=locales.known(language), status=OutboxStatus.queued,
                next_attempt_at=utcnow()))
