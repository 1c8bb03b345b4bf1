"""The organiser API: bearer tokens with their owner's role, the two registration lists.

Tokens are made through the real service; registrations through the real seat
services. Every answer is JSON, never cached; no token, a revoked one or a
deactivated owner is a 401 with ``WWW-Authenticate: Bearer``.
"""

from __future__ import annotations

import pytest

from events.extensions import db
from events.models import ApiToken
from events.services import accounts, api_tokens, seats
from tests.conftest import applicant, confirmed

REGS = "/api/v1/organiser/registrations"


def workshop_url(workshop_id) -> str:
    return f"/api/v1/organiser/workshops/{workshop_id}/registrations"


@pytest.fixture
def make_token(make_organiser):
    """``make_token("admin")`` → (owner, secret) of a fresh token."""
    def make(role: str = "organiser", owner=None):
        owner = owner or make_organiser(role)
        _row, secret = api_tokens.create(owner, "Auswertung")
        db.session.commit()
        return owner, secret
    return make


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def filled(make_workshop, now):
    """A workshop of 2 seats: two confirmed (one with health data), a pending one after a
    cancellation, two on the waiting list; and a second workshop with one person."""
    workshop = make_workshop(capacity=2, title="Integration vor Ort")
    first = seats.register(workshop.id, applicant(
        1, name="Jürgen Öztürk-Weiß", municipality="Landkreis Görlitz",
        remarks="Vegetarisch", accessibility_needs="Rollstuhl",
        accessibility_consent=True), now=now).registration
    db.session.commit()
    seats.confirm(first.id, now=now)
    db.session.commit()
    confirmed(workshop, 2, now)
    waiting = []
    for n in (3, 4):
        waiting.append(seats.register(workshop.id, applicant(n), now=now).registration)
        db.session.commit()
    other = make_workshop(capacity=5, title="Wohnen")
    confirmed(other, 5, now)
    return workshop, other, first, waiting


# --- authentication -------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer "},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer pxa_unbekannt"},
    {"Authorization": "Bearer pxa_\xff\xfe\x00kaputt"},
    {"Authorization": "Bearer pxa_ünïcødé"},
    {"Authorization": "Bearer " + "pxa_" + "a" * 10_000},
    {"Authorization": "Bearer pxa_a pxa_b"},
    {"Authorization": "bearer  "},
])
def test_without_a_valid_token_the_answer_is_401(client, filled, headers):
    for url in (workshop_url(filled[0].id), REGS, "/api/v1/organiser/accounts",
                workshop_url(2**31 - 1)):
        response = client.get(url, headers=headers)
        assert response.status_code == 401, (url, response.data[:200])
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert "registrations" not in response.get_json()


def test_revoked_token_is_refused(client, filled, make_token):
    owner, secret = make_token()
    assert client.get(REGS, headers=bearer(secret)).status_code == 200
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.organiser_id == owner.id))
    api_tokens.revoke(token.id, owner)
    db.session.commit()
    response = client.get(REGS, headers=bearer(secret))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_token_of_a_deactivated_owner_is_refused_and_works_again_after_reactivation(
        client, filled, make_token, make_organiser):
    make_organiser("admin")  # so the owner is not the last admin
    owner, secret = make_token("admin")
    accounts.set_active(owner, False, actor=None)
    db.session.commit()
    assert client.get(REGS, headers=bearer(secret)).status_code == 401
    accounts.set_active(owner, True, actor=None)
    db.session.commit()
    assert client.get(REGS, headers=bearer(secret)).status_code == 200


def test_the_session_gives_no_authority_here(admin_client, filled):
    """A logged-in browser is not a token: no cookie-borne requests to the API."""
    assert admin_client.get(REGS).status_code == 401


