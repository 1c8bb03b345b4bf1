"""Which address absolute links name (``events/urls.py``).

Without ``BASE_URL`` a page links to the address it was requested on (behind a trusted
proxy: the forwarded one); with it, everything uses it. Links that leave the request
(e-mails) take the request's host only when it is trusted (loopback or ``ALLOWED_HOSTS``),
because the Host header is whatever the sender wrote. Identifiers (iCalendar UIDs,
Message-IDs) never follow the request.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from events import urls
from events.config import DEFAULT_BASE_URL
from events.extensions import db
from events.models import OutboxMessage, Workshop, utcnow
from tests.server_support import GunicornServer, person

UNSET = {"BASE_URL": None}


def registration_body(n: int | str) -> dict:
    return person(n)


def register_via_api(client, workshop: Workshop, n, **kwargs) -> OutboxMessage:
    response = client.post(f"/api/v1/workshops/{workshop.id}/registrations",
                           json=registration_body(n), **kwargs)
    assert response.status_code == 202, response.get_data(as_text=True)
    db.session.rollback()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()


def links_in(text: str) -> set[str]:
    """Scheme and host of every absolute http(s)/webcal link in ``text``."""
    return set(re.findall(r"\b((?:https?|webcal)://[^/\s\"'<>]+)", text))


# --- pages follow the request, or BASE_URL --------------------------------------------------


@pytest.mark.parametrize("config_overrides", [UNSET])
def test_without_base_url_pages_link_to_the_requested_address(app, client, make_workshop):
    workshop = make_workshop()
    other = "http://andere-adresse.example:8123"

    page = client.get("/", base_url=other).get_data(as_text=True)
    assert "webcal://andere-adresse.example:8123/calendar.ics" in page
    assert f"{other}/calendar.ics" in page
    assert "127.0.0.1:5000" not in page and "praxis.test" not in page

    detail = client.get(f"/api/v1/workshops/{workshop.id}", base_url=other).get_json()
    assert detail["url"] == f"{other}/workshops/{workshop.slug}"
    listed = client.get("/api/v1/workshops", base_url=other).get_json()
    assert [item["url"] for item in listed["workshops"]] == [
        f"{other}/workshops/{workshop.slug}"]
    assert client.get("/api/openapi.json", base_url=other).get_json()["servers"] == [
        {"url": other}]
    feed = client.get("/calendar.ics", base_url=other).get_data(as_text=True)
    assert f"{other}/workshops/{workshop.slug}" in feed.replace("\r\n ", "")


def test_with_base_url_every_page_uses_it_whatever_the_host(app, client, make_workshop):
    workshop = make_workshop()
    other = "http://andere-adresse.example:8123"

    page = client.get("/", base_url=other).get_data(as_text=True)
    assert "webcal://praxis.test/calendar.ics" in page
    assert "andere-adresse" not in page
    detail = client.get(f"/api/v1/workshops/{workshop.id}", base_url=other).get_json()
    assert detail["url"] == f"http://praxis.test/workshops/{workshop.slug}"
    assert client.get("/api/openapi.json", base_url=other).get_json()["servers"] == [
        {"url": "http://praxis.test"}]


@pytest.mark.parametrize("config_overrides", [{**UNSET, "TRUSTED_PROXIES": 1}])
def test_behind_a_trusted_proxy_pages_link_to_the_forwarded_address(app, client,
                                                                    make_workshop):
    make_workshop()
    page = client.get("/", headers={"X-Forwarded-Host": "praxis.kommune.example",
                                    "X-Forwarded-Proto": "https"},
                      environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
    assert "webcal://praxis.kommune.example/calendar.ics" in page
    assert "https://praxis.kommune.example/calendar.ics" in page


@pytest.mark.parametrize("config_overrides", [UNSET])
def test_without_a_trusted_proxy_forwarded_host_is_ignored(app, client, make_workshop):
    make_workshop()
    page = client.get("/", headers={"X-Forwarded-Host": "evil.example"}).get_data(as_text=True)
    assert "evil.example" not in page
    assert "webcal://localhost/calendar.ics" in page  # the test client's own host


# --- mails: never an untrusted host ----------------------------------------------------------


@pytest.mark.parametrize("config_overrides", [UNSET])
def test_a_mail_queued_under_a_foreign_host_links_to_the_default(app, client, make_workshop):
    """An attacker registering someone else's address with ``Host: evil.example`` must not
    get the victim's personal link pointed at evil.example."""
    workshop = make_workshop()
    message = register_via_api(client, workshop, 1, base_url="http://evil.example")
    text = message.body_text + message.body_html
    assert f"{DEFAULT_BASE_URL}/anmeldung/" in text
    assert "evil.example" not in text + (message.ical or "")
    assert links_in(text) <= {DEFAULT_BASE_URL}


