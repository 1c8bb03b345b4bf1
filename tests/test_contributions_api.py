"""``GET /api/v1/contributions`` and ``/api/v1/contributions/{id}``: answers, filters, errors,
each real answer validated against the OpenAPI document's schema for its status."""

from __future__ import annotations

import pytest

from events.extensions import db
from events.models import Attachment, ContributionState, WorkshopStatus
from events.web.openapi import openapi_document
from tests.api_support import upcoming
from tests.contribution_support import corpus, make_contribution  # noqa: F401
from tests.test_openapi import answer_validator

LIST = "/api/v1/contributions"
DETAIL = "/api/v1/contributions/{contribution_id}"


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi_document("http://praxis.test")


def checked(document, response, path: str, status: int) -> dict:
    """The JSON answer, after checking status and schema (every error listed)."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in answer_validator(document, path, "get", status).iter_errors(body)]
    assert not errors, errors
    return body


@pytest.mark.backends
def test_list_searches_filters_and_counts(client, corpus, document):  # noqa: F811
    body = checked(document, client.get(LIST), LIST, 200)
    assert [c["slug"] for c in body["contributions"]] == list(reversed(list(corpus)))
    assert (body["total"], body["page"], body["per_page"]) == (9, 1, 20)
    assert {f["value"]: f["count"] for f in body["facets"]["theme"]} == {
        "arbeit": 4, "wohnen": 2, "ehrenamt": 3}
    joblinge = next(c for c in body["contributions"] if c["slug"] == "joblinge")
    assert joblinge["federal_state"] is None and joblinge["body_kind_label"] == "Partner"

    body = checked(document, client.get(LIST, query_string={"q": "Koeln"}), LIST, 200)
    assert [c["slug"] for c in body["contributions"]] == ["koeln", "crimmitschau"]
    body = checked(document, client.get(LIST, query_string={
        "q": "Ausbildung", "theme": "arbeit", "state": "Berlin", "kind": "stadt"}), LIST, 200)
    assert [c["slug"] for c in body["contributions"]] == ["berlin"]
    assert body["contributions"][0]["url"] == "http://praxis.test/praxisbeispiele/berlin"
    assert {f["value"]: f["count"] for f in body["facets"]["state"]} == {"Berlin": 1}


def test_pages(client, make_contribution, document):  # noqa: F811
    for n in range(21):
        make_contribution(slug=f"p{n}", title=f"Projekt {n}")
    body = checked(document, client.get(LIST, query_string={"page": "2"}), LIST, 200)
    assert [c["slug"] for c in body["contributions"]] == ["p0"] and body["total"] == 21
    body = checked(document, client.get(LIST, query_string={"page": "3"}), LIST, 200)
    assert body["contributions"] == [] and body["page"] == 3


@pytest.mark.parametrize("query, fields", [
    ({"page": "0"}, ["page"]), ({"page": "abc"}, ["page"]),
    ({"page": "99999999999999999999"}, ["page"]), ({"page": "10001"}, ["page"]),
    ({"theme": "gibtsnicht"}, ["theme"]), ({"state": "Atlantis"}, ["state"]),
    ({"state": "submitted"}, ["state"]), ({"kind": "Stadt"}, ["kind"]),
    ({"q": "x" * 10_000}, ["q"]), ({"page": "-1", "kind": "x", "state": "y"},
                                   ["kind", "page", "state"]),
])
def test_bad_parameters_are_422_naming_each(client, corpus, document, query, fields):  # noqa: F811
    body = checked(document, client.get(LIST, query_string=query), LIST, 422)
    assert body["error"]["code"] == "invalid_input"
    assert sorted(body["error"]["fields"]) == fields


@pytest.mark.parametrize("q", ['"', "NEAR(a b)", "*", "-", "köln:*A", "😀"])
def test_odd_queries_are_answered(client, corpus, document, q):  # noqa: F811
    checked(document, client.get(LIST, query_string={"q": q}), LIST, 200)


def test_control_characters_are_refused_naming_the_parameter(client, corpus, document):  # noqa: F811
    body = checked(document, client.get(LIST, query_string={"q": "\x00"}), LIST, 422)
    assert list(body["error"]["fields"]) == ["q"]


def test_unknown_parameters_are_ignored_and_empty_ones_too(client, corpus, document):  # noqa: F811
    body = checked(document, client.get(LIST, query_string={
        "foo": "bar", "theme": "", "state": "", "page": ""}), LIST, 200)
    assert body["total"] == 9


@pytest.mark.backends
def test_detail_of_a_published_example(app, client, make_contribution, make_workshop,  # noqa: F811
                                       document):
    shown = make_workshop(starts_at=upcoming(), title="Ausbildung gestalten")
    draft = make_workshop(starts_at=upcoming(), status=WorkshopStatus.draft)
    c = make_contribution(
        slug="lotsen", title="Lotsen", description="**fett** <script>x</script>",
        results="A: 1\n\nB: 2\n", links="https://a.example/\njavascript:alert(1)",
        contact_name="Maria", contact_email="maria@k.example", contact_public=True,
        workshops=[shown, draft])
    db.session.add(Attachment(contribution=c, filename="Bericht.pdf",
                              content_type="application/pdf", size=2048, sha256="0" * 64,
                              storage_key="ab" * 24))
    db.session.commit()
    body = checked(document, client.get(f"/api/v1/contributions/{c.id}"), DETAIL, 200)
    assert "<strong>fett</strong>" in body["description_html"]
    assert "<script>" not in body["description_html"]
    assert body["results"] == ["A: 1", "B: 2"]
    assert body["links"] == ["https://a.example/"]
    assert body["contact"] == {"name": "Maria", "email": "maria@k.example", "phone": None}
    assert [w["title"] for w in body["workshops"]] == ["Ausbildung gestalten"]
    assert body["attachments"][0]["url"].endswith(f"/praxisbeispiele/lotsen/anhang/"
                                                  f"{c.attachments[0].id}")
    c.contact_public = False
    db.session.commit()
    assert client.get(f"/api/v1/contributions/{c.id}").get_json()["contact"] is None


@pytest.mark.parametrize("state", [ContributionState.submitted, ContributionState.returned,
                                   ContributionState.withdrawn])
def test_unpublished_and_unknown_ids_are_404(client, make_contribution, document,  # noqa: F811
                                             state):
    c = make_contribution(state=state)
    for url in (f"/api/v1/contributions/{c.id}", "/api/v1/contributions/424242",
                "/api/v1/contributions/99999999999999999999"):
        body = checked(document, client.get(url), DETAIL, 404)
        assert body["error"]["code"] == "not_found"


def test_the_document_names_state_as_the_federal_state(document):
    parameters = {p["name"]: p for p in
                  document["paths"][LIST]["get"]["parameters"]}
    assert set(parameters) == {"q", "theme", "state", "kind", "page"}
    assert "Bundesland" in parameters["state"]["description"]
    assert "Nordrhein-Westfalen" in str(parameters["state"]["schema"])
    assert parameters["page"]["schema"]["maximum"] == 10_000
