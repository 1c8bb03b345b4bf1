"""The OpenAPI 3.1 document is valid, and real answers match what it documents.

``CASES`` produces every documented (path, method, status) with a real request;
each answer is validated against the schema documented for exactly that
status. ``test_every_documented_answer_has_a_case`` keeps the table and the
document in step in both directions, so an answer the API can give but the
document does not name fails here.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
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
        assert _post(ctx, workshop_id, body(n)).status_code == 202
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
    "list-control-characters": Case("get", "/api/v1/workshops", 422,
                                    lambda ctx: ctx.client.get("/api/v1/workshops?theme=a%00")),
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
    "register-pending": Case("post", REGISTRATIONS, 202, _pending),
    "register-waitlisted": Case("post", REGISTRATIONS, 202, _waitlisted),
    "repeat-pending": Case("post", REGISTRATIONS, 202, _repeated_pending),
    "repeat-waitlisted": Case("post", REGISTRATIONS, 202, _repeated_waitlisted),
    "malformed-json": Case("post", REGISTRATIONS, 400, lambda ctx: ctx.client.post(
        f"/api/v1/workshops/{ctx.workshop().id}/registrations", data="{",
        content_type="application/json")),
    "unknown-workshop": Case("post", REGISTRATIONS, 404,
                             lambda ctx: _post(ctx, 424242, body(1))),
    "cancelled-workshop": Case("post", REGISTRATIONS, 409, lambda ctx: _post(
        ctx, ctx.workshop(status=WorkshopStatus.cancelled).id, body(1))),
    "form-data": Case("post", REGISTRATIONS, 415, lambda ctx: ctx.client.post(
        f"/api/v1/workshops/{ctx.workshop().id}/registrations", data=dict(name="Erika"))),
    "too-large": Case("post", REGISTRATIONS, 413, lambda ctx: _post(
        ctx, ctx.workshop().id, {**body(1), "remarks": "x" * 300_000})),
    "invalid-fields": Case("post", REGISTRATIONS, 422, lambda ctx: _post(
        ctx, ctx.workshop().id, {"name": 3, "email": "kein-at", "x": 1})),
    "rate-limited": Case("post", REGISTRATIONS, 429, _rate_limited,
                         config={"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                                 "RATELIMIT_REGISTRATION": "2 per minute"}),
    "openapi": Case("get", "/api/openapi.json", 200,
                    lambda ctx: ctx.client.get("/api/openapi.json")),
    "health": Case("get", "/healthz", 200, lambda ctx: ctx.client.get("/healthz")),
    "health-unreachable": Case("get", "/healthz", 503, _without_database("get", "/healthz")),
    "list-database-down": Case("get", "/api/v1/workshops", 503,
                               _without_database("get", "/api/v1/workshops")),
    "detail-database-down": Case("get", "/api/v1/workshops/{workshop_id}", 503,
                                 _without_database("get", "/api/v1/workshops/1")),
    "programme-database-down": Case("get", "/api/v1/programme", 503,
                                    _without_database("get", "/api/v1/programme")),
    "register-database-down": Case("post", REGISTRATIONS, 503, _without_database(
        "post", "/api/v1/workshops/1/registrations", json=VALID)),
}


# --- the organiser API: bearer tokens, one real request per documented answer -------------

ORGANISER_WORKSHOP = "/api/v1/organiser/workshops/{workshop_id}/registrations"
ORGANISER_LIST = "/api/v1/organiser/registrations"
ORGANISER_ACCOUNTS = "/api/v1/organiser/accounts"
_accounts = itertools.count(1)


def _bearer(role: str = "organiser", revoked: bool = False) -> dict:
    """A fresh account of ``role`` and the Authorization header of a token of it."""
    from events.models import Role
    from events.services import accounts, api_tokens

    owner = accounts.create(f"openapi{next(_accounts)}@kgst.example", "Jürgen Öztürk-Weiß",
                            Role(role))
    row, secret = api_tokens.create(owner, "OpenAPI")
    if revoked:
        api_tokens.revoke(row.id, owner)
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _filled(ctx):
    """A workshop of two seats: confirmed (checked in, with health data), pending,
    waitlisted, cancelled."""
    from events.services import seats
    from tests.conftest import applicant

    workshop = ctx.workshop(capacity=2)
    registrations = []
    for n, extra in ((1, {"accessibility_needs": "Rollstuhl", "accessibility_consent": True}),
                     (2, {}), (3, {}), (4, {})):
        registrations.append(seats.register(workshop.id, applicant(n, **extra)).registration)
        db.session.commit()
    seats.confirm(registrations[0].id)
    registrations[0].attended_at = utcnow()
    db.session.commit()
    seats.cancel(registrations[3].id)
    db.session.commit()
    return workshop


@contextmanager
def _narrowed(endpoint: str):
    """The route needs ``manage_accounts`` for a moment: how a future admin-only route
    answers an organiser's token."""
    from events.web.organiser import api

    before = api.ROUTE_PERMISSIONS[endpoint]
    api.ROUTE_PERMISSIONS[endpoint] = "manage_accounts"
    try:
        yield
    finally:
        api.ROUTE_PERMISSIONS[endpoint] = before


