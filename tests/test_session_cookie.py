"""The signed session cookie: built once per key set, read and refused as Flask does."""

from __future__ import annotations

import pytest
from flask.sessions import SecureCookieSessionInterface

from events import create_app
from events.web.session_cookie import SignedCookieSessions
from tests.conftest import TEST_SECRET, base_config


@pytest.fixture
def make_app(database_url, tmp_path):
    """The app with two routes that set and show a session value ``v``."""
    def make(**overrides):
        app = create_app({**base_config(database_url, tmp_path), **overrides})

        @app.get("/_set/<value>")
        def set_value(value):
            from flask import session
            session["v"] = value
            return "ok"

        @app.get("/_get")
        def get_value():
            from flask import session
            return session.get("v", "-")

        return app
    return make


@pytest.fixture
def app(make_app):
    return make_app()


def cookie_of(response) -> str:
    return response.headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1]


def test_the_serializer_is_built_once_per_key_set(app):
    sessions = app.session_interface
    assert isinstance(sessions, SignedCookieSessions)
    first = sessions.get_signing_serializer(app)
    assert sessions.get_signing_serializer(app) is first
    app.secret_key = "another key"
    assert sessions.get_signing_serializer(app) is not first


def test_the_cookie_is_flasks_own(app):
    """Byte for byte what Flask's interface writes, and each reads the other's."""
    cookie = cookie_of(app.test_client().get("/_set/äöü"))
    flask_serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert flask_serializer.loads(cookie) == {"v": "äöü"}
    assert app.session_interface.get_signing_serializer(app).loads(
        flask_serializer.dumps({"v": "x"})) == {"v": "x"}


def test_rotated_keys(app):
    """A new key with the old as fallback still reads the old cookie; without the
    fallback the session is empty (a forged or foreign cookie is ignored, no error)."""
    client = app.test_client()
    cookie = cookie_of(client.get("/_set/alt"))
    app.secret_key = "the new key"
    app.config["SECRET_KEY_FALLBACKS"] = [TEST_SECRET]
    client.set_cookie("session", cookie)
    assert client.get("/_get").text == "alt"
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/_get").text == "-"
    client.set_cookie("session", cookie[:-3] + "AAA")
    assert client.get("/_get").status_code == 200


def test_a_cookie_is_verified_once_per_request_with_the_page_cache(make_app):
    """The page cache's FastPath reads the cookie first (is the session personal?); Flask's
    session takes what it read instead of verifying the signature again."""
    app = make_app(PAGE_CACHE_SECONDS=30)
    client = app.test_client()
    client.get("/_set/x")
    serializer = app.session_interface.get_signing_serializer(app)
    calls = []
    original = serializer.loads
    serializer.loads = lambda *a, **k: calls.append(1) or original(*a, **k)
    for path in ("/", "/_get"):
        calls.clear()
        response = client.get(path)
        assert response.status_code == 200 and len(calls) == 1, path
    assert response.text == "x"


def test_an_expired_cookie_is_an_empty_session_for_both_readers(make_app):
    from datetime import timedelta

    app = make_app(PAGE_CACHE_SECONDS=30)

    @app.get("/_flash")
    def set_flash():
        from flask import session
        session["_flashes"] = [("info", "Hallo")]  # personal: FastPath hands it to Flask
        return "ok"

    client = app.test_client()
    client.get("/_flash")
    app.permanent_session_lifetime = timedelta(seconds=-1)  # every cookie is too old
    from flask import session

    with app.test_request_context("/", headers={"Cookie": client.get_cookie("session")
                                                .key + "=" + client.get_cookie("session")
                                                .value}):
        assert dict(session) == {}
    assert app.wsgi_app._personal(client.get_cookie("session").value, {}) is False
