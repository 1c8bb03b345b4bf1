"""Forms of the check-in (``organiser.checkin``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField

from events.web.forms import ErrorsMixin

#: Longest search text we keep (a name plus a municipality is far shorter).
MAX_QUERY = 100


class CheckInForm(ErrorsMixin, FlaskForm):
    """The "Da" / "Rückgängig" button of one person: the CSRF token and the search to
    return to (so the list stays filtered after the tap)."""

    q = HiddenField()

    @property
    def query(self) -> str:
        return (self.q.data or "").strip()[:MAX_QUERY]
