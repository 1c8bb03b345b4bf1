"""The OpenAPI 3.1 description of the JSON API (tests validate it and check answers against it)."""

from __future__ import annotations


def _error_response(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(description: str, ref: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


NULLABLE_STRING = {"type": ["string", "null"]}
DATETIME = {"type": "string", "format": "date-time"}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "examples": ["invalid_input"]},
                "message": {"type": "string", "description": "German, for people"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"},
                           "description": "Field name → German message (422 only)"},
            },
        }},
    },
    "Theme": {
        "type": "object", "required": ["slug", "name"],
        "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
    },
    "Venue": {
        "type": "object", "required": ["name", "address", "online"],
        "properties": {"name": NULLABLE_STRING, "address": NULLABLE_STRING,
                       "online": {"type": "boolean"}},
    },
    "Workshop": {
        "type": "object",
        "required": ["id", "slug", "title", "theme", "starts_at", "ends_at", "venue", "capacity",
                     "seats_left", "waitlist_length", "registration_open", "status"],
        "properties": {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "theme": {"$ref": "#/components/schemas/Theme"},
            "starts_at": {**DATETIME, "description": "ISO 8601 with the Berlin offset"},
            "ends_at": DATETIME,
            "venue": {"$ref": "#/components/schemas/Venue"},
            "capacity": {"type": "integer", "minimum": 0},
            "seats_left": {"type": "integer", "minimum": 0},
            "waitlist_length": {"type": "integer", "minimum": 0},
            "registration_open": {"type": "boolean"},
            "registration_state": {"enum": ["open", "not_yet_open", "closed", "past",
                                            "cancelled", "draft"]},
            "registration_opens_at": {"type": ["string", "null"], "format": "date-time"},
            "registration_closes_at": DATETIME,
            "status": {"enum": ["published", "cancelled"]},
            "url": {"type": "string", "format": "uri"},
        },
    },
    "WorkshopList": {
        "type": "object", "required": ["workshops"],
        "properties": {"workshops": {"type": "array",
                                     "items": {"$ref": "#/components/schemas/Workshop"}}},
    },
    "Programme": {
        "type": "object", "required": ["capacity", "participants", "places_left"],
        "properties": {
            "name": {"type": "string"},
            "capacity": {"type": "integer", "minimum": 0},
            "participants": {"type": "integer", "minimum": 0,
                             "description": "Distinct people holding a seat"},
            "places_left": {"type": "integer", "minimum": 0},
        },
    },
    "RegistrationRequest": {
        "type": "object",
        "required": ["name", "email", "municipality", "consent"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "maxLength": 200},
            "email": {"type": "string", "format": "email", "maxLength": 254},
            "municipality": {"type": "string", "maxLength": 200,
                             "description": "Kommune or Landkreis"},
            "role": {"type": "string", "maxLength": 200, "description": "Department or role"},
            "consent": {"type": "boolean", "description": "Must be true"},
            "remarks": {"type": "string", "maxLength": 2000},
            "accessibility_needs": {"type": "string", "maxLength": 2000,
                                    "description": "Health data; only with "
                                                   "accessibility_consent"},
            "accessibility_consent": {"type": "boolean"},
        },
    },
    "RegistrationStatus": {
        "type": "object",
        "required": ["status", "waitlist_position", "created", "message"],
        "properties": {
            "status": {"enum": ["pending", "confirmed", "waitlisted"]},
            "waitlist_position": {"type": ["integer", "null"], "minimum": 1},
            "created": {"type": "boolean"},
            "message": {"type": "string"},
            "confirm_by": DATETIME,
        },
    },
    "Health": {
        "type": "object", "required": ["status", "database"],
        "properties": {"status": {"enum": ["ok", "error"]},
                       "database": {"enum": ["ok", "unreachable"]}},
    },
}

WORKSHOP_ID = {"name": "workshop_id", "in": "path", "required": True,
               "schema": {"type": "integer"}}


def openapi_document(base_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Praxisaustausch API",
            "version": "1.0.0",
            "description": "Workshops of the programme, their availability, and registration. "
                           "Messages for people are German. The personal link of a "
                           "registration is only ever sent by e-mail.",
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "servers": [{"url": base_url}],
        "paths": {
            "/api/v1/workshops": {"get": {
                "operationId": "listWorkshops",
                "summary": "Published and cancelled workshops with availability",
                "parameters": [{"name": "theme", "in": "query", "required": False,
                                "schema": {"type": "string"}}],
                "responses": {"200": _json("The workshops, earliest first", "WorkshopList")},
            }},
            "/api/v1/workshops/{workshop_id}": {"get": {
                "operationId": "getWorkshop",
                "parameters": [WORKSHOP_ID],
                "responses": {"200": _json("The workshop", "Workshop"),
                              "404": _error_response("Unknown or unpublished")},
            }},
            "/api/v1/programme": {"get": {
                "operationId": "getProgramme",
                "responses": {"200": _json("Cap and distinct participants", "Programme"),
                              "404": _error_response("No programme yet")},
            }},
            "/api/v1/workshops/{workshop_id}/registrations": {"post": {
                "operationId": "register",
                "summary": "Reserve a seat (pending, confirm by e-mail) or join the waiting list",
                "parameters": [WORKSHOP_ID],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/RegistrationRequest"}}}},
                "responses": {
                    "201": _json("New registration", "RegistrationStatus"),
                    "200": _json("Already registered: the current status; the personal "
                                 "link was mailed again", "RegistrationStatus"),
                    "400": _error_response("The body is not valid JSON"),
                    "404": _error_response("Unknown or unpublished workshop"),
                    "409": _error_response("Registration is not open"),
                    "415": _error_response("The body is not JSON"),
                    "422": _error_response("Invalid fields, one message each"),
                    "429": _error_response("Too many registrations from this address"),
                },
            }},
            "/healthz": {"get": {
                "operationId": "health",
                "responses": {"200": _json("The database answers", "Health"),
                              "503": _json("The database does not answer", "Health")},
            }},
        },
        "components": {"schemas": SCHEMAS},
    }