def test_organiser_token_on_an_admin_route_is_403_and_admin_token_lists(client, make_token):
    _owner, secret = make_token("organiser")
    response = client.get("/api/v1/organiser/accounts", headers=bearer(secret))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    admin, admin_secret = make_token("admin")
    response = client.get("/api/v1/organiser/accounts", headers=bearer(admin_secret))
    assert response.status_code == 200
    listed = {row["email"]: row for row in response.get_json()["accounts"]}
    assert listed[admin.email]["role"] == "admin"
    assert "password_hash" not in listed[admin.email]


def test_the_token_acts_with_the_owners_current_role(client, make_token, make_organiser):
    make_organiser("admin")
    owner, secret = make_token("admin")
    assert client.get("/api/v1/organiser/accounts", headers=bearer(secret)).status_code == 200
    accounts.set_role(owner, accounts.Role.organiser, actor=None)
    db.session.commit()
    assert client.get("/api/v1/organiser/accounts", headers=bearer(secret)).status_code == 403


def test_a_route_missing_from_the_permission_table_is_refused(app, client, make_token):
    """A future route someone forgets to list must not be open to every token."""
    from events.web.organiser import api

    assert set(api.ROUTE_PERMISSIONS) == {
        rule.endpoint for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("organiser_api.")}
    _owner, secret = make_token("admin")
    del api.ROUTE_PERMISSIONS["organiser_api.accounts"]
    try:
        assert client.get("/api/v1/organiser/accounts", headers=bearer(secret)).status_code == 403
    finally:
        api.ROUTE_PERMISSIONS["organiser_api.accounts"] = "manage_accounts"


def test_use_is_noted_and_answers_are_not_cached(client, filled, make_token):
    owner, secret = make_token()
    response = client.get(REGS, headers=bearer(secret))
    assert response.headers["Cache-Control"] == "no-store"
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.organiser_id == owner.id))
    db.session.refresh(token)
    assert token.last_used_at is not None


# --- one workshop -------------------------------------------------------------------------


@pytest.mark.backends
def test_workshop_registrations(client, filled, make_token):
    workshop, _other, first, waiting = filled
    _owner, secret = make_token()
    response = client.get(workshop_url(workshop.id), headers=bearer(secret))
    assert response.status_code == 200, response.data
    data = response.get_json()
    assert data["workshop"]["title"] == "Integration vor Ort"
    assert "health_data" not in data
    rows = data["registrations"]
    assert [row["status"] for row in rows] == ["confirmed", "confirmed", "waitlisted",
                                               "waitlisted"]
    assert [row["waitlist_position"] for row in rows] == [None, None, 1, 2]
    assert rows[2]["id"] == waiting[0].id
    jurgen = next(row for row in rows if row["id"] == first.id)
    assert jurgen["name"] == "Jürgen Öztürk-Weiß"
    assert jurgen["municipality"] == "Landkreis Görlitz"
    assert jurgen["remarks"] == "Vegetarisch"
    assert jurgen["confirmed_at"].endswith("+01:00")
    assert jurgen["attended_at"] is None
    assert "accessibility_needs" not in jurgen
    assert "Rollstuhl" not in response.get_data(as_text=True)


def test_accessibility_needs_only_when_asked_and_flagged(client, filled, make_token):
    workshop, _other, first, _waiting = filled
    _owner, secret = make_token()
    response = client.get(workshop_url(workshop.id) + "?include=accessibility",
                          headers=bearer(secret))
    data = response.get_json()
    assert data["health_data"] is True
    assert "Art. 9 DSGVO" in data["health_data_notice"]
    needs = {row["id"]: row["accessibility_needs"] for row in data["registrations"]}
    assert needs[first.id] == "Rollstuhl"
    assert list(needs.values()).count(None) == 3
    response = client.get(REGS + "?include=accessibility&q=Öztürk", headers=bearer(secret))
    assert response.get_json()["registrations"][0]["accessibility_needs"] == "Rollstuhl"


@pytest.mark.parametrize("suffix", ["0", "99999999999999999999", "9223372036854775808",
                                    "424242"])