def _organiser_get(url: str, role: str = "organiser", **kwargs):
    return lambda ctx: ctx.client.get(url, headers=_bearer(role), **kwargs)


def _forbidden(endpoint: str, url_of):
    def call(ctx):
        url = url_of(ctx)
        with _narrowed(endpoint):
            return ctx.client.get(url, headers=_bearer("organiser"))
    return call


_WORKSHOP_URL = "/api/v1/organiser/workshops/{}/registrations"
UNKNOWN_TOKEN = {"headers": {"Authorization": "Bearer pxa_unbekannt"}}

CASES.update({
    "organiser-workshop": Case("get", ORGANISER_WORKSHOP, 200, lambda ctx: ctx.client.get(
        _WORKSHOP_URL.format(_filled(ctx).id), headers=_bearer())),
    "organiser-workshop-health-data": Case("get", ORGANISER_WORKSHOP, 200, lambda ctx: (
        ctx.client.get(_WORKSHOP_URL.format(_filled(ctx).id),
                       query_string={"include": "accessibility"}, headers=_bearer()))),
    "organiser-workshop-unknown": Case("get", ORGANISER_WORKSHOP, 404, _organiser_get(
        _WORKSHOP_URL.format("99999999999999999999"))),
    "organiser-workshop-include": Case("get", ORGANISER_WORKSHOP, 422, lambda ctx: (
        ctx.client.get(_WORKSHOP_URL.format(ctx.workshop().id),
                       query_string={"include": "alles"}, headers=_bearer()))),
    "organiser-workshop-no-token": Case("get", ORGANISER_WORKSHOP, 401, lambda ctx: (
        ctx.client.get(_WORKSHOP_URL.format(ctx.workshop().id)))),
    "organiser-workshop-forbidden": Case("get", ORGANISER_WORKSHOP, 403, _forbidden(
        "organiser_api.workshop_registrations",
        lambda ctx: _WORKSHOP_URL.format(ctx.workshop().id))),
    "organiser-workshop-database-down": Case("get", ORGANISER_WORKSHOP, 503, _without_database(
        "get", _WORKSHOP_URL.format(1), **UNKNOWN_TOKEN)),
    "organiser-list": Case("get", ORGANISER_LIST, 200, lambda ctx: (
        _filled(ctx), ctx.client.get(ORGANISER_LIST, query_string={
            "include": "accessibility", "q": "kommune"}, headers=_bearer()))[1]),
    "organiser-list-page": Case("get", ORGANISER_LIST, 200, lambda ctx: (
        _filled(ctx), ctx.client.get(ORGANISER_LIST, query_string={
            "status": "waitlisted", "page": 1, "per_page": 1}, headers=_bearer()))[1]),
    "organiser-list-invalid": Case("get", ORGANISER_LIST, 422, _organiser_get(
        ORGANISER_LIST, query_string={"status": "angemeldet", "page": "0"})),
    "organiser-list-revoked": Case("get", ORGANISER_LIST, 401, lambda ctx: ctx.client.get(
        ORGANISER_LIST, headers=_bearer(revoked=True))),
    "organiser-list-forbidden": Case("get", ORGANISER_LIST, 403, _forbidden(
        "organiser_api.registrations", lambda ctx: ORGANISER_LIST)),
    "organiser-list-database-down": Case("get", ORGANISER_LIST, 503, _without_database(
        "get", ORGANISER_LIST, **UNKNOWN_TOKEN)),
    "organiser-accounts": Case("get", ORGANISER_ACCOUNTS, 200, _organiser_get(
        ORGANISER_ACCOUNTS, role="admin")),
    "organiser-accounts-unknown-token": Case("get", ORGANISER_ACCOUNTS, 401, lambda ctx: (
        ctx.client.get(ORGANISER_ACCOUNTS, **UNKNOWN_TOKEN))),
    "organiser-accounts-forbidden": Case("get", ORGANISER_ACCOUNTS, 403, _organiser_get(
        ORGANISER_ACCOUNTS, role="organiser")),
    "organiser-accounts-database-down": Case("get", ORGANISER_ACCOUNTS, 503, _without_database(
        "get", ORGANISER_ACCOUNTS, **UNKNOWN_TOKEN)),
})


