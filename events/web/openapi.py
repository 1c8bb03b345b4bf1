"""The OpenAPI 3.1 description of the JSON API, generated from the pydantic models that
validate the requests and build the answers (``api_schemas``, ``organiser.api_schemas``,
``api_contributions*``), so the document and the code cannot drift apart.

``tests/test_openapi.py`` validates it and checks every documented answer of a
real request against its schema. Answers are described exactly
(``additionalProperties: false``): a field the code adds must be in its model first.
"""

from __future__ import annotations

from events.web import openapi_contributions as contributions
from events.web import openapi_contributions_submit as contribution_submit
from events.web import openapi_organiser as organiser
from events.web.api_models import Error
from events.web.api_schemas import (
    Health,
    Programme,
    RegistrationAccepted,
    RegistrationRequest,
    Workshop,
    WorkshopList,
)
from events.web.openapi_parts import (
    ACCEPT_LANGUAGE,
    RETRY_AFTER,
    _error,
    _json,
    components,
    merge_components,
    ref,
    unavailable,
)

SCHEMAS = merge_components(
    components(Error, WorkshopList, Programme, RegistrationAccepted, Health),
    components(RegistrationRequest, mode="validation"))

WORKSHOP_ID = {"name": "workshop_id", "in": "path", "required": True,
               "schema": {"type": "integer"}}

PATHS = {
    "/api/v1/workshops": {"get": {
        "operationId": "listWorkshops",
        "summary": "Published and cancelled workshops with availability, earliest first",
        "parameters": [{"name": "theme", "in": "query", "required": False,
                        "description": "Only workshops of the theme with this slug",
                        "schema": {"type": "string"}}],
        "responses": {"200": _json("The workshops, earliest first", ref(WorkshopList)),
                      "422": _error("A query parameter holds control characters (refused "
                                    "at the edge); fields names it", "invalid_input",
                                    fields=True),
                      "503": unavailable()},
    }},
    "/api/v1/workshops/{workshop_id}": {"get": {
        "operationId": "getWorkshop",
        "summary": "One published or cancelled workshop",
        "parameters": [WORKSHOP_ID],
        "responses": {"200": _json("The workshop", ref(Workshop)),
                      "404": _error("Unknown or not published", "not_found"),
                      "503": unavailable()},
    }},
    "/api/v1/programme": {"get": {
        "operationId": "getProgramme",
        "summary": "The programme's cap and how many distinct people hold a seat",
        "responses": {"200": _json("Cap and distinct participants", ref(Programme)),
                      "404": _error("No programme yet", "not_found"),
                      "503": unavailable()},
    }},
    "/api/v1/workshops/{workshop_id}/registrations": {"post": {
        "operationId": "register",
        "summary": "Reserve a seat (pending, confirm by e-mail) or join the waiting list",
        "description": "Rate-limited per client address (RATELIMIT_REGISTRATION). The "
                       "answer never tells whether the e-mail address was already "
                       "registered.",
        "parameters": [WORKSHOP_ID, ACCEPT_LANGUAGE],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": ref(RegistrationRequest)}}},
        "responses": {
            "202": _json("Accepted, always with this same body: new, pending, "
                         "confirmed or waitlisted alike (no enumeration). The status "
                         "and the personal link go only to the address, by e-mail "
                         "(a repeated request mails the link at most every "
                         "LINK_RESEND_MINUTES)", ref(RegistrationAccepted)),
            "400": _error("The body is not valid JSON", "invalid_json"),
            "404": _error("Unknown or unpublished workshop", "not_found"),
            "409": _error("Registration is not open (cancelled, not yet open, "
                          "closed or past)", "registration_closed"),
            "415": _error("The body is not JSON", "unsupported_media_type"),
            "422": _error("Invalid fields, one German message each", "invalid_input",
                          fields=True),
            "429": _error("Too many registrations from this address", "rate_limited",
                          headers=RETRY_AFTER),
            "503": unavailable(),
        },
    }},
    "/api/openapi.json": {"get": {
        "operationId": "openapi",
        "summary": "This document",
        "responses": {"200": {"description": "The OpenAPI 3.1 document",
                              "content": {"application/json": {
                                  "schema": {"type": "object",
                                             "required": ["openapi", "paths"]}}}}},
    }},
    "/healthz": {"get": {
        "operationId": "health",
        "summary": "Liveness with a database round trip",
        "responses": {"200": _json("The database answers", ref(Health)),
                      "503": _json("The database does not answer", ref(Health))},
    }},
}


#: Every operation with a body may answer 413 (``MAX_CONTENT_LENGTH``, checked before the
#: view runs); the fuzzer found it undocumented on the contribution submission.
TOO_LARGE = _error("The body is larger than the server accepts (MAX_CONTENT_LENGTH)",
                   "payload_too_large")


def merge_paths(*groups: dict) -> dict:
    """Path items of several modules; one path may get its methods from more than one.
    Operations that take a body get the 413 answer (copies: the modules' dicts stay)."""
    merged: dict = {}
    for paths in groups:
        for path, operations in paths.items():
            for method, operation in operations.items():
                if "requestBody" in operation and "413" not in operation["responses"]:
                    operation = {**operation, "responses": dict(
                        sorted({**operation["responses"], "413": TOO_LARGE}.items()))}
                merged.setdefault(path, {})[method] = operation
    return merged


def openapi_document(base_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Praxisaustausch API",
            "version": "1.0.0",
            "description": "Workshops of the programme, their availability, and registration; "
                           "for organisers (with a bearer token) the registration lists. "
                           "Messages for people are German. The personal link of a "
                           "registration is only ever sent by e-mail. Every error is "
                           "`{\"error\": {\"code\", \"message\", \"fields\"?}}`.",
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "servers": [{"url": base_url}],
        "paths": merge_paths(PATHS, organiser.PATHS, contribution_submit.PATHS,
                             contributions.PATHS),
        "components": {"schemas": merge_components(SCHEMAS, organiser.SCHEMAS,
                                                    contribution_submit.SCHEMAS,
                                                    contributions.SCHEMAS),
                       "securitySchemes": organiser.SECURITY_SCHEMES},
    }
