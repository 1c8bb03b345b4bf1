"""OpenAPI of the GET routes of ``/api/v1/contributions``, generated from the pydantic models
that validate the query and shape the answers (``api_contributions``): the parameters
come from ``ContributionQuery``, the answer schemas from ``ContributionList`` and
``ContributionDetail``. Merged by ``openapi.openapi_document``."""

from __future__ import annotations

from events.web.api_contributions import ContributionDetail, ContributionList, ContributionQuery
from events.web.openapi_parts import _error, _json, components, ref, unavailable


def _parameters() -> list[dict]:
    schema = ContributionQuery.model_json_schema()
    return [{"name": name, "in": "query", "required": False,
             "description": prop.pop("description", ""),
             "schema": {k: v for k, v in prop.items() if k != "title"}}
            for name, prop in schema["properties"].items()]


SCHEMAS = components(ContributionList, ContributionDetail)

CONTRIBUTION_ID = {"name": "contribution_id", "in": "path", "required": True,
                   "schema": {"type": "integer"}}

PATHS = {
    "/api/v1/contributions": {"get": {
        "operationId": "listContributions",
        "summary": "Published practice examples: search, filters with hit counts, pages",
        "description": "Without `q` the newest come first, with `q` the best hits (a word in "
                       "the title counts more than in the description). Note: `state` is "
                       "the federal state (Bundesland); only published examples are ever "
                       "listed.",
        "parameters": _parameters(),
        "responses": {
            "200": _json("One page of examples, the total and the hits per filter value",
                         ref("ContributionList")),
            "422": _error("A parameter is invalid (unknown theme or federal state, page out "
                          "of range, query too long); one German message each",
                          "invalid_input", fields=True),
            "503": unavailable(),
        },
    }},
    "/api/v1/contributions/{contribution_id}": {"get": {
        "operationId": "getContribution",
        "summary": "One published practice example with its workshops and documents",
        "parameters": [CONTRIBUTION_ID],
        "responses": {
            "200": _json("The example", ref("ContributionDetail")),
            "404": _error("Unknown or not published", "not_found"),
            "503": unavailable(),
        },
    }},
}
