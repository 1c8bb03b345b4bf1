"""Behind a reverse proxy and with oversized bodies."""

from __future__ import annotations

import pytest

from events import create_app
from tests.conftest import base_config


@pytest.fixture
def make_app(database_url, tmp_path):
    def make(**overrides):
        return create_app({**base_config(database_url, tmp_path), **overrides})
    return make


def remote_addr_seen(app) -> str:
    """The client address the app sees for a request from 127.0.0.1 via a proxy header."""
    seen = []

    @app.get("/_whoami")
    def whoami():
        from flask import request
        seen.append(request.remote_addr)
        return "ok"

    app.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.7"},
                          environ_base={"REMOTE_ADDR": "127.0.0.1"})
    return seen[0]


def test_client_address_comes_from_the_trusted_proxy(make_app):
    assert remote_addr_seen(make_app(TRUSTED_PROXIES=1)) == "203.0.113.7"


def test_without_trusted_proxy_the_header_is_ignored(make_app):
    assert remote_addr_seen(make_app()) == "127.0.0.1"


def test_oversized_api_body_gets_413_json(make_app, make_workshop):
    app = make_app(MAX_CONTENT_LENGTH=2048)
    response = app.test_client().post(
        "/api/v1/workshops/1/registrations", data=b'{"name": "' + b"x" * 5000 + b'"}',
        content_type="application/json")
    assert response.status_code == 413
    assert response.is_json and response.json["error"]["code"] == "payload_too_large"
    assert "zu groß" in response.json["error"]["message"]


# --- where the limits are checked ------------------------------------------------------------


def limit_hook_installed(app) -> bool:
    from events.extensions import limiter

    return limiter._check_request_limit in app.before_request_funcs.get(None, [])


def test_limits_on_routes_are_checked_by_their_route_alone(make_app, make_workshop):
    """No app-wide limit configured: the per-request hook is gone, the route's own limit
    still answers 429 (HTML and API), with its headers."""
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_REGISTRATION="2 per minute")
    assert not limit_hook_installed(app)
    client = app.test_client()
    for _ in range(5):
        assert client.get("/").status_code == 200  # pages carry no limit
    answers = [client.post("/api/v1/workshops/1/registrations", json={})
               for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 429]  # counted before the lookup
    assert answers[0].headers["X-RateLimit-Limit"] == "2"
    assert answers[2].status_code == 429 and answers[2].json["error"]["code"]


@pytest.fixture
def app_wide_limits_forgotten():
    """flask-limiter keeps app-wide limits in its one (module-level) manager for every
    later app of the process: the tests after this one must not inherit them."""
    from events.extensions import limiter

    yield
    limiter.limit_manager.set_default_limits([])
    limiter.limit_manager.set_application_limits([])


@pytest.mark.parametrize("setting", ["RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION"])
def test_an_app_wide_limit_keeps_the_hook_and_applies_to_every_page(
        make_app, setting, app_wide_limits_forgotten):
    app = make_app(RATELIMIT_ENABLED=True, **{setting: "3 per minute"})
    assert limit_hook_installed(app)
    client = app.test_client()
    assert [client.get("/").status_code for _ in range(4)] == [200, 200, 200, 429]
