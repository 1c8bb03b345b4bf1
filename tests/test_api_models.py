"""The pydantic models behind the JSON APIs: an answer that does not fit its documented
schema fails loudly, the document shows exactly the models, and the organiser query's
documented limits are the ones the service enforces (no drift at the edges)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from events.extensions import db
from events.services import api_tokens
from events.services.registration_queries import MAX_PAGE, MAX_PER_PAGE, MAX_QUERY
from events.web.api_models import answer
from events.web.api_schemas import ACCEPTED_MESSAGE, RegistrationAccepted, RegistrationRequest
from events.web.openapi import openapi_document
from events.web.openapi_parts import components
from events.web.organiser.api_schemas import OrganiserRegistration, RegistrationPage

ACCEPTED = {"status": "accepted", "message": str(ACCEPTED_MESSAGE)}
ROW = {"id": 1, "workshop_id": 2, "workshop_title": "W", "name": "Jürgen Öztürk-Weiß",
       "email": "j@kommune.example", "municipality": "Görlitz", "role": "",
       "status": "waitlisted", "registered_at": "2027-01-12T10:00:00+01:00",
       "confirmed_at": None, "waitlist_position": 1, "attended_at": None, "remarks": "",
       "source": "public"}


@pytest.mark.parametrize("model, data", [
    pytest.param(RegistrationAccepted, {**ACCEPTED, "manage_url": "x"},
                 id="undocumented-field"),
    pytest.param(RegistrationAccepted, {**ACCEPTED, "status": "pending"},
                 id="registration-status-in-the-answer"),
    pytest.param(OrganiserRegistration, {**ROW, "status": "confirmed"}, id="place-not-waiting"),
    pytest.param(RegistrationPage, {"registrations": [], "page": 1, "per_page": 50,
                                    "total": 0, "pages": 1, "health_data": True},
                 id="health-data-without-notice"),
])
def test_an_answer_that_does_not_fit_its_model_fails_loudly(model, data):
    with pytest.raises(ValidationError):
        answer(model, data)


def test_optional_fields_appear_only_when_set():
    assert "accessibility_needs" not in answer(OrganiserRegistration, ROW)
    assert answer(OrganiserRegistration, {**ROW, "accessibility_needs": None})[
        "accessibility_needs"] is None
    assert answer(RegistrationAccepted, ACCEPTED) == ACCEPTED


def test_the_document_shows_exactly_the_models():
    schemas = openapi_document("http://praxis.test")["components"]["schemas"]
    for model in (RegistrationAccepted, OrganiserRegistration, RegistrationPage):
        generated = components(model)
        assert {name: schemas[name] for name in generated} == generated
    assert schemas["RegistrationRequest"] == components(
        RegistrationRequest, mode="validation")["RegistrationRequest"]


def test_the_request_model_checks_types_and_unknown_fields_only():
    """Content rules are the service's: an empty but well-typed body passes the model."""
    assert RegistrationRequest.model_validate({}).applicant().consent is False
    with pytest.raises(ValidationError) as refused:
        RegistrationRequest.model_validate({"name": 1, "consent": "ja", "x": 1})
    assert {e["loc"][0] for e in refused.value.errors()} == {"name", "consent", "x"}


def test_the_documented_limits_of_the_query_are_the_service_s(client, make_organiser):
    """At each documented maximum the service accepts and the model agrees (200);
    one past it the service refuses (422)."""
    _row, secret = api_tokens.create(make_organiser("organiser"), "Grenzen")
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    url = "/api/v1/organiser/registrations"
    edge = {"page": MAX_PAGE, "per_page": MAX_PER_PAGE, "q": "x" * MAX_QUERY,
            "include": "accessibility", "status": "expired"}
    assert client.get(url, query_string=edge, headers=headers).status_code == 200
    for name, value in (("page", MAX_PAGE + 1), ("per_page", MAX_PER_PAGE + 1),
                        ("q", "x" * (MAX_QUERY + 1))):
        response = client.get(url, query_string={**edge, name: value}, headers=headers)
        assert response.status_code == 422 and set(response.json["error"]["fields"]) == {name}
