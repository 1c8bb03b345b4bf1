"""The back office's door: login, logout, throttling, idle sessions, password links, CLI."""

from __future__ import annotations

import re
import time

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select

from events.extensions import db
from events.models import AuditEntry, OutboxMessage, Role
from events.services import accounts
from tests.conftest import ORGANISER_PASSWORD, login
from tests.pages_support import csrf_token, main


def _login_post(client, email, password, **extra):
    token = csrf_token(client, "/organiser/login")
    return client.post("/organiser/login", data={"csrf_token": token, "email": email,
                                                 "password": password, **extra})


def test_anonymous_pages_redirect_to_login_and_json_gets_401(client):
    response = client.get("/organiser/workshops/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/organiser/login?next=/organiser/workshops/")
    response = client.get("/organiser/workshops/", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.backends
def test_login_changes_the_session_and_logout_ends_it(app, client, make_organiser):
    organiser = make_organiser("admin")
    client.get("/organiser/login")
    before = client.get_cookie("session").value
    response = login(client, organiser)
    after = client.get_cookie("session")
    assert after.value != before
    assert after.http_only and after.same_site == "Lax"
    assert response.headers["Location"] == "/organiser/"
    assert client.get("/organiser/").status_code == 200
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organiser.login"))
    assert entry.actor_id == organiser.id
    page = client.get("/organiser/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    out = client.post("/organiser/logout", data={"csrf_token": token})
    assert out.status_code == 303, main(out.data)
    assert client.get("/organiser/").status_code == 303


def test_a_session_cookie_from_before_the_login_is_worthless_afterwards(app, make_organiser):
    """Session fixation: the cookie an attacker planted before the login gains nothing."""
    organiser = make_organiser()
    victim = app.test_client()
    victim.get("/organiser/login")
    planted = victim.get_cookie("session").value
    login(victim, organiser)
    attacker = app.test_client()
    attacker.set_cookie("session", planted)
    assert attacker.get("/organiser/").status_code == 303


@pytest.mark.parametrize("email, password", [
    ("orga-unknown@kgst.example", ORGANISER_PASSWORD),  # no such account
    (None, "falsches Passwort 123"),                   # wrong password
])
def test_wrong_login_says_the_same_either_way(client, make_organiser, email, password):
    organiser = make_organiser()
    response = _login_post(client, email or organiser.email, password)
    assert response.status_code == 401
    assert "E-Mail-Adresse oder Passwort sind nicht richtig." in main(response.data)
    assert client.get("/organiser/").status_code == 303


def test_deactivated_account_cannot_log_in_and_loses_its_session(app, make_organiser):
    organiser = make_organiser()
    client = app.test_client()
    login(client, organiser)
    accounts.set_active(organiser, False, actor=None)
    db.session.commit()
    assert client.get("/organiser/").status_code == 303
    response = _login_post(app.test_client(), organiser.email, ORGANISER_PASSWORD)
    assert response.status_code == 401
    assert "nicht richtig" in main(response.data)


def test_throttle_per_account_then_even_the_right_password_waits(app, client, make_organiser):
    organiser = make_organiser()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _login_post(client, organiser.email, "falsch falsch falsch").status_code == 401
    response = _login_post(client, organiser.email, ORGANISER_PASSWORD)
    assert response.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in main(response.data)
    # an unknown account is throttled with exactly the same words
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _login_post(client, "niemand@kgst.example", "falsch falsch falsch")
    unknown = _login_post(client, "niemand@kgst.example", "falsch falsch falsch")
    assert unknown.status_code == 429
    assert main(unknown.data) .replace("niemand@kgst.example", "") == main(response.data).replace(
        organiser.email, "")


@pytest.mark.parametrize("config_overrides", [{"LOGIN_MAX_FAILURES_PER_ADDRESS": 3}])
def test_throttle_per_address_across_accounts(client, make_organiser, config_overrides):
    organiser = make_organiser()
    for n in range(3):
        _login_post(client, f"versuch{n}@kgst.example", "falsch falsch falsch")
    assert _login_post(client, organiser.email, ORGANISER_PASSWORD).status_code == 429


def test_idle_session_expires(app, make_organiser):
    organiser = make_organiser()
    client = app.test_client()
    login(client, organiser)
    with client.session_transaction() as session:
        session["organiser_seen"] = time.time() - 61 * 60
    response = client.get("/organiser/workshops/")
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "ohne Aktivität abgemeldet" in main(page.data)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil",
                                    "/anderswo", "javascript:alert(1)"])
