"""The organiser API's part of the OpenAPI document: paths, schemas, ``bearerAuth``,
generated from the pydantic models of ``organiser.api_schemas`` (the query parameters
from ``IncludeQuery`` and ``RegistrationsQuery``, the answers from their models).

Kept apart from ``openapi.py`` (which merges it in) so that each file stays
readable; ``tests/test_openapi.py`` checks a real answer for every documented status.
"""

from __future__ import annotations

from events.web.openapi_parts import _error, _json, components, query_parameters, ref, unavailable
from events.web.organiser.api_schemas import (
    AccountList,
    IncludeQuery,
    RegistrationPage,
    RegistrationsQuery,
    WorkshopRegistrations,
)

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

SCHEMAS = components(WorkshopRegistrations, RegistrationPage, AccountList)

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
                        "schema": {"type": "integer"}}, *query_parameters(IncludeQuery)],
        "responses": _guarded({
            "200": _json("The workshop and its registrations", ref(WorkshopRegistrations)),
            "404": _error("No workshop with this id", "not_found"),
            "422": _error("Unknown value of include", "invalid_input", fields=True),
        }),
    }},
    "/api/v1/organiser/registrations": {"get": {
        "operationId": "organiserRegistrations",
        "summary": "Registrations across the programme, filtered and paginated",
        "tags": ["organiser"], "security": SECURITY,
        "parameters": query_parameters(RegistrationsQuery),
        "responses": _guarded({
            "200": _json("One page of registrations", ref(RegistrationPage)),
            "422": _error("A parameter is not valid; fields names each", "invalid_input",
                          fields=True),
        }),
    }},
    "/api/v1/organiser/accounts": {"get": {
        "operationId": "organiserAccounts",
        "summary": "The back-office accounts (admin tokens only)",
        "tags": ["organiser"], "security": SECURITY,
        "responses": _guarded({"200": _json("Every account", ref(AccountList))}),
    }},
}
