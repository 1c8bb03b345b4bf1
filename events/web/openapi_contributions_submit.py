"""OpenAPI of ``POST /api/v1/contributions``: the request schema is the pydantic model
that validates the body (``api_contributions_submit.ContributionRequest``) and the
answer's the model that builds it (``ContributionAccepted``), so the document and the
code cannot drift apart. Merged by ``openapi.openapi_document``."""

from __future__ import annotations

from events.web.api_contributions_submit import ContributionAccepted, ContributionRequest
from events.web.openapi_parts import (
    ACCEPT_LANGUAGE,
    RETRY_AFTER,
    _error,
    _json,
    components,
    ref,
    unavailable,
)

SCHEMAS = {"ContributionRequest": ContributionRequest.model_json_schema(),
           **components(ContributionAccepted)}

PATHS = {
    "/api/v1/contributions": {"post": {
        "operationId": "submitContribution",
        "summary": "Submit a practice example (Praxisbeispiel) without an account",
        "description": "The same submission as the form at /praxisbeispiele/einreichen, "
                       "without files. The submitter gets an e-mail with a private link; "
                       "only after confirming the address there does the example reach "
                       "moderation. Unconfirmed submissions are deleted after 7 days. "
                       "Rate-limited per client address (RATELIMIT_REGISTRATION).",
        "parameters": [ACCEPT_LANGUAGE],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": ref("ContributionRequest")}}},
        "responses": {
            "202": _json("Accepted: waits for the e-mail to be confirmed, then for "
                         "moderation", ref("ContributionAccepted")),
            "400": _error("The body is not valid JSON", "invalid_json"),
            "415": _error("The body is not JSON", "unsupported_media_type"),
            "422": _error("Invalid fields, one German message each", "invalid_input",
                          fields=True),
            "429": _error("Too many submissions from this address", "rate_limited",
                          headers=RETRY_AFTER),
            "503": unavailable(),
        },
    }},
}