def test_next_never_leaves_the_back_office(client, make_organiser, target):
    organiser = make_organiser()
    response = _login_post(client, organiser.email, ORGANISER_PASSWORD, next=target)
    assert response.headers["Location"] == "/organiser/"


def test_next_inside_the_back_office_is_followed(client, make_organiser):
    organiser = make_organiser()
    response = _login_post(client, organiser.email, ORGANISER_PASSWORD,
                           next="/organiser/workshops/")
    assert response.headers["Location"] == "/organiser/workshops/"


def test_login_without_csrf_token_is_refused(client, make_organiser):
    organiser = make_organiser()
    response = client.post("/organiser/login", data={"email": organiser.email,
                                                     "password": ORGANISER_PASSWORD})
    assert response.status_code == 400
    assert client.get("/organiser/").status_code == 303


def test_secure_cookie_when_served_over_https(tmp_path, database_url):
    from events import create_app
    from tests.conftest import base_config

    app = create_app({**base_config(database_url, tmp_path), "BASE_URL": "https://praxis.test",
                      "SESSION_COOKIE_SECURE": True})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    from events.config import load_config

    assert load_config(tmp_path, {"BASE_URL": "https://x.example"})["SESSION_COOKIE_SECURE"]
    assert not load_config(tmp_path, {"BASE_URL": "http://x.example"})["SESSION_COOKIE_SECURE"]


# --- passwords ---------------------------------------------------------------------------


@pytest.mark.parametrize("password, words", [
    ("kurz", "mindestens 12 Zeichen"),
    ("passwort1234", "zu leicht zu erraten"),
    ("aaaaaaaaaaaaaaaa", "zu leicht zu erraten"),
    ("orga.test-ist-lang", "zu leicht zu erraten"),  # contains the address's name
])
def test_weak_passwords_are_refused_with_a_reason(password, words):
    assert words in accounts.password_problem(password, "orga.test@kgst.example")


def test_hash_is_argon2id_and_never_the_password(make_organiser):
    organiser = make_organiser()
    assert organiser.password_hash.startswith("$argon2id$")
    assert ORGANISER_PASSWORD not in organiser.password_hash


def test_the_application_hashes_with_argon2_cffi_defaults(
        production_password_hashing, client, make_organiser):
    """The other tests hash with the cheapest argon2id (conftest.CHEAP_HASHER); the
    application's own parameters are argon2-cffi's defaults (64 MiB, three passes), for
    accounts and for the hash an unknown address is checked against, and logging in
    checks such a hash."""
    defaults = extract_parameters(PasswordHasher().hash("x"))
    assert defaults.memory_cost >= 64 * 1024 and defaults.time_cost >= 3
    organiser = make_organiser()
    assert extract_parameters(organiser.password_hash) == defaults
    assert extract_parameters(accounts._DUMMY_HASH) == defaults
    assert _login_post(client, organiser.email, "falsch" + ORGANISER_PASSWORD
                       ).status_code == 401  # refused
    login(client, organiser)
    assert client.get("/organiser/").status_code == 200