def test_unknown_or_huge_workshop_id_is_404(client, make_token, suffix, programme):
    _owner, secret = make_token()
    response = client.get(workshop_url(suffix), headers=bearer(secret))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_draft_workshops_are_listed_for_organisers(client, make_workshop, make_token):
    from events.models import WorkshopStatus

    draft = make_workshop(status=WorkshopStatus.draft)
    _owner, secret = make_token()
    response = client.get(workshop_url(draft.id), headers=bearer(secret))
    assert response.status_code == 200
    assert response.get_json()["workshop"]["status"] == "draft"


# --- across the programme ---------------------------------------------------------------------


@pytest.mark.backends
def test_programme_registrations_filter_search_and_pages(client, filled, make_token):
    _owner, secret = make_token()

    def get(query=""):
        response = client.get(REGS + query, headers=bearer(secret))
        assert response.status_code == 200, response.data
        return response.get_json()

    everything = get()
    assert everything["total"] == 5 and everything["pages"] == 1
    assert [row["workshop_title"] for row in everything["registrations"]].count("Wohnen") == 1
    assert get("?status=waitlisted")["total"] == 2
    assert [row["name"] for row in get("?q=öztürk")["registrations"]] == ["Jürgen Öztürk-Weiß"]
    assert get("?q=GÖRLITZ")["total"] == 1
    assert get("?q=Görlitz")["total"] == 1
    assert get("?q=person3@kommune")["total"] == 1
    assert get("?q=%25")["total"] == 0  # a literal %, not a wildcard
    assert get("?q=_")["total"] == 0
    first, second, third = (get(f"?per_page=2&page={n}") for n in (1, 2, 3))
    assert first["pages"] == 3 and len(third["registrations"]) == 1
    ids = [row["id"] for page in (first, second, third) for row in page["registrations"]]
    assert sorted(ids) == sorted(row["id"] for row in everything["registrations"])
    assert get("?page=9")["registrations"] == []


@pytest.mark.parametrize("query, field", [
    ("?status=angemeldet", "status"),
    ("?page=0", "page"),
    ("?page=-1", "page"),
    ("?page=abc", "page"),
    ("?page=99999999999999999999", "page"),
    ("?page=١", "page"),  # an Arabic-Indic digit: isdigit() but not ours
    ("?per_page=201", "per_page"),
    ("?per_page=0", "per_page"),
    ("?q=" + "x" * 201, "q"),
    ("?include=alles", "include"),
])
def test_bad_parameters_are_422_naming_the_field(client, filled, make_token, query, field):
    _owner, secret = make_token()
    response = client.get(REGS + query, headers=bearer(secret))
    assert response.status_code == 422, response.data
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert field in error["fields"]


def test_odd_search_text_never_fails(client, filled, make_token):
    _owner, secret = make_token()
    for q in ("🙂", "'; DROP TABLE registration; --", "\\", "ä" * 200, "%_%"):
        response = client.get(REGS, query_string={"q": q}, headers=bearer(secret))
        assert response.status_code == 200, (q, response.data)


def test_without_a_programme_the_list_is_empty(client, make_token):
    _owner, secret = make_token()
    data = client.get(REGS, headers=bearer(secret)).get_json()
    assert data["registrations"] == [] and data["total"] == 0


def test_other_methods_are_405_json(client, filled, make_token):
    _owner, secret = make_token()
    response = client.post(REGS, headers=bearer(secret), json={})
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


@pytest.mark.backends
def test_control_characters_in_the_search_never_fail(client, filled, make_token):
    """PostgreSQL refuses NUL in a string: control characters are refused at the edge with a
    422 naming the parameter (issue 13); a line break is only white space."""
    _owner, secret = make_token()
    for q in ("\x00", "Öz\x00türk", "\x1b[31m", "\x00Öztürk\x07"):
        response = client.get(REGS, query_string={"q": q}, headers=bearer(secret))
        assert response.status_code == 422, (q, response.data)
        assert list(response.get_json()["error"]["fields"]) == ["q"]
    response = client.get(REGS, query_string={"q": "Jürgen\nÖztürk"}, headers=bearer(secret))
    assert response.status_code == 200
