"""The organiser back office under ``/organiser``: one parent blueprint, one gate.

Every page group is a child blueprint of ``organiser`` (so its endpoints read
``organiser.workshops.edit``); the gate in ``access`` runs before each of them.
Views here are HTTP only and call ``events.services``; the templates live in
``templates/organiser/``.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("organiser", __name__, url_prefix="/organiser")


def _assemble() -> None:
    """Attach the gate and every page group to ``bp`` (once per process)."""
    from events.web.organiser import (
        access,
        accounts,
        attendee_actions,
        attendees,
        audit_log,
        auth,
        checkin,
        dashboard,
        documents,
        messages,
        programme,
        workshops,
    )

    bp.before_request(access.gate)
    bp.after_request(access.private)
    # ``attendee_actions`` adds its routes to ``attendees.bp``; importing it is enough
    del attendee_actions
    for child in (auth.bp, dashboard.bp, workshops.bp, attendees.bp, checkin.bp, messages.bp,
                  documents.bp, audit_log.bp, accounts.bp, programme.bp):
        bp.register_blueprint(child)
    from events.web.organiser import contributions  # moderation of the practice exchange
    bp.register_blueprint(contributions.bp)
    from events.web.organiser import contribution_exports  # published examples, CSV/XLSX
    bp.register_blueprint(contribution_exports.bp)
    from events.web.organiser import second_factor  # TOTP: own account, login step, admin
    bp.register_blueprint(second_factor.bp)


_assemble()


def register(app: Flask) -> None:
    """The login manager and template helpers for ``app``, then the blueprint."""
    from events.web.organiser import access, api

    access.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(api.bp)  # bearer tokens, not the session: its own gate