def test_forgot_password_answers_the_same_and_mails_only_real_accounts(client, make_organiser):
    organiser = make_organiser()
    pages = []
    for email in (organiser.email, "niemand@kgst.example"):
        token = csrf_token(client, "/organiser/passwort-vergessen")
        response = client.post("/organiser/passwort-vergessen",
                               data={"csrf_token": token, "email": email})
        assert response.status_code == 200
        pages.append(main(response.data))
    assert pages[0] == pages[1]
    mails = db.session.scalars(select(OutboxMessage)).all()
    assert [m.recipient for m in mails] == [organiser.email]
    link = re.search(r"http://praxis.test(/organiser/passwort/\S+)", mails[0].body_text).group(1)

    # the link sets a new password once, logs in, and is then used up
    token = csrf_token(client, link)
    weak = client.post(link, data={"csrf_token": token, "password": "kurz",
                                   "password_again": "kurz"})
    assert weak.status_code == 422 and "mindestens 12 Zeichen" in main(weak.data)
    mismatch = client.post(link, data={"csrf_token": token, "password": "ein neues Passwort 2027",
                                       "password_again": "ein anderes Passwort"})
    assert mismatch.status_code == 422 and "stimmen nicht überein" in main(mismatch.data)
    done = client.post(link, data={"csrf_token": token, "password": "ein neues Passwort 2027",
                                   "password_again": "ein neues Passwort 2027"})
    assert done.status_code == 303
    assert client.get("/organiser/").status_code == 200
    assert client.get(link).status_code == 404
    assert accounts.authenticate(organiser.email, "ein neues Passwort 2027", "t") == organiser


@pytest.mark.parametrize("token", ["1.abc", "x.y", "99999999999999999999.a", "", "1"])
def test_bad_password_links_are_404_with_a_message(client, make_organiser, token):
    make_organiser()
    response = client.get(f"/organiser/passwort/{token}")
    assert response.status_code == 404


# --- command line ---------------------------------------------------------------------------


def test_cli_creates_the_first_admin_from_stdin(app, runner):
    result = runner.invoke(args=["organiser", "create", "Chefin@KGST.example", "--name",
                                 "Chefin"], input="ein sehr gutes Passwort 42\n")
    assert result.exit_code == 0, result.output
    organiser = accounts.find("chefin@kgst.example")
    assert organiser.role == Role.admin
    assert accounts.authenticate("chefin@kgst.example", "ein sehr gutes Passwort 42", "t")


def test_cli_refuses_a_weak_password(app, runner):
    result = runner.invoke(args=["organiser", "create", "x@kgst.example"], input="kurz\n")
    assert result.exit_code == 1
    assert "mindestens 12 Zeichen" in result.output
    assert accounts.find("x@kgst.example") is None


def test_cli_refuses_a_second_account_with_the_same_address(app, runner, make_organiser):
    organiser = make_organiser()
    result = runner.invoke(args=["organiser", "create", organiser.email.upper()],
                           input="ein sehr gutes Passwort 42\n")
    assert result.exit_code == 1
    assert "schon ein Konto" in result.output


@pytest.mark.parametrize("password", ["Sommer2026!!!", "iloveyou12345", "qwertzuiop123",
                                      "Praxisaustausch2027", "Kommune123456"])
def test_common_passwords_of_twelve_and_more_are_refused(password):
    assert "zu leicht zu erraten" in accounts.password_problem(password, "x@kgst.example")


@pytest.mark.parametrize("password", [ORGANISER_PASSWORD, "ein sehr gutes Passwort 42",
                                      "Fähre nach Föhr um 7:40"])
def test_long_uncommon_passphrases_are_accepted(password):
    assert accounts.password_problem(password, "orga@kgst.example") is None


@pytest.mark.backends
def test_a_nul_character_in_the_login_address_is_refused_not_a_server_error(
        client, make_organiser):
    """Found by test_fuzz_forms.py: the address reached PostgreSQL, which refuses NUL."""
    make_organiser()
    response = _login_post(client, "a\x00b@kgst.example", "irgendein Passwort")
    assert response.status_code == 401
    assert "nicht richtig" in response.get_data(as_text=True)
    token = csrf_token(client, "/organiser/passwort-vergessen")
    response = client.post("/organiser/passwort-vergessen",
                           data={"csrf_token": token, "email": "a\x00b@kgst.example"})
    assert response.status_code < 500