# --- submitting a practice example (POST /api/v1/contributions) ---------------------------

CONTRIBUTIONS = "/api/v1/contributions"


def _contribution(ctx, **fields):
    return {"title": "Berlin braucht dich!", "municipality": "Berlin", "body_kind": "stadt",
            "themes": [ctx.workshop().theme_id], "summary": "Ausbildung.",
            "submitter_name": "Max", "submitter_email": "max@berlin.example",
            "consent": True, **fields}


def _contributions_limited(ctx):
    for _ in range(2):
        assert ctx.client.post(CONTRIBUTIONS, json={"title": 1}).status_code == 422
    return ctx.client.post(CONTRIBUTIONS, json={"title": 1})


CASES.update({
    "contribution-accepted": Case("post", CONTRIBUTIONS, 202, lambda ctx: ctx.client.post(
        CONTRIBUTIONS, json=_contribution(ctx, links=["https://www.berlin.de"]))),
    "contribution-malformed-json": Case("post", CONTRIBUTIONS, 400, lambda ctx: ctx.client.post(
        CONTRIBUTIONS, data="{", content_type="application/json")),
    "contribution-form-data": Case("post", CONTRIBUTIONS, 415, lambda ctx: ctx.client.post(
        CONTRIBUTIONS, data={"title": "x"})),
    "contribution-too-large": Case("post", CONTRIBUTIONS, 413, lambda ctx: ctx.client.post(
        CONTRIBUTIONS, json=_contribution(ctx, description="x" * 300_000))),
    "contribution-invalid": Case("post", CONTRIBUTIONS, 422, lambda ctx: ctx.client.post(
        CONTRIBUTIONS, json=_contribution(ctx, links=["javascript:alert(1)"], x=1))),
    "contribution-rate-limited": Case("post", CONTRIBUTIONS, 429, _contributions_limited,
                                      config={"RATELIMIT_ENABLED": True,
                                              "RATELIMIT_STORAGE_URI": "memory://",
                                              "RATELIMIT_REGISTRATION": "2 per minute"}),
    "contribution-database-down": Case("post", CONTRIBUTIONS, 503, _without_database(
        "post", CONTRIBUTIONS, json={
            "title": "x", "municipality": "y", "body_kind": "stadt", "themes": [1],
            "summary": "z", "submitter_name": "M", "submitter_email": "m@x.example",
            "consent": True})),
})

