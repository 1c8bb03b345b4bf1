"""JSON API v1 over the same services as the pages, and its OpenAPI document.

Every error is JSON: ``{"error": {"code", "message", "fields"?}}`` (``fields`` maps
a field name to a German message; 422 only). The personal link of a registration
never appears in an answer: it only ever travels by e-mail. The request body and
every answer go through the pydantic models of ``api_schemas``, which are what the
OpenAPI document shows.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from pydantic import ValidationError as SchemaError

from events import formatting, locales
from events.extensions import csrf, limiter
from events.services import catalogue
from events.services.applicants import Applicant, validate
from events.services.catalogue import Availability
from events.services.errors import InvalidInput, NotFound
from events.urls import base_url
from events.web import page_cache
from events.web.api_common import NOT_AN_OBJECT, json_body, json_errors, schema_fields
from events.web.api_models import answer
from events.web.api_schemas import (
    ACCEPTED_MESSAGE,
    Programme,
    RegistrationAccepted,
    RegistrationRequest,
    Workshop,
    WorkshopList,
)
from events.web.common import register_and_commit, registration_limit
from events.web.openapi import openapi_document

bp = json_errors(Blueprint("api", __name__, url_prefix="/api"))
csrf.exempt(bp)  # no cookie-based authority here; the body is JSON, not a form


def workshop_json(item: Availability) -> dict:
    workshop = item.workshop
    return {
        "id": workshop.id,
        "slug": workshop.slug,
        "title": workshop.title,
        "description": workshop.description,
        "theme": {"slug": workshop.theme.slug, "name": workshop.theme.name},
        "starts_at": formatting.isoformat_local(workshop.starts_at),
        "ends_at": formatting.isoformat_local(workshop.ends_at),
        "venue": {
            "name": workshop.venue_name or None,
            "address": workshop.venue_address or None,
            "online": bool(workshop.online_url),
        },
        "capacity": workshop.capacity,
        "seats_left": item.seats_left,
        "waitlist_length": item.waitlist_length,
        "registration_open": item.registration_open,
        "registration_state": item.registration_state,
        "registration_opens_at": formatting.isoformat_local(workshop.registration_opens_at)
        if workshop.registration_opens_at else None,
        "registration_closes_at": formatting.isoformat_local(workshop.registration_deadline),
        "status": workshop.status.value,
        "url": f"{base_url()}/workshops/{workshop.slug}",
    }


@bp.get("/v1/workshops")
@page_cache.cached
def list_workshops():
    items = catalogue.list_workshops(theme_slug=request.args.get("theme") or None)
    return jsonify(answer(WorkshopList, {"workshops": [workshop_json(item) for item in items]}))


@bp.get("/v1/workshops/<int:workshop_id>")
@page_cache.cached
def get_workshop(workshop_id: int):
    """The workshop; 404 for an unknown one and for a draft."""
    item = catalogue.get_workshop(workshop_id)
    if item is None:
        raise NotFound()
    return jsonify(answer(Workshop, workshop_json(item)))


@bp.get("/v1/programme")
@page_cache.cached
def programme():
    figures = catalogue.programme_figures()
    if figures is None:
        raise NotFound("Es ist noch kein Programm angelegt.")
    return jsonify(answer(Programme, {
        "name": figures.programme.name, "capacity": figures.programme.capacity,
        "participants": figures.participants, "places_left": figures.places_left}))


def applicant_from_json(data) -> Applicant:
    """Check the body's shape and content; raise ``InvalidInput`` naming every bad field.

    Types and unknown fields are the model's (``RegistrationRequest``; JSON has types,
    forms do not); the content rules are the service's own ``validate``, asked here
    too, on the fields of a fitting type, so that one answer names every problem at
    once. The service checks again before it writes.
    """
    if not isinstance(data, dict):
        raise InvalidInput({"body": NOT_AN_OBJECT})
    type_errors: dict[str, str] = {}
    try:
        body = RegistrationRequest.model_validate(data)
    except SchemaError as error:
        type_errors = schema_fields(error)
        body = RegistrationRequest.model_validate(
            {name: value for name, value in data.items() if name not in type_errors})
    applicant = body.applicant()
    errors = {**validate(applicant.cleaned()), **type_errors}  # a type error says more
    if errors:
        raise InvalidInput(errors)
    return applicant


@bp.post("/v1/workshops/<int:workshop_id>/registrations")
@limiter.limit(registration_limit)
def register(workshop_id: int):
    """202 with one fixed body, whatever the address's state (no enumeration, issue 13).

    New, pending, confirmed or waitlisted: the answer is the same bytes; the status
    and the personal link go only to the mailbox. 415 for a body that is not JSON,
    400 for malformed JSON, 422 for bad fields, 404 for an unknown or draft workshop,
    409 when registration is not open, 429 when this client sent too many
    (``RATELIMIT_REGISTRATION``): none of these depends on the address.
    """
    data = json_body()
    try:
        applicant = applicant_from_json(data)
    except InvalidInput:
        # the address first, then the body: asked only here, as the service answers
        # NotFound itself for a good body (one query less on the rush's path, issue 15)
        if not catalogue.workshop_is_public(workshop_id):
            raise NotFound() from None
        raise
    applicant.language = locales.current()  # Accept-Language: the language of the mails
    body = answer(RegistrationAccepted, {"status": "accepted", "message": str(ACCEPTED_MESSAGE)})
    register_and_commit(workshop_id, applicant)
    return jsonify(body), 202


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(base_url()))
