"""The organiser API's part of the OpenAPI document: paths, schemas, ``bearerAuth``.

Kept apart from ``openapi.py`` (which merges it in) so that each file stays
readable; the helpers and conventions are the same: answers are described
exactly (``additionalProperties: false``) and ``tests/test_openapi.py`` checks a
real answer for every documented status.
"""

from __future__ import annotations

from events.models import RegistrationStatus, Role, WorkshopStatus
from events.services.registration_queries import MAX_PAGE, MAX_PER_PAGE, MAX_QUERY
from events.web.openapi_parts import DATETIME, _error, _json, _ref, unavailable

NULLABLE_DATETIME = {**DATETIME, "type": ["string", "null"]}
SECURITY = [{"bearerAuth": []}]

SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http", "scheme": "bearer", "bearerFormat": "pxa_…",
        "description": "An organiser API token (`pxa_` and 43 characters), made on the "
                       "back office's page \"API-Tokens\" and shown once. It acts with its "
                       "owner's role and stops working when revoked or when the owner is "
                       "deactivated.",
    },
}

HEALTH_DATA = {
    "health_data": {"const": True,
                    "description": "Present (true) when the answer holds accessibility "
                                   "needs: health data, Art. 9 DSGVO"},
    "health_data_notice": {"type": "string", "description": "German, for people"},
}

SCHEMAS = {
    "OrganiserRegistration": {
        "type": "object",
        "required": ["id", "workshop_id", "workshop_title", "name", "email", "municipality",
                     "role", "status", "registered_at", "confirmed_at", "waitlist_position",
                     "attended_at", "remarks", "source"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer"},
            "workshop_id": {"type": "integer"},
            "workshop_title": {"type": "string"},
            "name": {"type": "string"},
            "email": {"type": "string", "format": "email"},
            "municipality": {"type": "string"},
            "role": {"type": "string", "description": "Department or role; may be empty"},
            "status": {"enum": [status.value for status in RegistrationStatus]},
            "registered_at": {**DATETIME, "description": "When the person (last) asked for "
                                                         "a place: the waiting list's order"},
            "confirmed_at": NULLABLE_DATETIME,
            "waitlist_position": {"type": ["integer", "null"], "minimum": 1,
                                  "description": "Place on the workshop's waiting list; "
                                                 "null for every other status"},
            "attended_at": {**NULLABLE_DATETIME, "description": "Check-in on the day"},
            "remarks": {"type": "string"},
            "source": {"enum": ["public", "organiser"],
                       "description": "The form or public API, or added by an organiser"},
            "accessibility_needs": {
                "type": ["string", "null"],
                "description": "Only with include=accessibility. Health data (Art. 9 "
                               "DSGVO): use only to organise the participation"},
        },
        "if": {"properties": {"status": {"const": "waitlisted"}}},
        "then": {"properties": {"waitlist_position": {"type": "integer"}}},
        "else": {"properties": {"waitlist_position": {"type": "null"}}},
    },
    "WorkshopRegistrations": {
        "type": "object", "required": ["workshop", "registrations"],
        "additionalProperties": False,
        "dependentRequired": {"health_data": ["health_data_notice"]},
        "properties": {
            "workshop": {
                "type": "object", "additionalProperties": False,
                "required": ["id", "title", "starts_at", "ends_at", "status", "capacity"],
                "properties": {"id": {"type": "integer"}, "title": {"type": "string"},
                               "starts_at": DATETIME, "ends_at": DATETIME,
                               "status": {"enum": [status.value for status in WorkshopStatus]},
                               "capacity": {"type": "integer", "minimum": 0}}},
            "registrations": {
                "type": "array", "items": _ref("OrganiserRegistration"),
                "description": "Seats first (pending, confirmed), then the waiting list in "
                               "order, then cancelled and expired"},
            **HEALTH_DATA,
        },
    },
    "RegistrationPage": {
        "type": "object", "required": ["registrations", "page", "per_page", "total", "pages"],
        "additionalProperties": False,
        "dependentRequired": {"health_data": ["health_data_notice"]},
        "properties": {
            "registrations": {"type": "array", "items": _ref("OrganiserRegistration"),
                              "description": "By workshop start, then time of request"},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "total": {"type": "integer", "minimum": 0,
                      "description": "Matching registrations on all pages"},
            "pages": {"type": "integer", "minimum": 1},
            **HEALTH_DATA,
        },
    },
    "AccountList": {
        "type": "object", "required": ["accounts"], "additionalProperties": False,
        "properties": {"accounts": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["id", "name", "email", "role", "active", "invitation_open",
                         "last_login_at"],
            "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"},
                "email": {"type": "string", "format": "email"},
                "role": {"enum": [role.value for role in Role]},
                "active": {"type": "boolean"},
                "invitation_open": {"type": "boolean",
                                    "description": "Invited; no password set yet"},
                "last_login_at": NULLABLE_DATETIME,
            }}}},
    },
}

INCLUDE = {"name": "include", "in": "query", "required": False,
           "description": "`accessibility` adds each person's accessibility needs (health "
                          "data); any other value is a 422",
           "schema": {"enum": ["accessibility"]}}
CHALLENGE = {"WWW-Authenticate": {"description": "`Bearer realm=…`, with "
                                                 "`error=\"invalid_token\"` when a token "
                                                 "was sent but is not valid",
                                  "schema": {"type": "string", "pattern": "^Bearer "}}}


def _guarded(responses: dict) -> dict:
    """The answers every organiser route can give besides its own."""
    return {
        **responses,
        "401": _error("No token, or an unknown or revoked one, or its owner is deactivated",
                      "unauthorized", headers=CHALLENGE),
        "403": _error("The token owner's role lacks the permission this route needs",
                      "forbidden"),
        "503": unavailable(),
    }


PATHS = {
    "/api/v1/organiser/workshops/{workshop_id}/registrations": {"get": {
        "operationId": "organiserWorkshopRegistrations",
        "summary": "Every registration of one workshop (drafts included)",
        "tags": ["organiser"], "security": SECURITY,
        "parameters": [{"name": "workshop_id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}, INCLUDE],
        "responses": _guarded({
            "200": _json("The workshop and its registrations", _ref("WorkshopRegistrations")),
            "404": _error("No workshop with this id", "not_found"),
            "422": _error("Unknown value of include", "invalid_input", fields=True),
        }),
    }},
    "/api/v1/organiser/registrations": {"get": {
        "operationId": "organiserRegistrations",
        "summary": "Registrations across the programme, filtered and paginated",
        "tags": ["organiser"], "security": SECURITY,
        "parameters": [
            {"name": "status", "in": "query", "required": False,
             "schema": {"enum": [status.value for status in RegistrationStatus]}},
            {"name": "q", "in": "query", "required": False,
             "description": "Part of the name, e-mail address or municipality (any case)",
             "schema": {"type": "string", "maxLength": MAX_QUERY}},
            {"name": "page", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
            {"name": "per_page", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                        "default": 50}},
            INCLUDE,
        ],
        "responses": _guarded({
            "200": _json("One page of registrations", _ref("RegistrationPage")),
            "422": _error("A parameter is not valid; fields names each", "invalid_input",
                          fields=True),
        }),
    }},
    "/api/v1/organiser/accounts": {"get": {
        "operationId": "organiserAccounts",
        "summary": "The back-office accounts (admin tokens only)",
        "tags": ["organiser"], "security": SECURITY,
        "responses": _guarded({"200": _json("Every account", _ref("AccountList"))}),
    }},
}
