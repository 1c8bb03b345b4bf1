"""The language a person's mails are written in, chosen on the personal page.

Registering takes the page's language (``seats.register``); here the person changes it
for one registration without registering again. No seat changes, so no programme lock:
the row is only written. The person's "last choice" (``Participant.language``, used when
the organisers add them by hand) follows too.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from events.extensions import db
from events.locales import LANGUAGES
from events.models import Registration
from events.services.errors import InvalidInput, NotFound


def choose(registration_id: int, language: str) -> Registration:
    """Write every further mail about this registration in ``language`` (``de``, ``en``).

    Raises ``InvalidInput`` for another code and ``NotFound`` for an unknown id.
    """
    if language not in LANGUAGES:
        raise InvalidInput({"language": _l("Bitte wählen Sie Deutsch oder Englisch.")})
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise NotFound()
    registration.language = registration.participant.language = language
    db.session.flush()
    return registration
