"""Personal links: HMAC under SECRET_KEY of the registration id and its salt.

A database dump alone yields no working link (the key is not in it); links in
earlier e-mails keep working as long as the salt stays; ``revoke`` sets a new
salt. 192 bits of MAC, compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app

from events.extensions import db
from events.models import Registration
from events.services.errors import InvalidLink
from events.urls import base_url

MAC_BYTES = 24


def new_salt() -> str:
    return secrets.token_hex(16)


def _mac(purpose: str, registration_id: int, salt: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{purpose}:{registration_id}:{salt}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:MAC_BYTES]).decode().rstrip("=")


def token_for(registration: Registration, purpose: str = "manage") -> str:
    """The token of the registration's personal link: ``<id>.<mac>``."""
    return f"{registration.id}.{_mac(purpose, registration.id, registration.token_salt)}"


def registration_for(token: str, purpose: str = "manage") -> Registration:
    """Return the registration the token belongs to; raise ``InvalidLink`` otherwise."""
    reg_id, _, mac = (token or "").partition(".")
    if not reg_id.isdigit() or not mac or len(reg_id) > 18:
        raise InvalidLink()
    registration = db.session.get(Registration, int(reg_id))
    if registration is None:
        # spend the same time as a real comparison
        hmac.compare_digest(mac, _mac(purpose, 0, "x"))
        raise InvalidLink()
    expected = _mac(purpose, registration.id, registration.token_salt)
    if not hmac.compare_digest(mac.encode(), expected.encode()):
        raise InvalidLink()
    return registration


def revoke(registration: Registration) -> None:
    """Give the registration a new salt: every earlier link stops working."""
    registration.token_salt = new_salt()


def manage_url(registration: Registration) -> str:
    """The absolute personal link, for e-mails (``events.urls.base_url(mail=True)``)."""
    return f"{base_url(mail=True)}/anmeldung/{token_for(registration)}"
