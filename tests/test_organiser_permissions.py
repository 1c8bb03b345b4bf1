"""Every route under /organiser and /api/v1/organiser, asked anonymously, as organiser and as
admin: the answer each must give. The routes come from the URL map, so a new route is covered
the day it is added (and must be listed in ``access`` if it is open or needs more)."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter, Rule

from events.extensions import db
from events.services import api_tokens, permissions
from events.web.organiser.access import OPEN_ENDPOINTS, required_permission
from tests.conftest import login

CSRF_VALUE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _routes(app) -> list[tuple[Rule, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/organiser") or rule.rule.startswith("/api/v1/organiser")):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule, method))
    return found


def _url(rule: Rule, workshop_id: int) -> str:
    """The rule with every argument filled: ints with an existing workshop's id."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        values[name] = workshop_id if isinstance(converter, IntegerConverter) else "x"
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[^:>]+:)?{name}>", str(value), path)
    return path


def _csrf(client) -> str:
    page = client.get("/organiser/login")
    match = CSRF_VALUE.search(page.get_data(as_text=True))
    if match:
        return match.group(1)
    page = client.get("/organiser/")
    return CSRF_VALUE.search(page.get_data(as_text=True)).group(1)


@pytest.fixture
def setting(app, make_workshop, now):
    from tests.conftest import confirmed

    workshop = make_workshop(capacity=5)
    confirmed(workshop, 1, now)
    return workshop


def test_there_are_routes_to_check(app):
    assert len(_routes(app)) >= 10


def test_anonymous_never_gets_data(app, setting):
    client = app.test_client()
    token = _csrf(client)
    for rule, method in _routes(app):
        url = _url(rule, setting.id)
        if rule.endpoint in OPEN_ENDPOINTS:
            continue
        response = client.open(url, method=method, data={"csrf_token": token})
        if rule.rule.startswith("/api/"):
            assert response.status_code == 401, (method, url, response.status_code)
            assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
        else:
            assert response.status_code in (303, 401), (method, url, response.status_code)
            if response.status_code == 303:
                assert response.headers["Location"].startswith("/organiser/login")


@pytest.mark.parametrize("role", ["organiser", "admin"])
def test_each_role_gets_what_the_permission_table_says(app, setting, make_organiser, role):
    from events.models import Role

    account = make_organiser(role)
    client = app.test_client()
    login(client, account)
    token = _csrf(client)
    for rule, method in _routes(app):
        if rule.rule.startswith("/api/") or rule.endpoint in OPEN_ENDPOINTS:
            continue
        if rule.endpoint in {"organiser.auth.logout"}:
            continue  # would end this client's session; tested in test_organiser_auth
        url = _url(rule, setting.id)
        response = client.open(url, method=method, data={"csrf_token": token})
        may = permissions.allowed(account, required_permission(rule.endpoint))
        if may:
            assert response.status_code not in (401, 403, 500), (method, url,
                                                                 response.status_code)
            assert not (response.status_code == 303 and "/organiser/login" in
                        response.headers.get("Location", "")), (method, url)
        else:
            assert account.role == Role.organiser
            assert response.status_code == 403, (method, url, response.status_code)


def test_api_routes_with_tokens_of_each_role(app, setting, make_organiser):
    routes = [(rule, method) for rule, method in _routes(app) if rule.rule.startswith("/api/")]
    assert routes, "the organiser API has routes"
    secrets = {}
    for role in ("organiser", "admin"):
        account = make_organiser(role)
        _, secrets[role] = api_tokens.create(account, f"Token {role}")
    db.session.commit()
    client = app.test_client()
    for rule, method in routes:
        url = _url(rule, setting.id)
        for role, secret in secrets.items():
            response = client.open(url, method=method,
                                   headers={"Authorization": f"Bearer {secret}"})
            assert response.status_code not in (401, 500), (role, method, url)
        garbage = client.open(url, method=method, headers={"Authorization": "Bearer pxa_nope"})
        assert garbage.status_code == 401, (method, url)


def test_every_form_refuses_a_post_without_csrf_token(app, setting, make_organiser):
    account = make_organiser("admin")
    client = app.test_client()
    login(client, account)
    for rule, method in _routes(app):
        if method != "POST" or rule.rule.startswith("/api/"):
            continue
        response = client.post(_url(rule, setting.id), data={})
        assert response.status_code == 400, (rule.rule, response.status_code)
