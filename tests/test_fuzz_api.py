"""schemathesis over the whole OpenAPI document, against the real app on SQLite and PostgreSQL.

Every operation of ``/api/openapi.json`` gets up to ``FUZZ_EXAMPLES`` generated requests
(200 by default; one without any parameter, body or header has a single request to make):
valid ones (positive), invalid ones (negative: wrong types, missing fields,
strings where numbers belong, odd unicode) and valid ones aimed at rows that exist (the
workshop open for registration, the published example). Each answer must not be a server
error (503 included: the database is up), its status must be documented for the operation,
and its body and headers must match what the document says for that status.

Deterministic: hypothesis derandomizes (the examples follow from the test alone), keeps no
example database, so a failure reproduces on the next run and in CI. A longer run::

    FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/test_fuzz_api.py

Requests go through schemathesis' WSGI transport into the app of the ``app`` fixture (the
same app a server would run; rate limits off, as in every test). The organiser operations
get a bearer token of an admin account.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from events.extensions import db
from events.services import api_tokens
from events.web.openapi import openapi_document
from tests.api_support import upcoming
from tests.contribution_support import new_contribution

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
OPERATIONS = sorted(operation["operationId"]
                    for item in openapi_document("http://praxis.test")["paths"].values()
                    for operation in item.values())


def no_server_error(case, response) -> None:
    """``not_a_server_error`` counts only 500s; a 503 here means the app lost its database."""
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} → {response.status_code}\n"
        f"{case.as_curl_command()}\n{response.text[:500]}")


@pytest.fixture
def fixtures(app, make_workshop, make_organiser):
    """Rows the generated ids can hit: a workshop open for registration, a published
    example; and an admin's API token (admin: every organiser operation is allowed)."""
    workshop = make_workshop(capacity=3, starts_at=upcoming(30))
    contribution = new_contribution(themes=[workshop.theme], workshops=[workshop])
    admin = make_organiser("admin")
    _row, secret = api_tokens.create(admin, "Fuzzing")
    db.session.commit()
    return {"workshop_id": workshop.id, "contribution_id": contribution.id,
            "headers": {"Authorization": f"Bearer {secret}"}}


def _strategy(operation, fixtures):
    strategies = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                  operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)]
    known = {name: fixtures[name] for name in ("workshop_id", "contribution_id")
             if "{" + name + "}" in operation.path}
    if known:
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.POSITIVE,
                                                path_parameters=known))
    return st.one_of(strategies)


def _fuzz(schema, operation_id: str, fixtures) -> None:
    """``EXAMPLES`` generated requests to one operation; raises the first (shrunk) failure."""
    operation = schema.find_operation_by_id(operation_id)
    # the answers as sent without compression: large ones are gzipped for clients that
    # accept it (web/compression.py), and the WSGI client would not unpack them
    headers = {**(fixtures["headers"] if operation_id.startswith("organiser") else {}),
               "Accept-Encoding": "identity"}

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(case=_strategy(operation, fixtures))
    def run(case):
        response = case.call(headers=headers)
        no_server_error(case, response)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


@pytest.mark.backends
@pytest.mark.slow
def test_every_operation_gets_documented_answers_to_generated_requests(app, fixtures):
    """One app per database for all operations (setting up costs more than 100 requests);
    every operation runs even when an earlier one failed, and the report names each."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures = []
    for operation_id in OPERATIONS:
        try:
            _fuzz(schema, operation_id, fixtures)
        except Exception as error:  # noqa: BLE001 - collected, reported below
            failures.append(f"--- {operation_id}: {type(error).__name__}\n{str(error)[:3000]}\n"
                            + "\n".join(getattr(error, "__notes__", [])))
    assert not failures, "\n".join(failures)


def test_the_fuzzer_covers_every_operation(app):
    """The list the fuzz test walks is the served document's, all of it."""
    served = app.test_client().get("/api/openapi.json").get_json()
    assert OPERATIONS == sorted(operation["operationId"] for item in served["paths"].values()
                                for operation in item.values())
    assert len(OPERATIONS) >= 10
