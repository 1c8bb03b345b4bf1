"""The submitter's private link to a contribution: HMAC under SECRET_KEY over id and salt.

Like the personal links of registrations (``services.tokens``): 192 bits of MAC,
compared in constant time; a new ``token_salt`` revokes every earlier link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app
from flask_babel import lazy_gettext as _l

from events.extensions import db
from events.models import Contribution
from events.services.errors import DomainError
from events.urls import base_url

MAC_BYTES = 24  # 192 bits
PURPOSE = "contribution"


class InvalidContributionLink(DomainError):
    status = 404
    code = "invalid_link"
    default_message = _l("Dieser Link ist ungültig, oder das Praxisbeispiel wurde gelöscht "
                         "(unbestätigte Einreichungen löschen wir nach 7 Tagen).")


def _mac(contribution_id: int, salt: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{PURPOSE}:{contribution_id}:{salt}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:MAC_BYTES]).decode().rstrip("=")


def token_for(contribution: Contribution) -> str:
    """``<id>.<mac>``: the token of the submitter's private link."""
    return f"{contribution.id}.{_mac(contribution.id, contribution.token_salt)}"


def private_url(contribution: Contribution) -> str:
    """The absolute private link, for e-mails (``events.urls.base_url(mail=True)``)."""
    return f"{base_url(mail=True)}/praxisbeispiele/link/{token_for(contribution)}"


def by_token(token: str) -> Contribution:
    """The contribution of a private link; ``InvalidContributionLink`` otherwise."""
    raw_id, _, mac = (token or "").partition(".")
    if not raw_id.isdigit() or len(raw_id) > 18 or not mac:
        raise InvalidContributionLink()
    contribution = db.session.get(Contribution, int(raw_id))
    if contribution is None:
        hmac.compare_digest(mac, _mac(0, "x"))  # same time as a real comparison
        raise InvalidContributionLink()
    if not hmac.compare_digest(mac.encode(), _mac(contribution.id, contribution.token_salt)
                               .encode()):
        raise InvalidContributionLink()
    return contribution
