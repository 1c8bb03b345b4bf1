"""The second factor: enrolment with the shown secret, the login's second step, throttling,
recovery codes, the admin's requirement and reset, CSRF, the audit log, axe."""

from __future__ import annotations

import html
import re
import time
from urllib.parse import urlsplit

import pyotp
import pytest
from sqlalchemy import select

from events.extensions import db
from events.models import AuditEntry, LoginFailure, OutboxMessage, RecoveryCode
from events.services import second_factor
from tests import browser_support as support
from tests.conftest import ORGANISER_PASSWORD, login
from tests.pages_support import csrf_token, main

SETUP = "/organiser/konten/sicherheit/einrichten"
INDEX = "/organiser/konten/sicherheit"
VERIFY = "/organiser/anmelden/code"
CODES = re.compile(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>")


def enrol(client) -> tuple[str, list[str]]:
    """Through the pages: read the secret shown as text, confirm with pyotp's code."""
    page = client.get(SETUP)
    assert page.status_code == 200, main(page.data)
    secret = re.search(r'id="schluessel" value="([A-Z2-7 ]+)"',
                       page.get_data(as_text=True)).group(1).replace(" ", "")
    token = csrf_token(client, SETUP)
    answer = client.post(SETUP, data={"csrf_token": token,
                                      "code": pyotp.TOTP(secret).now()})
    assert answer.status_code == 200, main(answer.data)
    codes = CODES.findall(answer.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


def next_code(secret: str) -> str:
    """The code of the next 30 seconds (the current one was used by the enrolment)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def password_step(client, organiser):
    response = login(client, organiser)
    assert response.headers["Location"] == VERIFY
    return response


def send_code(client, code: str):
    return client.post(VERIFY, data={"csrf_token": csrf_token(client, VERIFY), "code": code})


def actions(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.id)))


@pytest.mark.backends
def test_enrolment_with_the_shown_secret_then_the_login_asks_for_the_code(
        app, organiser_client):
    organiser = organiser_client.organiser
    assert "nicht eingerichtet" in main(organiser_client.get(INDEX).data)
    organiser_client.get(SETUP)
    qr = organiser_client.get("/organiser/konten/sicherheit/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert qr.headers["Cache-Control"] == "no-store"
    assert b"style" not in qr.data and b"<script" not in qr.data
    secret, codes = enrol(organiser_client)
    # the QR code is the one of this secret, drawn on our server
    db.session.refresh(organiser)
    assert organiser.totp_secret == secret and organiser.has_second_factor
    assert qr.data == second_factor.qr_svg(second_factor.provisioning_uri(organiser, secret))
    # recovery codes: only salted hashes are stored
    rows = db.session.scalars(select(RecoveryCode).where(
        RecoveryCode.organiser_id == organiser.id)).all()
    assert len(rows) == 10 and len({row.salt for row in rows}) == 10
    stored = " ".join(row.code_hash + row.salt for row in rows)
    assert not any(code.replace("-", "") in stored for code in codes)
    assert actions("organiser.second_factor_enable")[0].actor_id == organiser.id
    # the enrolment page now sends to the overview; the QR code is gone
    assert organiser_client.get(SETUP).status_code == 303
    assert organiser_client.get("/organiser/konten/sicherheit/qr.svg").status_code == 404

    client = app.test_client()
    password_step(client, organiser)
    assert client.get("/organiser/").status_code == 303  # not logged in yet
    assert client.get(VERIFY).status_code == 200
    before = client.get_cookie("session").value
    answer = send_code(client, next_code(secret))
    assert answer.status_code == 303 and answer.headers["Location"] == "/organiser/"
    assert client.get_cookie("session").value != before
    assert client.get("/organiser/").status_code == 200
    assert "App-Code" in actions("organiser.login")[-1].summary


def test_a_wrong_code_is_refused_and_throttled_like_a_password(app, organiser_client):
    organiser = organiser_client.organiser
    secret, _codes = enrol(organiser_client)
    client = app.test_client()
    password_step(client, organiser)
    for n, wrong in enumerate(["000000", "12345", "abcde-fghjk", "99999999999999999999",
                               "äöü\u202e", "", " " * 70]):
        answer = send_code(client, wrong)
        expected = 422 if n < app.config["LOGIN_MAX_FAILURES"] else 429
        assert answer.status_code == expected, (wrong, answer.status_code)
    assert client.get("/organiser/").status_code == 303
    failures = db.session.scalars(select(LoginFailure).where(
        LoginFailure.key == f"second_factor:{organiser.id}")).all()
    assert len(failures) >= app.config["LOGIN_MAX_FAILURES"]
    # throttled: even the right code waits now, with the same words as the password
    answer = send_code(client, next_code(secret))
    assert answer.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in main(answer.data)
    assert client.get("/organiser/").status_code == 303
    failed = actions("organiser.second_factor_failed")
    assert failed and failed[0].object_id == organiser.id
    assert failed[0].after == {"address_key": "address:127.0.0.1"}


def test_a_code_is_good_once(app, organiser_client):
    organiser = organiser_client.organiser
    secret, _codes = enrol(organiser_client)
    code = next_code(secret)
    first = app.test_client()
    password_step(first, organiser)
    assert send_code(first, code).status_code == 303
    second = app.test_client()
    password_step(second, organiser)
    assert send_code(second, code).status_code == 422
    assert "schon benutzt" in actions("organiser.second_factor_failed")[-1].summary


@pytest.mark.backends
def test_a_recovery_code_works_once(app, organiser_client):
    organiser = organiser_client.organiser
    _secret, codes = enrol(organiser_client)
    client = app.test_client()
    password_step(client, organiser)
    answer = send_code(client, " " + codes[3].upper().replace("-", " - ") + " ")
    assert answer.status_code == 303
    assert "Noch 9 übrig" in main(client.get("/organiser/", follow_redirects=True).data)
    assert actions("organiser.recovery_code_used")
    assert "Wiederherstellungscode" in actions("organiser.login")[-1].summary
    again = app.test_client()
    password_step(again, organiser)
    assert send_code(again, codes[3]).status_code == 422
    assert again.get("/organiser/").status_code == 303
    assert send_code(again, codes[4]).status_code == 303


def test_new_recovery_codes_replace_the_old_ones(app, organiser_client):
    organiser = organiser_client.organiser
    secret, old = enrol(organiser_client)
    page = organiser_client.get(INDEX)
    token = re.search(r'name="renew-csrf_token" type="hidden" value="([^"]+)"',
                      page.get_data(as_text=True)).group(1)
    wrong = organiser_client.post("/organiser/konten/sicherheit/neue-codes",
                                  data={"renew-csrf_token": token, "renew-code": "111111"})
    assert wrong.status_code == 422
    answer = organiser_client.post("/organiser/konten/sicherheit/neue-codes",
                                   data={"renew-csrf_token": token,
                                         "renew-code": next_code(secret)})
    assert answer.status_code == 200, main(answer.data)
    new = CODES.findall(answer.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    client = app.test_client()
    password_step(client, organiser)
    assert send_code(client, old[0]).status_code == 422
    assert send_code(client, new[0]).status_code == 303


def test_the_pending_login_is_not_a_login_and_expires(app, organiser_client, monkeypatch):
    organiser = organiser_client.organiser
    secret, _codes = enrol(organiser_client)
    anonymous = app.test_client()
    answer = anonymous.get(VERIFY)  # nobody waits for a code here
    assert answer.status_code == 303 and answer.headers["Location"] == "/organiser/login"
    client = app.test_client()
    password_step(client, organiser)
    for path in ["/organiser/", INDEX, "/organiser/konten/tokens", SETUP]:
        assert client.get(path).status_code == 303
    token = csrf_token(client, VERIFY)
    later = time.time() + 6 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    answer = client.post(VERIFY, data={"csrf_token": token,
                                       "code": pyotp.TOTP(secret).at(later)})
    assert answer.status_code == 303 and answer.headers["Location"] == "/organiser/login"


def test_a_password_link_alone_does_not_pass_the_second_factor(app, organiser_client):
    organiser = organiser_client.organiser
    secret, _codes = enrol(organiser_client)
    client = app.test_client()
    token = csrf_token(client, "/organiser/passwort-vergessen")
    client.post("/organiser/passwort-vergessen", data={"csrf_token": token,
                                                       "email": organiser.email})
    mail = db.session.scalars(select(OutboxMessage)).all()[-1]
    link = re.search(r"http://praxis.test(/organiser/passwort/\S+)", mail.body_text).group(1)
    token = csrf_token(client, link)
    done = client.post(link, data={"csrf_token": token, "password": "ein neues Passwort 2027",
                                   "password_again": "ein neues Passwort 2027"})
    assert done.status_code == 303 and done.headers["Location"] == VERIFY
    assert client.get("/organiser/").status_code == 303
    assert send_code(client, next_code(secret)).status_code == 303
    assert client.get("/organiser/").status_code == 200


@pytest.mark.backends
def test_the_requirement_sends_accounts_without_a_factor_to_the_enrolment(
        app, admin_client, make_organiser):
    token = csrf_token(admin_client, INDEX)
    answer = admin_client.post("/organiser/konten/sicherheit/pflicht",
                               data={"csrf_token": token, "required": "y"})
    assert answer.status_code == 303
    assert second_factor.required()
    entry = actions("security.second_factor_required")[0]
    assert entry.after == {"require_second_factor": True}
    # the admin too: nothing but the enrolment and the logout
    assert admin_client.get("/organiser/").headers["Location"] == SETUP
    colleague = make_organiser()
    client = app.test_client()
    login(client, colleague)
    for path in ["/organiser/", "/organiser/workshops/", INDEX, "/organiser/konten/tokens"]:
        answer = client.get(path)
        assert answer.status_code == 303 and answer.headers["Location"] == SETUP, path
    assert client.get("/organiser/workshops/",
                      headers={"Accept": "application/json"}).status_code == 403
    page = client.get(SETUP)
    assert "vorgeschrieben" in main(page.data)
    assert client.get("/organiser/konten/sicherheit/qr.svg").status_code == 200
    _secret, _codes = enrol(client)
    assert client.get("/organiser/workshops/").status_code == 200
    # switching it off is refused while it is required
    page = client.get(INDEX)
    assert "Abschalten" not in main(page.data)


def test_switching_off_needs_the_password_and_a_code(app, organiser_client):
    organiser = organiser_client.organiser
    secret, _codes = enrol(organiser_client)
    url = "/organiser/konten/sicherheit/abschalten"
    token = csrf_token(organiser_client, INDEX)
    wrong = organiser_client.post(url, data={"csrf_token": token, "password": "falsch",
                                             "code": next_code(secret)})
    assert wrong.status_code == 422 and "Das Passwort stimmt nicht" in main(wrong.data)
    wrong = organiser_client.post(url, data={"csrf_token": token,
                                             "password": ORGANISER_PASSWORD, "code": "123"})
    assert wrong.status_code == 422
    db.session.refresh(organiser)
    assert organiser.has_second_factor
    answer = organiser_client.post(url, data={"csrf_token": token,
                                              "password": ORGANISER_PASSWORD,
                                              "code": next_code(secret)})
    assert answer.status_code == 303
    db.session.refresh(organiser)
    assert not organiser.has_second_factor
    assert not db.session.scalars(select(RecoveryCode)).all()
    assert actions("organiser.second_factor_disable")
    client = app.test_client()
    assert login(client, organiser).headers["Location"] == "/organiser/"


@pytest.mark.backends
def test_an_admin_resets_another_accounts_second_factor(app, admin_client, organiser_client):
    organiser = organiser_client.organiser
    enrol(organiser_client)
    detail = f"/organiser/konten/{organiser.id}"
    assert "Zweiten Faktor zurücksetzen" in main(admin_client.get(detail).data)
    # an organiser may not
    token = csrf_token(organiser_client, INDEX)
    url = f"/organiser/konten/{organiser.id}/zweiter-faktor/zuruecksetzen"
    assert organiser_client.post(url, data={"csrf_token": token}).status_code == 403
    token = csrf_token(admin_client, detail)
    answer = admin_client.post(url, data={"csrf_token": token})
    assert answer.status_code == 303
    db.session.refresh(organiser)
    assert not organiser.has_second_factor
    entry = actions("organiser.second_factor_reset")[0]
    assert entry.actor_id == admin_client.organiser.id and entry.object_id == organiser.id
    client = app.test_client()
    assert login(client, organiser).headers["Location"] == "/organiser/"
    # nothing left to reset; one's own is switched off on the security page; unknown: 404
    again = admin_client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "kein zweiter Faktor" in main(again.data)
    own = f"/organiser/konten/{admin_client.organiser.id}/zweiter-faktor/zuruecksetzen"
    assert admin_client.post(own, data={"csrf_token": token}).status_code == 303
    huge = "/organiser/konten/99999999999999999999/zweiter-faktor/zuruecksetzen"
    assert admin_client.post(huge, data={"csrf_token": token}).status_code == 404
    assert admin_client.post("/organiser/konten/424242/zweiter-faktor/zuruecksetzen",
                             data={"csrf_token": token}).status_code == 404


def test_every_form_refuses_a_post_without_csrf_token(app, admin_client, organiser_client):
    secret, _codes = enrol(organiser_client)
    for url in [INDEX + "/abschalten", INDEX + "/neue-codes"]:
        assert organiser_client.post(url, data={"code": next_code(secret)}).status_code == 400
    admin_client.get(SETUP)
    assert admin_client.post(SETUP, data={"code": "123456"}).status_code == 400
    assert admin_client.post(INDEX + "/pflicht", data={"required": "y"}).status_code == 400
    assert not second_factor.required()
    url = f"/organiser/konten/{organiser_client.organiser.id}/zweiter-faktor/zuruecksetzen"
    assert admin_client.post(url).status_code == 400
    client = app.test_client()
    password_step(client, organiser_client.organiser)
    assert client.post(VERIFY, data={"code": next_code(secret)}).status_code == 400
    assert client.get("/organiser/").status_code == 303


def test_failed_logins_are_in_the_audit_log_without_the_password(app, client, make_organiser):
    organiser = make_organiser()
    for email in [organiser.email, "niemand@kgst.example"]:
        token = csrf_token(client, "/organiser/login")
        answer = client.post("/organiser/login", data={
            "csrf_token": token, "email": email, "password": "Geheim-und-falsch-42"})
        assert answer.status_code == 401
    known, unknown = actions("organiser.login_failed")
    assert known.object_id == organiser.id and unknown.object_id is None
    for entry in (known, unknown):
        assert entry.after["account_key"].startswith("account:")
        assert entry.after["address_key"] == "address:127.0.0.1"
        assert "Geheim" not in repr((entry.summary, entry.before, entry.after))
    assert known.after["account_key"] != unknown.after["account_key"]
    page = client.get("/organiser/login")
    assert page.status_code == 200


# --- axe -----------------------------------------------------------------------------------

browser = support.browser
live_server = support.live_server


@pytest.mark.browser
@pytest.mark.slow
def test_the_second_factor_pages_pass_axe(app, live_server, browser, make_organiser):
    organiser = make_organiser("admin")
    db.session.rollback()
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(10_000)
    failures = []

    def check(name):
        failures.extend(f"{name}: {v}" for v in support.axe_violations(page))

    def submit():
        with page.expect_navigation():
            page.locator("main form.app-form button[type=submit]").first.click()

    try:
        page.goto(f"{base}/organiser/login")
        page.fill("#email", organiser.email)
        page.fill("#password", ORGANISER_PASSWORD)
        submit()
        page.goto(base + INDEX)
        check("Sicherheit (ohne Faktor)")
        page.goto(base + SETUP)
        assert page.evaluate("document.querySelector('.app-qr__image').naturalWidth") > 0
        check("Einrichten")
        page.fill("#code", "1")
        submit()
        check("Einrichten (Fehler)")
        secret = html.unescape(page.input_value("#schluessel")).replace(" ", "")
        page.fill("#code", pyotp.TOTP(secret).now())
        submit()
        assert len(CODES.findall(page.content())) == 10
        check("Wiederherstellungscodes")
        page.goto(base + INDEX)
        check("Sicherheit (mit Faktor)")
        context.clear_cookies()
        page.goto(f"{base}/organiser/login")
        page.fill("#email", organiser.email)
        page.fill("#password", ORGANISER_PASSWORD)
        submit()
        assert urlsplit(page.url).path == VERIFY
        check("Code eingeben")
        page.fill("#code", "000000")
        submit()
        check("Code eingeben (Fehler)")
        page.fill("#code", next_code(secret))
        submit()
        assert urlsplit(page.url).path == "/organiser/"
    finally:
        context.close()
    assert not failures, "\n".join(failures)
