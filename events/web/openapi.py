"""The OpenAPI 3.1 description of the JSON API.

``tests/test_openapi.py`` validates it and checks every documented answer of a
real request against its schema, so the document and the code cannot drift.
Answers are described exactly (``additionalProperties: false``): a field the
code adds must be documented here first.
"""

from __future__ import annotations

from events.web import openapi_contributions as contributions
from events.web import openapi_contributions_submit as contribution_submit
from events.web import openapi_organiser as organiser
from events.web.openapi_parts import (
    DATETIME,
    NULLABLE_STRING,
    RETRY_AFTER,
    TEXT,
    _error,
    _json,
    _ref,
    unavailable,
)

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "description": "Stable, for programs",
                         "examples": ["invalid_input"]},
                "message": {"type": "string", "description": "German, for people"},
                "fields": {"type": "object", "minProperties": 1,
                           "additionalProperties": {"type": "string"},
                           "description": "Field name → German message (422 only)"},
            },
        }},
    },
    "Theme": {
        "type": "object", "required": ["slug", "name"], "additionalProperties": False,
        "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
    },
    "Venue": {
        "type": "object", "required": ["name", "address", "online"],
        "additionalProperties": False,
        "properties": {"name": NULLABLE_STRING, "address": NULLABLE_STRING,
                       "online": {"type": "boolean",
                                  "description": "Online workshop; the link goes only to "
                                                 "confirmed participants, by e-mail"}},
    },
    "Workshop": {
        "type": "object",
        "required": ["id", "slug", "title", "description", "theme", "starts_at", "ends_at",
                     "venue", "capacity", "seats_left", "waitlist_length", "registration_open",
                     "registration_state", "registration_opens_at", "registration_closes_at",
                     "status", "url"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "theme": _ref("Theme"),
            "starts_at": DATETIME,
            "ends_at": DATETIME,
            "venue": _ref("Venue"),
            "capacity": {"type": "integer", "minimum": 0},
            "seats_left": {"type": "integer", "minimum": 0,
                           "description": "Capacity minus pending and confirmed seats"},
            "waitlist_length": {"type": "integer", "minimum": 0},
            "registration_open": {"type": "boolean",
                                  "description": "True also when full: new people then join "
                                                 "the waiting list"},
            "registration_state": {"enum": ["open", "not_yet_open", "closed", "past",
                                            "cancelled"]},
            "registration_opens_at": {**DATETIME, "type": ["string", "null"]},
            "registration_closes_at": DATETIME,
            "status": {"enum": ["published", "cancelled"]},
            "url": {"type": "string", "format": "uri"},
        },
    },
    "WorkshopList": {
        "type": "object", "required": ["workshops"], "additionalProperties": False,
        "properties": {"workshops": {"type": "array", "items": _ref("Workshop")}},
    },
    "Programme": {
        "type": "object", "required": ["name", "capacity", "participants", "places_left"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "capacity": {"type": "integer", "minimum": 0},
            "participants": {"type": "integer", "minimum": 0,
                             "description": "Distinct people (by e-mail) holding a seat"},
            "places_left": {"type": "integer", "minimum": 0},
        },
    },
    "RegistrationRequest": {
        "type": "object",
        "required": ["name", "email", "municipality", "consent"],
        "additionalProperties": False,
        "properties": {
            "name": {**TEXT, "maxLength": 200},
            "email": {"type": "string", "format": "email", "maxLength": 254,
                      "pattern": r"^\s*[^@\s]+@[^@\s]+\s*$"},
            "municipality": {**TEXT, "maxLength": 200, "description": "Kommune or Landkreis"},
            "role": {"type": ["string", "null"], "maxLength": 200,
                     "description": "Department or role"},
            "consent": {"const": True, "description": "Consent to the processing; must be true"},
            "remarks": {"type": ["string", "null"], "maxLength": 2000},
            "accessibility_needs": {"type": ["string", "null"], "maxLength": 2000,
                                    "description": "Health data (Art. 9 DSGVO): stored only "
                                                   "with accessibility_consent"},
            "accessibility_consent": {"type": "boolean"},
        },
        "dependentSchemas": {"accessibility_needs": {
            "if": {"properties": {"accessibility_needs": TEXT}},
            "then": {"required": ["accessibility_consent"],
                     "properties": {"accessibility_consent": {"const": True}}},
        }},
    },
    "RegistrationStatus": {
        "type": "object",
        "required": ["status", "waitlist_position", "created", "message"],
        "additionalProperties": False,
        "properties": {
            "status": {"enum": ["pending", "confirmed", "waitlisted"]},
            "waitlist_position": {"type": ["integer", "null"], "minimum": 1,
                                  "description": "Place on the waiting list; null otherwise"},
            "created": {"type": "boolean"},
            "message": {"type": "string", "description": "German, for people"},
            "confirm_by": {**DATETIME, "description": "Deadline of a pending reservation"},
        },
        "allOf": [
            {"if": {"properties": {"status": {"const": "waitlisted"}}},
             "then": {"properties": {"waitlist_position": {"type": "integer"}}},
             "else": {"properties": {"waitlist_position": {"type": "null"}}}},
            {"if": {"properties": {"status": {"const": "pending"}}},
             "then": {"required": ["confirm_by"]},
             "else": {"not": {"required": ["confirm_by"]}}},
        ],
    },
    "Health": {
        "type": "object", "required": ["status", "database"], "additionalProperties": False,
        "properties": {"status": {"enum": ["ok", "error"]},
                       "database": {"enum": ["ok", "unreachable"]}},
    },
}