# --- finding practice examples (GET /api/v1/contributions[/{id}]) -------------------------

CONTRIBUTION = "/api/v1/contributions/{contribution_id}"


def _published_contribution(ctx):
    from tests.contribution_support import new_contribution

    workshop = ctx.workshop()
    contribution = new_contribution(title="Köln hilft", themes=[workshop.theme],
                                    workshops=[workshop], contact_name="Maria",
                                    contact_public=True, results="Plätze: 30")
    db.session.commit()
    return contribution


CASES.update({
    "contributions-list": Case("get", CONTRIBUTIONS, 200, lambda ctx: (
        _published_contribution(ctx),
        ctx.client.get(CONTRIBUTIONS, query_string={"q": "koeln",
                                                    "state": "Nordrhein-Westfalen"}))[1]),
    "contributions-list-invalid": Case("get", CONTRIBUTIONS, 422, lambda ctx: ctx.client.get(
        CONTRIBUTIONS, query_string={"page": "0", "state": "submitted"})),
    "contributions-list-database-down": Case("get", CONTRIBUTIONS, 503, _without_database(
        "get", CONTRIBUTIONS)),
    "contribution-detail": Case("get", CONTRIBUTION, 200, lambda ctx: ctx.client.get(
        f"{CONTRIBUTIONS}/{_published_contribution(ctx).id}")),
    "contribution-detail-unknown": Case("get", CONTRIBUTION, 404, lambda ctx: ctx.client.get(
        f"{CONTRIBUTIONS}/424242")),
    "contribution-detail-database-down": Case("get", CONTRIBUTION, 503, _without_database(
        "get", f"{CONTRIBUTIONS}/1")),
})


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
    accepted = answer_validator(document, REGISTRATIONS, "post", 202)
    good = {"status": "accepted", "message": "Vielen Dank"}
    assert accepted.is_valid(good)
    assert not accepted.is_valid({**good, "manage_url": "http://praxis.test/anmeldung/1.x"})
    # the registration's state never appears (issue 13: no enumeration)
    assert not accepted.is_valid({**good, "status": "pending"})
    assert not accepted.is_valid({**good, "created": False})
    assert not accepted.is_valid({**good, "waitlist_position": 1})
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


def test_organiser_operations_need_the_bearer_scheme_and_public_ones_none(document):
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        **document["components"]["securitySchemes"]["bearerAuth"],
        "type": "http", "scheme": "bearer"}
    for path, item in document["paths"].items():
        for operation in item.values():
            if path.startswith("/api/v1/organiser/"):
                assert operation["security"] == [{"bearerAuth": []}], path
                assert {"401", "403"} <= set(operation["responses"]), path
            else:
                assert "security" not in operation, path


def test_organiser_registration_schema_is_strict(document):
    row = validator_for(document, "components", "schemas", "OrganiserRegistration")
    good = {"id": 1, "workshop_id": 2, "workshop_title": "W", "name": "Jürgen Öztürk-Weiß",
            "email": "j@kommune.example", "municipality": "Görlitz", "role": "", "status":
            "waitlisted", "registered_at": "2027-01-12T10:00:00+01:00", "confirmed_at": None,
            "waitlist_position": 1, "attended_at": None, "remarks": "", "source": "public"}
    assert row.is_valid(good)
    assert not row.is_valid({**good, "waitlist_position": None})
    assert not row.is_valid({**good, "token_salt": "x"})  # nothing undocumented leaks
    assert not row.is_valid({**good, "status": "confirmed"})  # then no position
    page = validator_for(document, "components", "schemas", "RegistrationPage")
    flagged = {"registrations": [], "page": 1, "per_page": 50, "total": 0, "pages": 1,
               "health_data": True}
    assert not page.is_valid(flagged)  # health data without its notice
    assert page.is_valid({**flagged, "health_data_notice": "Gesundheitsdaten"})
