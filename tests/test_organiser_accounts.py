"""Konten and API-Tokens pages: every action through the real form (CSRF token), the
services' rules (last admin, own account), the audit log, the mails in the outbox, and a
token that is shown exactly once and stored only as its hash."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from events.extensions import db
from events.models import ApiToken, AuditEntry, OutboxMessage, Role
from events.services import api_tokens
from tests import browser_support as support
from tests import test_pages_i18n
from tests.conftest import ORGANISER_PASSWORD, login
from tests.pages_support import csrf_token, main, scan

KONTEN = "/organiser/konten/"
TOKENS = "/organiser/konten/tokens"
HUGE = "99999999999999999999"
extracted = test_pages_i18n.extracted  # the messages.pot fixture, for the pseudo-translation


def post(client, url, data=None, page=None):
    """POST like the browser: the CSRF token from ``page`` (default: the URL itself)."""
    token = csrf_token(client, page or url)
    return client.post(url, data={"csrf_token": token, **(data or {})})


def account_url(organiser, action="") -> str:
    return f"{KONTEN}{organiser.id}" + (f"/{action}" if action else "")


def audit_actions(object_id=None) -> list[str]:
    query = select(AuditEntry.action).order_by(AuditEntry.id)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    return list(db.session.scalars(query))


def mails_to(address: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == address).order_by(OutboxMessage.id)))


def link_in(message: OutboxMessage) -> str:
    match = re.search(r"http://praxis\.test(/organiser/passwort/[^\s\"<]+)", message.body_text)
    assert match, message.body_text
    return match.group(1)


# --- the list and who may see it ---------------------------------------------------------------


def test_admin_sees_every_account(admin_client, make_organiser):
    other = make_organiser("organiser", name="Jürgen Öztürk-Weiß")
    page = admin_client.get(KONTEN)
    assert page.status_code == 200
    text = main(page.data)
    assert "Jürgen Öztürk-Weiß" in text and other.email in text
    assert admin_client.organiser.email in text
    assert "Organisation" in text and "Admin" in text and "noch nie" in text
    assert not scan(page.data).problems


def test_organiser_cannot_open_the_accounts_pages(organiser_client, make_organiser):
    other = make_organiser("admin")
    for url in (KONTEN, f"{KONTEN}einladen", account_url(other)):
        assert organiser_client.get(url).status_code == 403
    token = csrf_token(organiser_client, TOKENS)
    for action in ("deaktivieren", "aktivieren", "rolle", "passwort-zuruecksetzen"):
        response = organiser_client.post(account_url(other, action),
                                         data={"csrf_token": token, "role": "organiser"})
        assert response.status_code == 403
    assert audit_actions(other.id) == ["organiser.create"]


def test_nav_offers_accounts_only_to_admins(admin_client, organiser_client):
    assert 'href="/organiser/konten/"' in admin_client.get(TOKENS).get_data(as_text=True)
    page = organiser_client.get(TOKENS).get_data(as_text=True)
    assert 'href="/organiser/konten/"' not in page and 'href="/organiser/konten/tokens"' in page


# --- invite -----------------------------------------------------------------------------------


@pytest.mark.backends
def test_invite_sends_a_working_link(app, admin_client):
    response = post(admin_client, f"{KONTEN}einladen", {
        "name": "Jürgen Öztürk-Weiß", "email": " Juergen@Kommune.example ", "role": "organiser"})
    assert response.status_code == 303, main(response.data)
    page = admin_client.get(response.headers["Location"])
    assert "Jürgen Öztürk-Weiß ist eingeladen" in main(page.data)
    assert "Einladung offen" in main(page.data)
    [mail] = mails_to("juergen@kommune.example")
    assert mail.kind == "organiser_invite"
    invited = app.test_client()
    link = link_in(mail)
    form = invited.get(link)
    assert form.status_code == 200 and "juergen@kommune.example" in main(form.data)
    token = csrf_token(invited, link)
    done = invited.post(link, data={"csrf_token": token, "password": ORGANISER_PASSWORD,
                                    "password_again": ORGANISER_PASSWORD})
    assert done.status_code == 303
    assert invited.get("/organiser/konten/tokens").status_code == 200  # logged in
    assert invited.get(KONTEN).status_code == 403  # as organiser
    assert "organiser.create" in audit_actions()


class TestInvitationThroughRealSmtp:
    """The invitation leaves through the outbox worker and a real SMTP server."""

    @pytest.fixture
    def config_overrides(self, smtp_config):
        return smtp_config

    def test_the_delivered_invitation_link_sets_the_password(self, app, admin_client, smtp):
        from events.mail import sender

        response = post(admin_client, f"{KONTEN}einladen", {
            "name": "Jürgen Öztürk-Weiß", "email": "juergen@kommune.example",
            "role": "admin"})
        assert response.status_code == 303
        report = sender.send_due()
        assert not report.errors, report.errors
        [received] = smtp.received
        assert received.rcpt_tos == ("juergen@kommune.example",)
        message = received.message
        assert message["Subject"] == "Ihr Zugang zum Verwaltungsbereich des Praxisaustauschs"
        text = message.get_body(("plain",)).get_content()
        assert "Jürgen Öztürk-Weiß" in text
        link = re.search(r"http://praxis\.test(/organiser/passwort/\S+)", text).group(1)
        browser = app.test_client()
        done = browser.post(link, data={"csrf_token": csrf_token(browser, link),
                                        "password": ORGANISER_PASSWORD,
                                        "password_again": ORGANISER_PASSWORD})
        assert done.status_code == 303
        assert browser.get(KONTEN).status_code == 200  # an admin now
        assert browser.get(link).status_code == 404  # used up


@pytest.mark.parametrize("data, field, message", [
    ({"name": "", "email": "neu@kgst.example", "role": "organiser"}, "name",
     "Bitte geben Sie einen Namen an."),
    ({"name": "x" * 201, "email": "neu@kgst.example", "role": "organiser"}, "name",
     "Der Name ist zu lang"),
    ({"name": "Neu", "email": "kein-at", "role": "organiser"}, "email", "E-Mail"),
    ({"name": "Neu", "email": "neu@kgst.example", "role": "kaiser"}, "role",
     "Bitte wählen Sie eine Rolle."),
    ({"name": "Neu", "email": "neu@kgst.example"}, "role", "Bitte wählen Sie eine Rolle."),
])
def test_invite_shows_german_messages_next_to_the_fields(admin_client, data, field, message):
    response = post(admin_client, f"{KONTEN}einladen", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(rf'id="{field}-fehler">(.*?)</p>', html, re.S)
    assert error and message in error.group(1), html[:3000]
    assert 'aria-invalid="true"' in html
    assert mails_to("neu@kgst.example") == []


def test_invite_keeps_what_was_typed_and_refuses_an_address_in_use(admin_client):
    existing = admin_client.organiser.email
    response = post(admin_client, f"{KONTEN}einladen", {
        "name": "Zweite Person", "email": existing.upper(), "role": "admin"})
    assert response.status_code == 422
    assert "Für diese E-Mail-Adresse gibt es schon ein Konto." in main(response.data)
    html = response.get_data(as_text=True)
    assert 'value="Zweite Person"' in html
    assert re.search(r'<option selected value="admin">|<option value="admin" selected', html)


@pytest.mark.backends
def test_control_characters_in_names_are_dropped_not_a_failure(admin_client):
    """A NUL byte (PostgreSQL refuses it) or a line break never reaches the database: each
    becomes a space (``services.text.line``)."""
    response = post(admin_client, f"{KONTEN}einladen", {
        "name": "Jür\x00gen\nÖztürk", "email": "nul@kgst.example", "role": "organiser"})
    assert response.status_code == 303, main(response.data)
    assert "Jür gen Öztürk" in main(admin_client.get(KONTEN).data)
    response = post(admin_client, TOKENS, {"name": "Skript\x00\x07 für\r\nExcel"})
    assert response.status_code == 200
    assert db.session.scalar(select(ApiToken.name)) == "Skript für Excel"
    response = post(admin_client, f"{KONTEN}einladen", {
        "name": "\x00\x00", "email": "nul2@kgst.example", "role": "organiser"})
    assert response.status_code == 422
    assert "Bitte geben Sie einen Namen an." in main(response.data)


def test_odd_unicode_names_are_kept_intact(admin_client):
    name = "Zoë ‮Ǆemal 👩🏽‍💼 ﷽"
    response = post(admin_client, f"{KONTEN}einladen", {
        "name": name, "email": "zoe@kgst.example", "role": "organiser"})
    assert response.status_code == 303
    assert name in main(admin_client.get(KONTEN).data)


# --- deactivate, reactivate --------------------------------------------------------------------


@pytest.mark.backends
def test_deactivating_ends_the_sessions_and_tokens_of_that_account(app, admin_client,
                                                                    make_organiser):
    person = make_organiser("organiser")
    their_browser = app.test_client()
    login(their_browser, person)
    _row, secret = api_tokens.create(person, "Skript")
    db.session.commit()
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/organiser/registrations", headers=bearer).status_code == 200
    response = post(admin_client, account_url(person, "deaktivieren"), page=account_url(person))
    assert response.status_code == 303
    assert "ist deaktiviert" in main(admin_client.get(response.headers["Location"]).data)
    assert their_browser.get("/organiser/konten/tokens").status_code == 303  # to the login
    assert api.get("/api/v1/organiser/registrations", headers=bearer).status_code == 401
    assert audit_actions(person.id)[-1] == "organiser.deactivate"
    response = post(admin_client, account_url(person, "aktivieren"), page=account_url(person))
    assert response.status_code == 303
    assert api.get("/api/v1/organiser/registrations", headers=bearer).status_code == 200
    assert audit_actions(person.id)[-1] == "organiser.activate"


def test_the_last_active_admin_cannot_be_deactivated_or_demoted(app, make_organiser):
    """Through the pages an admin can only act on others, so there is always a second admin
    left (the own account is protected below); the rule itself holds for every caller,
    e.g. the command line (actor None)."""
    from events.services import accounts
    from events.services.errors import InvalidInput

    only = make_organiser("admin")
    other = make_organiser("admin")
    accounts.set_active(other, False, actor=None)
    db.session.commit()
    with pytest.raises(InvalidInput) as refused:
        accounts.set_active(only, False, actor=None)
    assert refused.value.errors == {
        "active": "Das letzte aktive Admin-Konto kann nicht deaktiviert werden."}
    with pytest.raises(InvalidInput) as refused:
        accounts.set_role(only, Role.organiser, actor=None)
    assert refused.value.errors == {"role": "Das letzte aktive Admin-Konto muss Admin bleiben."}
    db.session.rollback()
    db.session.refresh(only)
    assert only.active and only.role == Role.admin


def test_a_second_admin_can_be_deactivated_and_demoted(admin_client, make_organiser):
    other = make_organiser("admin")
    response = post(admin_client, account_url(other, "rolle"), {"role": "organiser"},
                    page=account_url(other))
    assert response.status_code == 303
    response = post(admin_client, account_url(other, "deaktivieren"), page=account_url(other))
    assert response.status_code == 303
    db.session.refresh(other)
    assert not other.active and other.role == Role.organiser


def test_own_account_cannot_be_deactivated_demoted_or_reset(admin_client, make_organiser):
    make_organiser("admin")
    me = admin_client.organiser
    response = post(admin_client, account_url(me, "deaktivieren"), page=account_url(me))
    assert response.status_code == 422
    assert "Ihr eigenes Konto können Sie nicht deaktivieren" in main(response.data)
    response = post(admin_client, account_url(me, "rolle"), {"role": "organiser"},
                    page=account_url(me))
    assert response.status_code == 422
    assert "Ihre eigene Rolle können Sie nicht ändern" in main(response.data)
    response = post(admin_client, account_url(me, "passwort-zuruecksetzen"),
                    page=account_url(me))
    assert response.status_code == 409
    assert "Passwort vergessen" in main(response.data)
    assert admin_client.get(KONTEN).status_code == 200  # still logged in, still admin


# --- role, reset --------------------------------------------------------------------------------


def test_role_change_is_audited_and_ends_the_sessions(app, admin_client, make_organiser):
    person = make_organiser("organiser")
    their_browser = app.test_client()
    login(their_browser, person)
    response = post(admin_client, account_url(person, "rolle"), {"role": "admin"},
                    page=account_url(person))
    assert response.status_code == 303
    db.session.refresh(person)
    assert person.role == Role.admin
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organiser.role"))
    assert entry.before == {"role": "organiser"} and entry.after == {"role": "admin"}
    assert entry.actor_id == admin_client.organiser.id
    assert their_browser.get(TOKENS).status_code == 303
    login(their_browser, person)
    assert their_browser.get(KONTEN).status_code == 200


def test_bad_role_value_is_a_message_not_a_failure(admin_client, make_organiser):
    person = make_organiser("organiser")
    response = post(admin_client, account_url(person, "rolle"), {"role": "😈" * 50},
                    page=account_url(person))
    assert response.status_code == 422
    assert "Bitte wählen Sie eine Rolle." in main(response.data)


@pytest.mark.backends
def test_reset_stops_the_password_and_mails_a_link(app, admin_client, make_organiser):
    person = make_organiser("organiser")
    their_browser = app.test_client()
    login(their_browser, person)
    response = post(admin_client, account_url(person, "passwort-zuruecksetzen"),
                    page=account_url(person))
    assert response.status_code == 303
    assert "gilt nicht mehr" in main(admin_client.get(response.headers["Location"]).data)
    assert their_browser.get(TOKENS).status_code == 303  # session ended
    fresh = app.test_client()
    token = csrf_token(fresh, "/organiser/login")
    refused = fresh.post("/organiser/login", data={
        "csrf_token": token, "email": person.email, "password": ORGANISER_PASSWORD})
    assert refused.status_code == 401
    [mail] = mails_to(person.email)
    assert mail.kind == "organiser_reset"
    link = link_in(mail)
    new_password = "Ein ganz neues Passwort für Jürgen"
    done = fresh.post(link, data={"csrf_token": csrf_token(fresh, link),
                                  "password": new_password, "password_again": new_password})
    assert done.status_code == 303
    assert fresh.get(TOKENS).status_code == 200
    assert "organiser.reset" in audit_actions(person.id)


def test_reset_of_an_open_invitation_sends_the_invitation_again(admin_client):
    post(admin_client, f"{KONTEN}einladen", {"name": "Neu", "email": "neu@kgst.example",
                                            "role": "organiser"})
    first = mails_to("neu@kgst.example")[0]
    person_url = admin_client.get(KONTEN).get_data(as_text=True)
    person_id = re.search(r'href="/organiser/konten/(\d+)">Neu<', person_url).group(1)
    page = admin_client.get(f"{KONTEN}{person_id}")
    assert "Einladung erneut senden" in main(page.data)
    response = post(admin_client, f"{KONTEN}{person_id}/passwort-zuruecksetzen",
                    page=f"{KONTEN}{person_id}")
    assert response.status_code == 303
    mails = mails_to("neu@kgst.example")
    assert [m.kind for m in mails] == ["organiser_invite", "organiser_invite"]
    assert admin_client.get(link_in(first)).status_code == 404  # the old link is void
    assert "organiser.reinvite" in audit_actions(int(person_id))


def test_reset_of_a_deactivated_account_is_refused(admin_client, make_organiser):
    person = make_organiser("organiser")
    post(admin_client, account_url(person, "deaktivieren"), page=account_url(person))
    response = post(admin_client, account_url(person, "passwort-zuruecksetzen"),
                    page=account_url(person))
    assert response.status_code == 409
    assert "Aktivieren Sie es zuerst wieder." in main(response.data)
    assert mails_to(person.email) == []


# --- hostile input, CSRF -------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [HUGE, "0", "9223372036854775808", "424242"])
def test_unknown_or_huge_account_ids_are_404(admin_client, suffix):
    assert admin_client.get(f"{KONTEN}{suffix}").status_code == 404
    token = csrf_token(admin_client, KONTEN + "einladen")
    for action in ("deaktivieren", "aktivieren", "rolle", "passwort-zuruecksetzen"):
        response = admin_client.post(f"{KONTEN}{suffix}/{action}",
                                     data={"csrf_token": token, "role": "admin"})
        assert response.status_code == 404, (action, response.status_code)
    response = admin_client.post(f"{TOKENS}/{suffix}/widerrufen", data={"csrf_token": token})
    assert response.status_code == 404


def test_every_form_refuses_a_post_without_csrf(admin_client, make_organiser):
    person = make_organiser("organiser")
    _row, _secret = api_tokens.create(person, "Skript")
    db.session.commit()
    for url, data in [(f"{KONTEN}einladen", {"name": "X", "email": "x@kgst.example",
                                              "role": "admin"}),
                      (account_url(person, "deaktivieren"), {}),
                      (account_url(person, "aktivieren"), {}),
                      (account_url(person, "rolle"), {"role": "admin"}),
                      (account_url(person, "passwort-zuruecksetzen"), {}),
                      (TOKENS, {"name": "Ohne Token"}),
                      (f"{TOKENS}/{_row.id}/widerrufen", {})]:
        response = admin_client.post(url, data=data)
        assert response.status_code == 400, url
    db.session.refresh(person)
    assert person.active and person.role == Role.organiser
    assert mails_to("x@kgst.example") == [] and mails_to(person.email) == []
    assert db.session.get(ApiToken, _row.id).revoked_at is None
    assert db.session.scalar(select(ApiToken).where(ApiToken.name == "Ohne Token")) is None


# --- API tokens -----------------------------------------------------------------------------------


def _create_token(client, name="Auswertung Excel"):
    return post(client, TOKENS, {"name": name})


@pytest.mark.backends
def test_token_is_shown_once_and_only_its_hash_is_stored(app, organiser_client):
    response = _create_token(organiser_client)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    secret = re.search(r'id="token" value="(pxa_[A-Za-z0-9_-]{43})"', html).group(1)
    assert "nur dieses eine Mal angezeigt" in main(html)
    assert not scan(html).problems
    row = db.session.scalar(select(ApiToken).where(ApiToken.name == "Auswertung Excel"))
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {row.prefix, row.name, row.token_hash}
    assert row.prefix == secret[:10]
    listing = organiser_client.get(TOKENS).get_data(as_text=True)
    assert secret not in listing and f"{row.prefix}…" in listing
    with organiser_client.session_transaction() as session:
        assert secret not in repr(dict(session))
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.create"))
    assert entry.actor_id == organiser_client.organiser.id and secret not in entry.summary
    # it works with the organiser's role
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/organiser/registrations", headers=headers).status_code == 200
    assert api.get("/api/v1/organiser/accounts", headers=headers).status_code == 403
    assert "noch nie" not in main(organiser_client.get(TOKENS).data).split("Auswertung")[-1]


@pytest.mark.parametrize("name, message", [
    ("", "Bitte geben Sie dem Token einen Namen."),
    ("   ", "Bitte geben Sie dem Token einen Namen."),
    ("x" * 121, "Bitte höchstens 120 Zeichen."),
])
def test_token_name_is_checked(organiser_client, name, message):
    response = _create_token(organiser_client, name)
    assert response.status_code == 422
    assert re.search(rf'id="name-fehler">.*?{re.escape(message)}',
                     response.get_data(as_text=True), re.S)
    assert db.session.scalar(select(ApiToken)) is None


def test_revoking_a_token(app, organiser_client):
    secret = re.search(r'value="(pxa_[^"]+)"',
                       _create_token(organiser_client).get_data(as_text=True)).group(1)
    row = db.session.scalar(select(ApiToken))
    response = post(organiser_client, f"{TOKENS}/{row.id}/widerrufen", page=TOKENS)
    assert response.status_code == 303
    page = main(organiser_client.get(TOKENS).data)
    assert "ist widerrufen" in page and "widerrufen am" in page
    answer = app.test_client().get("/api/v1/organiser/registrations",
                                   headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 401
    assert "api_token.revoke" in audit_actions(row.id)


def test_organiser_sees_only_own_tokens_and_cannot_revoke_anothers(organiser_client,
                                                                   make_organiser):
    other = make_organiser("organiser")
    theirs, _secret = api_tokens.create(other, "Fremdes Token")
    db.session.commit()
    _create_token(organiser_client, "Meins")
    page = main(organiser_client.get(TOKENS).data)
    assert "Meins" in page and "Fremdes Token" not in page
    response = post(organiser_client, f"{TOKENS}/{theirs.id}/widerrufen", page=TOKENS)
    assert response.status_code == 404
    db.session.refresh(theirs)
    assert theirs.revoked_at is None


def test_admin_sees_and_revokes_everyones_tokens(admin_client, make_organiser):
    other = make_organiser("organiser", name="Jürgen Öztürk-Weiß")
    theirs, _secret = api_tokens.create(other, "Fremdes Token")
    db.session.commit()
    page = main(admin_client.get(TOKENS).data)
    assert "Fremdes Token" in page and "Jürgen Öztürk-Weiß" in page
    response = post(admin_client, f"{TOKENS}/{theirs.id}/widerrufen", page=TOKENS)
    assert response.status_code == 303
    db.session.refresh(theirs)
    assert theirs.revoked_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.revoke"))
    assert entry.actor_id == admin_client.organiser.id


def test_account_page_counts_tokens(admin_client, make_organiser):
    person = make_organiser("organiser")
    api_tokens.create(person, "Eins")
    api_tokens.create(person, "Zwei")
    db.session.commit()
    assert "2 gültig" in main(admin_client.get(account_url(person)).data)


def test_odd_unicode_token_names(organiser_client):
    name = "Ausw. 👩🏽‍💼 ‮ «Jürgen» <b>fett</b>"
    response = _create_token(organiser_client, name)
    assert response.status_code == 200
    html = organiser_client.get(TOKENS).get_data(as_text=True)
    assert "<b>fett</b>" not in html and "&lt;b&gt;fett&lt;/b&gt;" in html


def test_pages_have_no_inline_code(admin_client, make_organiser):
    person = make_organiser("organiser")
    for url in (KONTEN, f"{KONTEN}einladen", account_url(person), TOKENS):
        page = admin_client.get(url)
        assert page.status_code == 200
        assert not scan(page.data).problems, url


# --- every text marked for translation ------------------------------------------------------


class TestPseudoTranslation:
    """Under a pseudo-translation («…» around every marked text) the pages show nothing
    else but data: names, addresses, dates, token names and prefixes, code examples."""

    @pytest.fixture
    def config_overrides(self, extracted, tmp_path):
        return test_pages_i18n.config_overrides.__wrapped__(extracted, tmp_path)

    def test_accounts_pages_mark_every_text(self, app, admin_client, make_organiser):
        from events import formatting
        from events.models import Organiser

        person = make_organiser("organiser", name="Jürgen Öztürk-Weiß")
        api_tokens.create(person, "Auswertung Excel")
        db.session.commit()
        pages = [admin_client.get(url) for url in (KONTEN, account_url(person), TOKENS,
                                                   f"{KONTEN}einladen")]
        pages.append(post(admin_client, f"{KONTEN}einladen", {"email": "x"}))
        pages.append(post(admin_client, account_url(admin_client.organiser, "deaktivieren"),
                          page=account_url(admin_client.organiser)))
        invited = post(admin_client, f"{KONTEN}einladen", {
            "name": "Neu", "email": "neu@kgst.example", "role": "organiser"})
        pages.append(admin_client.get(invited.headers["Location"]))
        post(admin_client, account_url(person, "deaktivieren"), page=account_url(person))
        pages.append(admin_client.get(account_url(person)))
        pages.append(post(admin_client, TOKENS, {"name": "Neu"}))
        data = {"Neu", "…"}
        for account in db.session.scalars(select(Organiser)):
            data |= {account.name, account.email, formatting.format_datetime(account.created_at)}
            if account.last_login_at:
                data.add(formatting.format_datetime(account.last_login_at))
        for token in db.session.scalars(select(ApiToken)):
            data |= {token.name, token.prefix, formatting.format_datetime(token.created_at)}
        for response in pages:
            html = re.sub(r"<(code|pre)\b.*?</\1>", " ", response.get_data(as_text=True),
                          flags=re.S)
            html = re.sub(r'value="pxa_[^"]*"', "", html)
            text = re.sub(r"«[^»]*»", " ", main(html))
            for value in sorted(data, key=len, reverse=True):
                text = text.replace(value, " ")
            leftover = re.sub(r"[\W\d_]+", " ", text).strip()
            assert leftover == "", (response.request.path, leftover[:200])
            for label in re.findall(r'aria-label="([^"]*)"', html):
                assert label.startswith("«"), label

# --- in a real browser: axe-core, screenshots, no sideways scrolling ---------------------------

browser = support.browser
live_server = support.live_server


@pytest.mark.parametrize("width", [390, 1280])
def test_pages_in_chromium_pass_axe_and_fit_the_screen(live_server, browser, make_organiser,
                                                       width):
    admin = make_organiser("admin", name="Jürgen Öztürk-Weiß")
    person = make_organiser("organiser", name="Mariam Al-Khwarizmi-Schönberger")
    api_tokens.create(person, "Auswertung für das Landesamt, monatlich")
    db.session.commit()
    support.ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="de-DE")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/organiser/login")
        page.fill("#email", admin.email)
        page.fill("#password", ORGANISER_PASSWORD)
        page.click("form.app-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "/login" not in page.url, page.inner_text("main")[:500]
        shots = [("konten", KONTEN), ("konto", account_url(person)),
                 ("einladen", f"{KONTEN}einladen"), ("tokens", TOKENS)]
        for name, path in shots:
            page.goto(live_server.url + path)
            check(page, name, width)
        page.click("form.app-form button[type=submit]")  # invite without input: errors
        page.wait_for_load_state("networkidle")
        check(page, "einladen-fehler", width)
        page.goto(live_server.url + TOKENS)
        page.fill("#name", "Skript für die Auswertung")
        page.click("form.app-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.input_value("#token").startswith("pxa_")
        check(page, "token-angelegt", width)
    finally:
        context.close()


def check(page, name: str, width: int) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(support.ARTIFACTS / f"organiser-{name}-{width}.png"),
                    full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    violations = support.axe_violations(page)
    assert not violations, (name, violations)
