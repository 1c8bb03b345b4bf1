"""The printable documents of a workshop: sign-in sheet and name badges (PDF bytes).

Reads the confirmed participants, sorted by name, and hands plain rows to the
renderers in ``events.pdf``. Raises ``NotFound`` for an unknown workshop and
``InvalidInput`` for an unknown badge layout.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from events import formatting
from events.extensions import db
from events.models import Participant, Registration, RegistrationStatus, Workshop
from events.pdf import badges as badge_pdf
from events.pdf import sign_in
from events.services.attendance import fold
from events.services.errors import InvalidInput, NotFound

LAYOUTS = badge_pdf.LAYOUTS
DEFAULT_LAYOUT = badge_pdf.DEFAULT_LAYOUT


def place_text(workshop: Workshop) -> str:
    """Where, in one line: "Rathaus, Marktplatz 1, 50667 Köln" or "Online"."""
    if workshop.venue_name:
        return ", ".join(part for part in (workshop.venue_name, workshop.venue_address) if part)
    return "Online"


def _workshop(workshop_id: int) -> Workshop:
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        raise NotFound()
    return workshop


def confirmed_people(workshop_id: int) -> list[Participant]:
    """The confirmed participants of the workshop, by name (accents and case ignored)."""
    people = db.session.scalars(
        select(Participant).join(Registration)
        .where(Registration.workshop_id == workshop_id,
               Registration.status == RegistrationStatus.confirmed)).all()
    return sorted(people, key=lambda p: (fold(p.name), p.id))


def sign_in_sheet(workshop_id: int) -> tuple[Workshop, bytes]:
    """The workshop and its "Teilnehmerliste zum Unterschreiben"."""
    workshop = _workshop(workshop_id)
    sheet = sign_in.Sheet(
        workshop_title=workshop.title,
        when=formatting.format_range(workshop.starts_at, workshop.ends_at),
        place=place_text(workshop),
        rows=[(p.name, p.municipality) for p in confirmed_people(workshop_id)])
    return workshop, sign_in.render(sheet)


def badges(workshop_id: int, layout: str = DEFAULT_LAYOUT) -> tuple[Workshop, bytes]:
    """The workshop and one name badge per confirmed participant on ``layout`` sheets."""
    chosen = LAYOUTS.get(layout)
    if chosen is None:
        raise InvalidInput({"format": _l("Bitte wählen Sie eines der angebotenen Formate.")})
    workshop = _workshop(workshop_id)
    rows = [badge_pdf.Badge(p.name, p.municipality, workshop.title)
            for p in confirmed_people(workshop_id)]
    return workshop, badge_pdf.render(rows, chosen, title=f"Namensschilder: {workshop.title}")
