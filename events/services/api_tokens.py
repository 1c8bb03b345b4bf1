"""Bearer tokens for the organiser API: shown once, stored as SHA-256, revocable.

A token is ``pxa_`` and 43 characters of 256 random bits; only its hash and its
first characters (to recognise it in the list) are stored. It acts with its
owner's role and stops working when revoked or when the owner is deactivated.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from events.extensions import db
from events.models import ApiToken, Organiser, utcnow
from events.services import audit, text
from events.services.errors import InvalidInput, NotFound

PREFIX = "pxa_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create(owner: Organiser, name: str) -> tuple[ApiToken, str]:
    """A new token for ``owner``: the row and the token in clear (show it once)."""
    name = text.line(name)  # one line, no control characters (PostgreSQL refuses NUL)
    if not name:
        raise InvalidInput({"name": str(_l("Bitte geben Sie dem Token einen Namen."))})
    if len(name) > 120:
        raise InvalidInput({"name": str(_l("Bitte höchstens %(n)d Zeichen.", n=120))})
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(organiser=owner, name=name, prefix=secret[:10], token_hash=_hash(secret))
    db.session.add(token)
    db.session.flush()
    audit.record(owner, "api_token.create", "api_token", token.id,
                 f"API-Token „{name}“ ({token.prefix}…) angelegt")
    return token, secret


def revoke(token_id: int, actor: Organiser) -> ApiToken:
    """Revoke one of the actor's tokens (an admin may revoke anyone's)."""
    token = db.session.get(ApiToken, token_id) if 0 < token_id < 2**63 else None
    if token is None or (token.organiser_id != actor.id and not actor.is_admin):
        raise NotFound(_l("Diesen Token gibt es nicht."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(actor, "api_token.revoke", "api_token", token.id,
                     f"API-Token „{token.name}“ ({token.prefix}…) widerrufen")
    return token


def owner_for(secret: str, now: datetime | None = None) -> Organiser | None:
    """The active owner of an active token, or None. Notes when it was last used."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(secret)))
    if token is None or not token.is_active:
        return None
    token.last_used_at = now or utcnow()
    return token.organiser


def tokens_of(owner: Organiser) -> list[ApiToken]:
    """The owner's tokens, newest first (revoked ones too: the list is their history)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.organiser_id == owner.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def visible_to(viewer: Organiser) -> list[ApiToken]:
    """What the token page lists: an admin sees everyone's tokens, others their own."""
    if not viewer.is_admin:
        return tokens_of(viewer)
    return list(db.session.scalars(
        select(ApiToken).options(selectinload(ApiToken.organiser))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))
