"""A workshop's status from the back office: publish, unpublish, cancel — each audited.

Thin wrappers over ``services.workshops`` (which locks and decides) that add the
audit entry in the same transaction and the back office's own refusals (a draft
whose start has passed; a cancellation without a reason). The caller commits.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from events.extensions import db
from events.models import Organiser, Workshop, WorkshopStatus, utcnow
from events.services import audit, text, workshops
from events.services.errors import InvalidInput, NotFound, StateConflict


def _status(workshop_id: int) -> WorkshopStatus:
    status = db.session.scalar(select(Workshop.status).where(Workshop.id == workshop_id))
    if status is None:
        raise NotFound()
    return status


def publish(actor: Organiser | None, workshop_id: int, now: datetime | None = None
            ) -> Workshop:
    """Publish (``services.workshops.publish``). Raises ``StateConflict`` for a cancelled
    workshop or a draft whose start has passed."""
    before = _status(workshop_id)
    workshop = workshops.publish(workshop_id)
    if before == workshop.status:
        return workshop
    if workshop.starts_at <= (now or utcnow()):
        raise StateConflict(_("Der Beginn liegt in der Vergangenheit; bitte ändern Sie "
                              "zuerst den Termin."))
    audit.record(actor, "workshop.publish", "workshop", workshop.id,
                 f"Workshop „{workshop.title}“ veröffentlicht",
                 before={"status": before}, after={"status": workshop.status})
    return workshop


def unpublish(actor: Organiser | None, workshop_id: int) -> Workshop:
    """Back to draft; refused (``StateConflict``) while anyone is registered."""
    before = _status(workshop_id)
    workshop = workshops.unpublish(workshop_id)
    if before != workshop.status:
        audit.record(actor, "workshop.unpublish", "workshop", workshop.id,
                     f"Workshop „{workshop.title}“ zurückgezogen (wieder Entwurf)",
                     before={"status": before}, after={"status": workshop.status})
    return workshop


def cancel(actor: Organiser | None, workshop_id: int, reason: str,
           now: datetime | None = None) -> int:
    """Cancel with a required reason that goes to everyone registered; returns how many
    registrations ended. Raises ``InvalidInput`` (reason), ``StateConflict``, ``NotFound``."""
    reason = text.text(reason)
    if not reason:
        raise InvalidInput({"reason": _("Bitte geben Sie einen Grund an; er steht in der "
                                        "E-Mail an alle Angemeldeten.")})
    if len(reason) > 2000:
        raise InvalidInput({"reason": _("Bitte höchstens %(num)d Zeichen.", num=2000)})
    before = _status(workshop_id)
    affected = workshops.cancel_workshop(workshop_id, reason, now=now)
    workshop = db.session.get(Workshop, workshop_id)
    audit.record(actor, "workshop.cancel", "workshop", workshop_id,
                 f"Workshop „{workshop.title}“ abgesagt; {len(affected)} Anmeldung(en) "
                 f"informiert", before={"status": before},
                 after={"status": workshop.status, "cancel_reason": reason})
    return len(affected)
