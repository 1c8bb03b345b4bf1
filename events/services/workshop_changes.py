"""What changed in a workshop, as lines for the people registered and for the organisers.

``workshops.change_details`` records each change as data (``Change``); the lines are
written where they are read: in each person's language inside their mail
(``notify.workshop_changed``), in the default language for the organisers' summary. The
values the organisers typed (title, place, address, link) stay as written; times are
formatted in the language of the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from events import formatting


@dataclass(frozen=True)
class Change:
    """``field`` is ``time`` (values are (start, end) pairs), ``title``, ``venue_name``,
    ``venue_address`` or ``online_url`` (values are texts; "" when empty)."""

    field: str
    new: str | tuple[datetime, datetime]
    old: str | tuple[datetime, datetime] = ""


def _labels() -> dict[str, str]:
    return {"title": _("Titel"), "venue_name": _("Ort"), "venue_address": _("Adresse")}


def line(change: Change) -> str:
    """``Zeit: Mi., 3. März 2027, 13:00–19:00 Uhr (bisher …)``, ``Ort: … (bisher …)``."""
    if change.field == "time":
        return _("Zeit: %(new)s (bisher %(old)s)", new=formatting.format_range(*change.new),
                 old=formatting.format_range(*change.old))
    if change.field == "online_url":
        return _("Zugangslink zum Online-Workshop: %(url)s", url=change.new or _("entfällt"))
    return _("%(label)s: %(new)s (bisher %(old)s)", label=_labels()[change.field],
             new=change.new or "–", old=change.old or "–")


def lines(changes: list[Change]) -> list[str]:
    return [line(change) for change in changes]
