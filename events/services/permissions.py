"""Who may do what in the back office: the one place that decides.

Views never test roles themselves. Each organiser blueprint (and each API
route) names the permission it needs; the gate asks ``allowed``.
"""

from __future__ import annotations

from events.models import Organiser, Role

#: Permission → roles that have it.
PERMISSIONS: dict[str, frozenset[Role]] = {
    # workshops, themes, attendees, check-in, exports, messages, figures, contributions
    "organise": frozenset({Role.admin, Role.organiser}),
    # the audit log is read by both; nobody edits it
    "read_audit": frozenset({Role.admin, Role.organiser}),
    # accounts and the programme's settings (cap, default window, contact)
    "manage_accounts": frozenset({Role.admin}),
    "manage_programme": frozenset({Role.admin}),
    # seat beyond a workshop's capacity (with a reason)
    "exceed_capacity": frozenset({Role.admin}),
}


def allowed(organiser: Organiser | None, permission: str) -> bool:
    """True when the (active) organiser's role carries ``permission``.

    Raises ``KeyError`` for an unknown permission: a typo must not open a door.
    """
    roles = PERMISSIONS[permission]
    return organiser is not None and organiser.active and organiser.role in roles
