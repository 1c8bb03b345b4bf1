"""The organiser API under ``/api/v1/organiser``: JSON only, bearer tokens, no session.

Every request carries ``Authorization: Bearer pxa_…`` (an API token made on the
"API-Tokens" page). Without one, or with an unknown or revoked token, or when
its owner is deactivated, the answer is 401 with ``WWW-Authenticate: Bearer``.
The token acts with its owner's role: each route names the permission it needs
in ``ROUTE_PERMISSIONS`` (asked of ``services.permissions``), 403 ``forbidden``
when the role lacks it. No cookie gives authority here, so CSRF does not apply.
Every error is ``{"error": {"code", "message", "fields"?}}``; answers are never
cached (they hold personal data).
"""

from __future__ import annotations

import logging

from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _

from events import formatting
from events.extensions import csrf, db
from events.models import RegistrationStatus
from events.services import accounts as accounts_service
from events.services import api_tokens, catalogue, permissions, registration_queries
from events.services.errors import InvalidInput
from events.services.registration_queries import Row
from events.web.api_common import error_response, json_errors
from events.web.api_models import answer
from events.web.organiser.api_schemas import (
    AccountList,
    IncludeQuery,
    RegistrationPage,
    RegistrationsQuery,
    WorkshopRegistrations,
)

log = logging.getLogger(__name__)
bp = json_errors(Blueprint("organiser_api", __name__, url_prefix="/api/v1/organiser"))
csrf.exempt(bp)

#: Endpoint → permission its caller's role needs. A route missing here is refused (403):
#: a forgotten entry must not open a door.
ROUTE_PERMISSIONS = {
    "organiser_api.workshop_registrations": "organise",
    "organiser_api.registrations": "organise",
    "organiser_api.accounts": "manage_accounts",
}
REALM = 'Bearer realm="Praxisaustausch Organisation-API"'


def bearer_secret() -> str | None:
    """The token of ``Authorization: Bearer <token>``; None when absent or malformed."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or " " in secret:
        return None
    return secret


def _unauthorized(invalid: bool):
    challenge = REALM + (', error="invalid_token"' if invalid else "")
    return error_response(
        401, "unauthorized",
        _("Bitte senden Sie ein gültiges API-Token: Authorization: Bearer pxa_…"),
        headers={"WWW-Authenticate": challenge})


@bp.before_request
def authenticate():
    """The token's owner into ``g.api_organiser``, then the route's permission."""
    secret = bearer_secret()
    owner = api_tokens.owner_for(secret) if secret else None
    if owner is None:
        db.session.rollback()
        return _unauthorized(invalid=secret is not None)
    g.api_organiser = owner
    permission = ROUTE_PERMISSIONS.get(request.endpoint or "")
    if permission is None or not permissions.allowed(owner, permission):
        db.session.commit()  # the token was used (last_used_at)
        return error_response(403, "forbidden",
                              _("Die Rolle des Token-Kontos erlaubt diese Abfrage nicht."))
    return None


@bp.after_request
def never_cached(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _iso(value):
    return formatting.isoformat_local(value) if value is not None else None


def registration_json(row: Row, accessibility: bool) -> dict:
    body = {
        "id": row.id,
        "workshop_id": row.workshop_id,
        "workshop_title": row.workshop_title,
        "name": row.name,
        "email": row.email,
        "municipality": row.municipality,
        "role": row.role,
        "status": row.status.value,
        "registered_at": _iso(row.registered_at),
        "confirmed_at": _iso(row.confirmed_at),
        "waitlist_position": row.waitlist_position,
        "attended_at": _iso(row.attended_at),
        "remarks": row.remarks or "",
        "source": row.source,
    }
    if accessibility:
        body["accessibility_needs"] = row.accessibility_needs or None
    return body


def _include() -> IncludeQuery:
    """``?include=accessibility`` (also in a comma list); any other value is a 422."""
    values = [part for raw in request.args.getlist("include") for part in raw.split(",")
              if part.strip()]
    unknown = [value for value in values if value.strip() != "accessibility"]
    if unknown:
        raise InvalidInput({"include": _("Erlaubt ist nur „accessibility“.")})
    return IncludeQuery(include="accessibility" if values else None)


def _registrations_query() -> RegistrationsQuery:
    """The list's parameters: the service's rules and German messages (422 naming each
    bad one), then the documented model (a drift between the two fails loudly)."""
    include = _include().include
    status, q, page, per_page = registration_queries.parse_filters(
        request.args.get("status"), request.args.get("q"), request.args.get("page"),
        request.args.get("per_page"))
    return RegistrationsQuery(include=include, status=status.value if status else None, q=q,
                              page=page, per_page=per_page)


def _health_data_notice(accessibility: bool) -> dict:
    if not accessibility:
        return {}
    log.info("organiser %s read accessibility needs through the API", g.api_organiser.id)
    return {"health_data": True,
            "health_data_notice": _("Enthält Angaben zum Unterstützungsbedarf: "
                                    "Gesundheitsdaten nach Art. 9 DSGVO. Nur für die "
                                    "Organisation der Teilnahme verwenden, nicht "
                                    "weitergeben.")}


@bp.get("/workshops/<int:workshop_id>/registrations")
def workshop_registrations(workshop_id: int):
    """Every registration of one workshop (drafts too); 404 for an unknown id,
    422 for an unknown ``include``."""
    accessibility = _include().include is not None
    workshop, rows = registration_queries.workshop(workshop_id, accessibility=accessibility)
    body = answer(WorkshopRegistrations, {
        "workshop": {"id": workshop.id, "title": workshop.title,
                     "starts_at": _iso(workshop.starts_at), "ends_at": _iso(workshop.ends_at),
                     "status": workshop.status.value, "capacity": workshop.capacity},
        "registrations": [registration_json(row, accessibility) for row in rows],
        **_health_data_notice(accessibility),
    })
    db.session.commit()  # last_used_at of the token
    return jsonify(body)


@bp.get("/registrations")
def registrations():
    """Registrations across the programme: ``status``, ``q``, ``page``, ``per_page``;
    422 naming each bad parameter."""
    query = _registrations_query()
    accessibility = query.include is not None
    result = registration_queries.programme(
        catalogue.current_programme(), status=query.status and RegistrationStatus(query.status),
        q=query.q, page=query.page, per_page=query.per_page, accessibility=accessibility)
    body = answer(RegistrationPage, {
        "registrations": [registration_json(row, accessibility) for row in result.rows],
        "page": result.page, "per_page": result.per_page, "total": result.total,
        "pages": result.pages,
        **_health_data_notice(accessibility),
    })
    db.session.commit()
    return jsonify(body)


@bp.get("/accounts")
def accounts():
    """The back-office accounts (admins only: ``manage_accounts``)."""
    rows = accounts_service.all_accounts()
    body = answer(AccountList, {"accounts": [{
        "id": organiser.id, "name": organiser.name, "email": organiser.email,
        "role": organiser.role.value, "active": organiser.active,
        "invitation_open": not organiser.password_hash,
        "last_login_at": _iso(organiser.last_login_at),
    } for organiser in rows]})
    db.session.commit()
    return jsonify(body)
