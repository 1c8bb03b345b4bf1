"""Registering through the form, the result page, and the personal link's page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from events.extensions import db
from events.models import OutboxMessage, Registration, utcnow
from events.models import RegistrationStatus as S
from events.services import seats, tokens, workshops
from tests.conftest import applicant, write_mails
from tests.pages_support import csrf_token, dated_workshops, form_data, main, post_form, visible


@pytest.fixture
def workshop(make_workshop):
    return dated_workshops(make_workshop)

MAILBOX = "Bitte sehen Sie in Ihr Postfach."
LINK = re.compile(r"/anmeldung/\d+\.[A-Za-z0-9_-]{20,}")


def registrations() -> list[Registration]:
    return list(db.session.scalars(select(Registration).order_by(Registration.id)))


def outbox_kinds() -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))


def register_via_form(client, item, n=1, **fields):
    return post_form(client, f"/workshops/{item.slug}", form_data(n, **fields))


# --- submitting the form -------------------------------------------------------------------


@pytest.mark.backends  # PostgreSQL takes the rush's path (seat_pipeline)
def test_free_seat_is_reserved_and_the_page_asks_to_confirm_by_mail(client, workshop):
    item = workshop(capacity=3)
    response = register_via_form(client, item, remarks="Ich bringe Fragen mit.")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/workshops/{item.slug}/anmeldung#inhalt"

    result = client.get(response.headers["Location"])
    text = main(result.data)
    assert result.status_code == 200
    assert MAILBOX in text  # the same page for every outcome (test_no_enumeration.py)
    assert "bestätigen Sie ihn bitte über den Link in der E-Mail" in text
    assert "höchstens 48 Stunden" in text
    assert not LINK.search(result.get_data(as_text=True))  # the link travels by e-mail only
    [registration] = registrations()
    assert registration.status == S.pending
    assert registration.remarks == "Ich bringe Fragen mit."
    assert registration.participant.municipality == "Stadt Köln"
    assert outbox_kinds() == ["confirm_request"]


@pytest.mark.backends  # PostgreSQL takes the rush's path (seat_pipeline)
def test_full_workshop_puts_the_person_on_the_waiting_list_and_the_mail_says_so(
        client, workshop):
    item = workshop(capacity=1)
    for n in (1, 2):
        seats.register(item.id, applicant(n))
        db.session.commit()
    response = register_via_form(client, item, 3)
    text = main(client.get(response.headers["Location"]).data)
    assert MAILBOX in text and "Warteliste, auf Platz" not in text
    assert registrations()[-1].status == S.waitlisted
    write_mails()
    mail = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert mail.kind == "waitlisted" and "Platz 2" in mail.body_text


@pytest.mark.backends  # PostgreSQL takes the rush's path (seat_pipeline)
def test_registering_again_sends_the_link_again_without_showing_it(client, workshop):
    item = workshop(capacity=3)
    register_via_form(client, item)
    again = client.get(register_via_form(client, item).headers["Location"])
    text = main(again.data)
    assert MAILBOX in text and "bereits angemeldet" not in text
    assert not LINK.search(again.get_data(as_text=True))
    third = main(client.get(register_via_form(client, item).headers["Location"]).data)
    assert third == text  # within LINK_RESEND_MINUTES: no mail, the same page
    assert len(registrations()) == 1
    assert outbox_kinds() == ["confirm_request", "link_again"]


def test_result_page_without_a_registration_leads_to_the_form(client, workshop):
    item = workshop()
    response = client.get(f"/workshops/{item.slug}/anmeldung")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/workshops/{item.slug}"


FIELD_ERRORS = [
    pytest.param("name", {"name": "  "}, "Bitte geben Sie Ihren Namen an.", id="name-empty"),
    pytest.param("email", {"email": ""}, "Bitte geben Sie Ihre E-Mail-Adresse an.",
                 id="email-empty"),
    pytest.param("email", {"email": "erika.kommune.example"},
                 "Bitte geben Sie eine gültige E-Mail-Adresse an, z. B. name@kommune.de.",
                 id="email-invalid"),
    pytest.param("municipality", {"municipality": ""},
                 "Bitte geben Sie Ihre Kommune oder Ihren Landkreis an.", id="municipality"),
    pytest.param("role", {"role": "x" * 201}, "Bitte höchstens 200 Zeichen.", id="role-long"),
    pytest.param("remarks", {"remarks": "x" * 2001}, "Bitte höchstens 2000 Zeichen.",
                 id="remarks-long"),
    pytest.param("accessibility_needs", {"accessibility_needs": "x" * 2001,
                                         "accessibility_consent": "y"},
                 "Bitte höchstens 2000 Zeichen.", id="accessibility-long"),
    pytest.param("accessibility_consent", {"accessibility_needs": "Rollstuhlgerechter Platz"},
                 "Angaben zur Barrierefreiheit speichern wir nur mit Ihrer ausdrücklichen "
                 "Einwilligung. Bitte willigen Sie ein oder lassen Sie das Feld leer.",
                 id="accessibility-without-consent"),
    pytest.param("consent", {"consent": None},
                 "Bitte stimmen Sie der Verarbeitung Ihrer Daten zu; ohne sie ist keine "
                 "Anmeldung möglich.", id="consent-missing"),
]


@pytest.mark.parametrize("field, changes, message", FIELD_ERRORS)
def test_each_field_error_is_shown_at_the_field_and_in_the_summary(client, workshop, field,
                                                                   changes, message):
    item = workshop()
    response = register_via_form(client, item, **changes)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in visible(page)
    assert page.count(message) == 2  # in the summary and at the field
    assert f'<a class="kern-link" href="#{field}">{message}</a>' in page
    assert f'id="{field}-fehler"' in page
    tag = re.search(rf'<(?:input|textarea)[^>]*\bid="{field}"[^>]*>', page).group(0)
    assert f"{field}-fehler" in re.search(r'aria-describedby="([^"]*)"', tag).group(1)
    assert 'aria-invalid="true"' in tag
    assert "data-error-summary" in page and 'tabindex="-1"' in page
    assert visible(page).startswith("Fehler:")  # the title says so first
    assert registrations() == [] and outbox_kinds() == []


def test_input_is_kept_after_an_error(client, workshop):
    item = workshop()
    response = register_via_form(client, item, email="nicht-gültig", remarks="Bis bald",
                                 accessibility_needs="Induktionsschleife",
                                 accessibility_consent="y")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for value in ('value="Erika Mustermann"', 'value="nicht-gültig"', 'value="Stadt Köln"',
                  'value="Integrationsbüro"'):
        assert value in page
    for text in ("Bis bald", "Induktionsschleife"):
        assert re.search(rf">\s*{text}</textarea>", page)
    for box in ("accessibility_consent", "consent"):
        tag = re.search(rf'<input[^>]*\bid="{box}"[^>]*>', page).group(0)
        assert " checked" in tag


@pytest.mark.backends  # PostgreSQL takes the rush's path (seat_pipeline)
def test_accessibility_needs_are_stored_only_with_their_consent(client, workshop):
    item = workshop()
    register_via_form(client, item, 1, accessibility_needs="Gebärdensprachdolmetschung",
                      accessibility_consent="y")
    register_via_form(client, item, 2, accessibility_consent="y")
    first, second = registrations()
    assert first.accessibility_needs == "Gebärdensprachdolmetschung"
    assert first.accessibility_consent_at is not None
    assert second.accessibility_needs is None and second.accessibility_consent_at is None


def test_post_without_csrf_token_is_refused_in_german(client, workshop):
    item = workshop()
    client.get(f"/workshops/{item.slug}")
    response = client.post(f"/workshops/{item.slug}", data=form_data(1))
    assert response.status_code == 400
    assert "Das Formular ist abgelaufen oder unvollständig übertragen worden." in visible(
        response.data)
    assert registrations() == []


def test_post_with_a_forged_csrf_token_is_refused(client, workshop):
    item = workshop()
    token = csrf_token(client, f"/workshops/{item.slug}")
    response = client.post(f"/workshops/{item.slug}",
                           data={**form_data(1), "csrf_token": token[:-4] + "AAAA"})
    assert response.status_code == 400
    assert registrations() == []


@pytest.mark.backends  # PostgreSQL takes the rush's path (seat_pipeline)
@pytest.mark.parametrize("state, message", [
    ("closed", "Die Anmeldefrist für diesen Workshop ist abgelaufen."),
    ("cancelled", "Dieser Workshop wurde abgesagt; eine Anmeldung ist nicht möglich."),
    ("past", "Dieser Workshop hat bereits stattgefunden oder läuft gerade."),
])
def test_post_when_registration_is_not_open_says_why(client, workshop, state, message):
    item = workshop()
    token = csrf_token(client, f"/workshops/{item.slug}")  # the form was open when loaded
    if state == "closed":
        item.registration_closes_at = utcnow() - timedelta(minutes=1)
    elif state == "past":
        item.starts_at = utcnow() - timedelta(minutes=1)
    else:
        workshops.cancel_workshop(item.id)
    db.session.commit()
    response = client.post(f"/workshops/{item.slug}", data={**form_data(1), "csrf_token": token})
    assert response.status_code == 409
    assert message in visible(response.data)
    assert registrations() == []


@pytest.mark.backends  # PostgreSQL takes the rush's path (seat_pipeline)
def test_post_to_unknown_workshop_is_404(client, workshop):
    item = workshop()
    token = csrf_token(client, f"/workshops/{item.slug}")
    response = client.post("/workshops/gibt-es-nicht", data={**form_data(1), "csrf_token": token})
    assert response.status_code == 404
    assert "Seite nicht gefunden" in visible(response.data)


# --- the personal link -----------------------------------------------------------------------


def _link(registration) -> str:
    return f"/anmeldung/{tokens.token_for(registration)}"


def test_opening_the_link_changes_nothing_and_confirming_is_a_post(client, workshop):
    item = workshop(venue_name="", venue_address="", online_url="https://meet.example/raum-7")
    registration = seats.register(item.id, applicant(1)).registration
    db.session.commit()
    url = _link(registration)
    page = client.get(url)
    text = main(page.data)
    assert page.status_code == 200
    assert "Bitte bestätigen Sie Ihre Teilnahme." in text
    assert "Reserviert – bitte bestätigen" in text and "Person 1" in text
    assert "meet.example" not in page.get_data(as_text=True)  # not before confirming
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    db.session.refresh(registration)
    assert registration.status == S.pending

    response = post_form(client, f"{url}/bestaetigen", {}, page=url)
    assert response.status_code == 303 and response.headers["Location"] == url
    confirmed = client.get(url)
    text = main(confirmed.data)
    assert "Vielen Dank! Ihre Teilnahme ist bestätigt." in text
    assert "Ihre Teilnahme ist bestätigt." in text and "Bestätigt" in text
    assert 'href="https://meet.example/raum-7" rel="noreferrer noopener"' in confirmed.get_data(
        as_text=True)
    db.session.refresh(registration)
    assert registration.status == S.confirmed


def test_cancelling_asks_first_then_cancels(client, workshop):
    item = workshop()
    registration = seats.register(item.id, applicant(1)).registration
    db.session.commit()
    url = _link(registration)
    assert "Anmeldung stornieren …" in main(client.get(url).data)
    ask = client.get(f"{url}?stornieren=1")
    text = main(ask.data)
    assert "Möchten Sie Ihre Anmeldung wirklich stornieren?" in text
    assert "Ja, Anmeldung stornieren" in text and "Nein, zurück" in text
    db.session.refresh(registration)
    assert registration.status == S.pending  # asking changes nothing

    response = post_form(client, f"{url}/stornieren", {}, page=f"{url}?stornieren=1")
    assert response.status_code == 303
    text = main(client.get(url).data)
    assert "Ihre Anmeldung ist storniert." in text and "Diese Anmeldung ist storniert." in text
    assert "Erneut anmelden" in text
    db.session.refresh(registration)
    assert registration.status == S.cancelled


@pytest.mark.backends  # PostgreSQL takes the rush's path (seat_pipeline)
def test_waitlisted_link_page_shows_the_position(client, workshop):
    item = workshop(capacity=1)
    seats.register(item.id, applicant(1))
    db.session.commit()
    waiting = seats.register(item.id, applicant(2)).registration
    db.session.commit()
    text = main(client.get(_link(waiting)).data)
    assert "Sie stehen auf der Warteliste, auf Platz 1." in text
    assert "Teilnahme verbindlich bestätigen" not in text


def test_expired_reservation_page_offers_to_register_again(client, workshop):
    item = workshop()
    registration = seats.register(item.id, applicant(1)).registration
    db.session.commit()
    seats.expire_due(now=utcnow() + timedelta(hours=49))
    db.session.commit()
    response = client.get(_link(registration))
    text = main(response.data)
    assert response.status_code == 200
    assert "Die Frist zur Bestätigung ist abgelaufen." in text
    assert "Erneut anmelden" in text
    assert f'href="/workshops/{item.slug}#anmeldung"' in response.get_data(as_text=True)


def test_confirming_after_the_deadline_says_it_expired(client, workshop):
    item = workshop()
    registration = seats.register(item.id, applicant(1)).registration
    db.session.commit()
    url = _link(registration)
    token = csrf_token(client, url)
    registration.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    client.post(f"{url}/bestaetigen", data={"csrf_token": token})
    text = main(client.get(url).data)
    assert "Die Frist zur Bestätigung ist leider abgelaufen" in text


def test_cancelled_workshop_on_the_link_page(client, workshop):
    item = workshop()
    registration = seats.register(item.id, applicant(1)).registration
    db.session.commit()
    workshops.cancel_workshop(item.id, reason="Krankheit der Referentin.")
    db.session.commit()
    text = main(client.get(_link(registration)).data)
    assert "Dieser Workshop wurde abgesagt." in text and "Krankheit der Referentin." in text
    assert "Anmeldung stornieren" not in text


def test_confirm_without_csrf_token_is_refused(client, workshop):
    item = workshop()
    registration = seats.register(item.id, applicant(1)).registration
    db.session.commit()
    response = client.post(f"{_link(registration)}/bestaetigen")
    assert response.status_code == 400
    assert "Das Formular ist abgelaufen" in visible(response.data)
    db.session.refresh(registration)
    assert registration.status == S.pending


@pytest.mark.parametrize("token", ["1.abc", "kaputt", "999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
def test_invalid_link_page_offers_a_new_link(client, workshop, token):
    workshop(title="Offener Workshop")
    response = client.get(f"/anmeldung/{token}")
    text = main(response.data)
    assert response.status_code == 404
    assert "Dieser Link funktioniert nicht (mehr)" in text
    assert "Der Link ist ungültig oder wurde durch einen neueren ersetzt." in text
    assert "Neuen Link anfordern" in text and "Offener Workshop" in text


def test_revoked_link_then_a_new_link_by_mail(client, workshop):
    item = workshop(title="Integrationskonzept")
    registration = seats.register(item.id, applicant(1)).registration
    db.session.commit()
    old = _link(registration)
    tokens.revoke(registration)
    db.session.commit()
    assert client.get(old).status_code == 404

    response = post_form(client, "/anmeldung/neuer-link",
                         {**form_data(1, email="person1@kommune.example"),
                          "workshop": str(item.id)}, page=old)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/workshops/{item.slug}/anmeldung#inhalt"
    text = main(client.get(response.headers["Location"]).data)
    assert MAILBOX in text
    mail = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert mail.kind == "link_again"
    new = LINK.search(mail.body_text).group(0)
    assert new != old and client.get(new).status_code == 200
    assert len(registrations()) == 1


def test_new_link_form_errors(client, workshop):
    workshop()
    response = post_form(client, "/anmeldung/neuer-link", {"email": "x"})
    text = visible(response.data)
    assert response.status_code == 422
    assert "Bitte wählen Sie den Workshop, für den Sie sich angemeldet haben." in text
    assert "Bitte geben Sie eine gültige E-Mail-Adresse an" in text
    assert "Bitte geben Sie Ihren Namen an." in text


def test_new_link_page_when_nothing_is_open(client, app):
    response = client.get("/anmeldung/neuer-link")
    assert response.status_code == 200
    assert "Derzeit ist für keinen Workshop eine Anmeldung offen" in main(response.data)


def test_pages_count_db_rows_only_through_services(client, workshop):
    """A GET on any page leaves the data as it was (no state change on opening a link)."""
    item = workshop()
    registration = seats.register(item.id, applicant(1)).registration
    db.session.commit()
    before = db.session.scalar(select(func.count(OutboxMessage.id)))
    for url in ("/", f"/workshops/{item.slug}", _link(registration),
                f"{_link(registration)}?stornieren=1"):
        assert client.get(url).status_code == 200
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == before
    db.session.refresh(registration)
    assert registration.status == S.pending