@pytest.mark.parametrize("config_overrides", [
    {**UNSET, "ALLOWED_HOSTS": ["praxis.kommune.example"]}])
def test_a_mail_queued_under_an_allowed_host_links_there(app, client, make_workshop):
    workshop = make_workshop()
    message = register_via_api(client, workshop, 1, base_url="https://praxis.kommune.example")
    assert "https://praxis.kommune.example/anmeldung/" in message.body_text
    message = register_via_api(client, workshop, 2, base_url="https://nicht-erlaubt.example")
    assert f"{DEFAULT_BASE_URL}/anmeldung/" in message.body_text


@pytest.mark.parametrize("config_overrides", [UNSET])
def test_a_mail_queued_on_loopback_links_to_that_port(app, client, make_workshop):
    """``flask run --port 5001`` on one's own machine: mails work without any setting."""
    workshop = make_workshop()
    message = register_via_api(client, workshop, 1, base_url="http://127.0.0.1:5001")
    assert "http://127.0.0.1:5001/anmeldung/" in message.body_text


def test_with_base_url_mails_use_it_whatever_the_host(app, client, make_workshop):
    workshop = make_workshop()
    message = register_via_api(client, workshop, 1, base_url="http://127.0.0.1:5001")
    assert "http://praxis.test/anmeldung/" in message.body_text
    assert links_in(message.body_text) <= {"http://praxis.test"}


@pytest.mark.parametrize("config_overrides", [UNSET])
def test_identifiers_never_follow_the_request(app, client, make_workshop):
    workshop = make_workshop()
    message = register_via_api(client, workshop, 1, base_url="http://evil.example")
    assert message.message_id.endswith("@127.0.0.1>")
    with app.test_request_context("/", base_url="http://evil.example"):
        assert workshop.ical_uid.endswith("@127.0.0.1")
        assert urls.stable_host() == "127.0.0.1"


# --- outside a request -----------------------------------------------------------------------


@pytest.mark.parametrize("config_overrides", [UNSET])
def test_outside_a_request_the_default_is_used_and_the_worker_warns(app, caplog):
    assert urls.base_url() == urls.base_url(mail=True) == DEFAULT_BASE_URL
    with caplog.at_level(logging.WARNING, logger="events.urls"):
        urls.warn_if_unset(app)
    assert "BASE_URL is not set" in caplog.text and DEFAULT_BASE_URL in caplog.text


def test_outside_a_request_base_url_is_used_and_the_worker_is_quiet(app, caplog):
    assert urls.base_url(mail=True) == "http://praxis.test"
    with caplog.at_level(logging.WARNING, logger="events.urls"):
        urls.warn_if_unset(app)
    assert "BASE_URL" not in caplog.text


# --- a real server on another port -----------------------------------------------------------


def test_gunicorn_without_base_url_shows_its_own_port(app, database_url, tmp_path, make_workshop):
    make_workshop(starts_at=utcnow() + timedelta(days=30))
    with GunicornServer(database_url, tmp_path, workers=1, env={"BASE_URL": ""}) as server:
        page = requests.get(server.url + "/", timeout=10).text
        spec = requests.get(server.url + "/api/openapi.json", timeout=10).json()
    assert f"webcal://127.0.0.1:{server.port}/calendar.ics" in page
    assert "127.0.0.1:5000" not in page
    assert spec["servers"] == [{"url": server.url}]


def test_gunicorn_with_base_url_shows_it(app, database_url, tmp_path, make_workshop):
    make_workshop(starts_at=utcnow() + timedelta(days=30))
    with GunicornServer(database_url, tmp_path, workers=1,
                        env={"BASE_URL": "https://praxis.kommune.example"}) as server:
        page = requests.get(server.url + "/", timeout=10).text
    assert "webcal://praxis.kommune.example/calendar.ics" in page
    assert f"127.0.0.1:{server.port}" not in page


@pytest.mark.parametrize("config_overrides", [{}, UNSET])
@pytest.mark.parametrize("host", ["x" * 300, "a..b", 'evil"><script>x</script>', "ä.example"])
def test_a_hostile_host_header_gets_an_answer_never_a_500(app, client, make_workshop, host):
    """A name IDNA cannot encode (label over 63 characters, empty label) is a 400 from
    routing already; the error page then has no URL adapter to build its links with."""
    make_workshop()
    for path in ("/", "/api/openapi.json", "/calendar.ics", "/healthz"):
        response = client.get(path, headers={"Host": host})
        assert response.status_code in (200, 400), (path, response.status_code)
        assert "<script>x" not in response.get_data(as_text=True)
