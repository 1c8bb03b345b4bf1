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
