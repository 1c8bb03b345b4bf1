"""The OpenAPI 3.1 document is valid, and real answers match what it documents.

``CASES`` produces every documented (path, method, status) with a real request;
each answer is validated against the schema documented for exactly that
status. ``test_every_documented_answer_has_a_case`` keeps the table and the
document in step in both directions, so an answer the API can give but the
document does not name fails here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from events import create_app
from events.extensions import db
from events.models import WorkshopStatus, utcnow
from events.web.openapi import openapi_document
from tests.api_support import INVALID_BODIES, VALID, body, upcoming
from tests.conftest import base_config

DOC_URI = "urn:praxisaustausch:openapi"
METHODS = {"get", "post", "put", "patch", "delete"}
UNREACHABLE_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/nirgends"


def _pointer(*parts: str) -> str:
    return "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def validator_for(document: dict, *pointer: str) -> Draft202012Validator:
    """A Draft 2020-12 validator for the schema at ``pointer`` in the document.

    The whole document is one resource, so ``#/components/...`` references inside
    any schema resolve against it.
    """
    registry = Registry().with_resource(DOC_URI, DRAFT202012.create_resource(document))
    return Draft202012Validator({"$ref": f"{DOC_URI}#{_pointer(*pointer)}"}, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def answer_validator(document: dict, path: str, method: str, status: int):
    responses = document["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} answers {status}: undocumented"
    return validator_for(document, "paths", path, method, "responses", str(status), "content",
                         "application/json", "schema")


def request_validator(document: dict) -> Draft202012Validator:
    return validator_for(document, "components", "schemas", "RegistrationRequest")


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi_document("http://praxis.test")


# --- the cases: one real request per documented answer --------------------------------


@dataclass
class Context:
    client: object
    workshop: Callable
    tmp_path: object


@dataclass
class Case:
    method: str
    path: str
    status: int
    call: Callable[[Context], object]
    config: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, int]:
        return self.path, self.method, self.status


REGISTRATIONS = "/api/v1/workshops/{workshop_id}/registrations"


def _post(ctx: Context, workshop_id: int, data, **kwargs):
    return ctx.client.post(f"/api/v1/workshops/{workshop_id}/registrations", json=data,
                           **kwargs)


def _list(ctx):
    ctx.workshop(registration_opens_at=utcnow() - timedelta(days=1))
    ctx.workshop(status=WorkshopStatus.cancelled)
    ctx.workshop(venue_name="", venue_address="", online_url="https://konferenz.example/r")
    ctx.workshop(status=WorkshopStatus.draft)
    response = ctx.client.get("/api/v1/workshops")
    assert len(response.json["workshops"]) == 3
    return response


def _pending(ctx):
    return _post(ctx, ctx.workshop().id, body(1))


def _waitlisted(ctx):
    workshop_id = ctx.workshop(capacity=0).id
    return _post(ctx, workshop_id, body(1))


def _repeated_pending(ctx):
    workshop_id = ctx.workshop().id
    _post(ctx, workshop_id, body(1))
    return _post(ctx, workshop_id, body(1))


def _repeated_waitlisted(ctx):
    workshop_id = ctx.workshop(capacity=0).id
    _post(ctx, workshop_id, body(1))
    return _post(ctx, workshop_id, body(1))


def _rate_limited(ctx):
    workshop_id = ctx.workshop().id
    for n in range(2):
        assert _post(ctx, workshop_id, body(n)).status_code == 201
    return _post(ctx, workshop_id, body(3))


def _without_database(method: str, path: str, **kwargs):
    """The request against an app whose database does not answer."""
    def call(ctx):
        app = create_app(base_config(UNREACHABLE_POSTGRES, ctx.tmp_path))
        with app.app_context():
            response = getattr(app.test_client(), method)(path, **kwargs)
            db.engine.dispose()
        assert "Traceback" not in response.get_data(as_text=True)
        return response
    return call


CASES = {
    "list": Case("get", "/api/v1/workshops", 200, _list),
    "detail": Case("get", "/api/v1/workshops/{workshop_id}", 200,
                   lambda ctx: ctx.client.get(f"/api/v1/workshops/{ctx.workshop().id}")),
    "detail-unknown": Case("get", "/api/v1/workshops/{workshop_id}", 404,
                           lambda ctx: ctx.client.get("/api/v1/workshops/424242")),
    "detail-draft": Case("get", "/api/v1/workshops/{workshop_id}", 404, lambda ctx: ctx.client.get(
        f"/api/v1/workshops/{ctx.workshop(status=WorkshopStatus.draft).id}")),
    "programme": Case("get", "/api/v1/programme", 200,
                      lambda ctx: (ctx.workshop(), ctx.client.get("/api/v1/programme"))[1]),
    "programme-missing": Case("get", "/api/v1/programme", 404,
                              lambda ctx: ctx.client.get("/api/v1/programme")),
    "register-pending": Case("post", REGISTRATIONS, 201, _pending),
    "register-waitlisted": Case("post", REGISTRATIONS, 201, _waitlisted),
    "repeat-pending": Case("post", REGISTRATIONS, 200, _repeated_pending),
    "repeat-waitlisted": Case("post", REGISTRATIONS, 200, _repeated_waitlisted),
    "malformed-json": Case("post", REGISTRATIONS, 400, lambda ctx: ctx.client.post(
        f"/api/v1/workshops/{ctx.workshop().id}/registrations", data="{",
        content_type="application/json")),
    "unknown-workshop": Case("post", REGISTRATIONS, 404,
                             lambda ctx: _post(ctx, 424242, body(1))),
    "cancelled-workshop": Case("post", REGISTRATIONS, 409, lambda ctx: _post(
        ctx, ctx.workshop(status=WorkshopStatus.cancelled).id, body(1))),
    "form-data": Case("post", REGISTRATIONS, 415, lambda ctx: ctx.client.post(
        f"/api/v1/workshops/{ctx.workshop().id}/registrations", data=dict(name="Erika"))),
    "invalid-fields": Case("post", REGISTRATIONS, 422, lambda ctx: _post(
        ctx, ctx.workshop().id, {"name": 3, "email": "kein-at", "x": 1})),
    "rate-limited": Case("post", REGISTRATIONS, 429, _rate_limited,
                         config={"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                                 "RATELIMIT_REGISTRATION": "2 per minute"}),
    "openapi": Case("get", "/api/openapi.json", 200,
                    lambda ctx: ctx.client.get("/api/openapi.json")),
    "health": Case("get", "/healthz", 200, lambda ctx: ctx.client.get("/healthz")),
    "health-unreachable": Case("get", "/healthz", 503, _without_database("get", "/healthz")),
    "list-database-down": Case("get", "/api/v1/workshops", 500,
                               _without_database("get", "/api/v1/workshops")),
    "detail-database-down": Case("get", "/api/v1/workshops/{workshop_id}", 500,
                                 _without_database("get", "/api/v1/workshops/1")),
    "programme-database-down": Case("get", "/api/v1/programme", 500,
                                    _without_database("get", "/api/v1/programme")),
    "register-database-down": Case("post", REGISTRATIONS, 500, _without_database(
        "post", "/api/v1/workshops/1/registrations", json=VALID)),
}


def test_document_is_valid_openapi_3_1(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.is_json
    served = response.get_json()
    validate(served, cls=OpenAPIV31SpecValidator)
    assert served["openapi"].startswith("3.1.")
    assert served["servers"] == [{"url": "http://praxis.test"}]


def test_the_format_checker_checks_date_times():
    """Without it the date-time checks below would pass silently."""
    checker = Draft202012Validator.FORMAT_CHECKER
    assert checker.conforms("2027-01-12T10:00:00+01:00", "date-time")
    assert not checker.conforms("2027-01-12T10:00:00", "date-time")  # no offset


def test_every_documented_answer_has_a_case(document):
    documented = {(path, method, int(status))
                  for path, item in document["paths"].items()
                  for method, operation in item.items() if method in METHODS
                  for status in operation["responses"]}
    assert {case.key for case in CASES.values()} == documented


@pytest.mark.parametrize("case, config_overrides",
                         [pytest.param(case, case.config, id=name)
                          for name, case in CASES.items()])
def test_real_answer_matches_the_documented_schema(document, client, request, tmp_path, case):
    def workshop(**fields):  # the factory (and its programme) only when a case asks for one
        fields.setdefault("starts_at", upcoming())
        return request.getfixturevalue("make_workshop")(**fields)

    response = case.call(Context(client, workshop, tmp_path))
    assert response.status_code == case.status, response.get_data(as_text=True)
    assert response.is_json
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in
              answer_validator(document, case.path, case.method, case.status)
              .iter_errors(response.get_json())]
    assert not errors, errors
    documented_headers = document["paths"][case.path][case.method]["responses"][
        str(case.status)].get("headers", {})
    for name in documented_headers:
        assert name in response.headers, f"documented header {name} missing"


def test_schemas_reject_answers_they_do_not_describe(document):
    """The answer schemas are strict enough to catch a leaking or missing field."""
    status = answer_validator(document, REGISTRATIONS, "post", 201)
    good = {"status": "pending", "waitlist_position": None, "created": True,
            "message": "Bitte bestätigen", "confirm_by": "2027-01-12T10:00:00+01:00"}
    assert status.is_valid(good)
    assert not status.is_valid({**good, "manage_url": "http://praxis.test/anmeldung/1.x"})
    assert not status.is_valid({**good, "created": False})
    assert not status.is_valid({**good, "status": "waitlisted"})  # needs a position
    assert not status.is_valid({**good, "confirm_by": "2027-01-12T10:00:00"})  # no offset
    error = answer_validator(document, REGISTRATIONS, "post", 422)
    assert not error.is_valid({"error": {"code": "invalid_input", "message": "x"}})  # no fields


def test_request_schema_accepts_what_the_api_accepts(document):
    schema = request_validator(document)
    for data in (VALID, body(role=None), body(remarks="Vegetarisch", role=""),
                 body(accessibility_needs="Rollstuhl", accessibility_consent=True),
                 body(email="  Erika@Kommune.example ")):
        assert not list(schema.iter_errors(data)), data


@pytest.mark.parametrize("data, fields", INVALID_BODIES)
def test_request_schema_rejects_what_the_api_rejects(document, data, fields):
    assert not request_validator(document).is_valid(data)