WORKSHOP_ID = {"name": "workshop_id", "in": "path", "required": True,
               "schema": {"type": "integer"}}

NEW = {"allOf": [_ref("RegistrationStatus"), {
    "properties": {"status": {"enum": ["pending", "waitlisted"]}, "created": {"const": True}},
}]}
REPEATED = {"allOf": [_ref("RegistrationStatus"), {
    "properties": {"created": {"const": False}},
}]}


def merge_paths(*groups: dict) -> dict:
    """Path items of several modules; one path may get its methods from more than one."""
    merged: dict = {}
    for paths in groups:
        for path, operations in paths.items():
            merged.setdefault(path, {}).update(operations)
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
        "paths": {
            "/api/v1/workshops": {"get": {
                "operationId": "listWorkshops",
                "summary": "Published and cancelled workshops with availability, "
                           "earliest first",
                "parameters": [{"name": "theme", "in": "query", "required": False,
                                "description": "Only workshops of the theme with this slug",
                                "schema": {"type": "string"}}],
                "responses": {"200": _json("The workshops, earliest first",
                                           _ref("WorkshopList")),
                              "503": unavailable()},
            }},
            "/api/v1/workshops/{workshop_id}": {"get": {
                "operationId": "getWorkshop",
                "summary": "One published or cancelled workshop",
                "parameters": [WORKSHOP_ID],
                "responses": {"200": _json("The workshop", _ref("Workshop")),
                              "404": _error("Unknown or not published", "not_found"),
                              "503": unavailable()},
            }},
            "/api/v1/programme": {"get": {
                "operationId": "getProgramme",
                "summary": "The programme's cap and how many distinct people hold a seat",
                "responses": {"200": _json("Cap and distinct participants", _ref("Programme")),
                              "404": _error("No programme yet", "not_found"),
                              "503": unavailable()},
            }},
            "/api/v1/workshops/{workshop_id}/registrations": {"post": {
                "operationId": "register",
                "summary": "Reserve a seat (pending, confirm by e-mail) or join the waiting list",
                "description": "Rate-limited per client address (RATELIMIT_REGISTRATION).",
                "parameters": [WORKSHOP_ID],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": _ref("RegistrationRequest")}}},
                "responses": {
                    "201": _json("New registration: pending (an e-mail asks to confirm) or "
                                 "waitlisted", NEW),
                    "200": _json("Already registered: the current status; the personal "
                                 "link was mailed again (at most every few minutes)", REPEATED),
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
                "responses": {"200": _json("The database answers", _ref("Health")),
                              "503": _json("The database does not answer", _ref("Health"))},
            }},
            **organiser.PATHS,
            **merge_paths(contribution_submit.PATHS, contributions.PATHS),
        },
        "components": {"schemas": {**SCHEMAS, **organiser.SCHEMAS,
                                   **contribution_submit.SCHEMAS, **contributions.SCHEMAS},
                       "securitySchemes": organiser.SECURITY_SCHEMES},
    }
