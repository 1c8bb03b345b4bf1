"""The public pages read as a person reads them: German text and status codes per state."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

from events import create_app
from events.extensions import db
from events.models import Theme, WorkshopStatus, utcnow
from events.services import seats, workshops
from tests.conftest import applicant, base_config
from tests.pages_support import dated_workshops, main, visible


@pytest.fixture
def workshop(make_workshop):
    return dated_workshops(make_workshop)

# --- catalogue ---------------------------------------------------------------------------


def test_catalogue_shows_programme_places_and_workshops_by_theme(client, make_programme,
                                                                  workshop, programme):
    programme.name = "Workshopreihe Flüchtlings- und Integrationsmanagement"
    programme.capacity = 150
    db.session.commit()
    other = Theme(slug="personal", name="Personal", description="Ausbildung", position=-1)
    db.session.add(other)
    db.session.commit()
    first = workshop(title="Integrationskonzept im Landkreis", capacity=5)
    second = workshop(title="Praktikum in der Verwaltung", theme=other, capacity=2,
                      starts_in=timedelta(days=30))
    seats.register(first.id, applicant(1))
    db.session.commit()

    response = client.get("/")
    text = main(response.data)
    assert response.status_code == 200
    assert "Workshopreihe Flüchtlings- und Integrationsmanagement" in text
    assert "Noch 149 von 150 Plätzen in der Workshopreihe frei." in text
    assert "Noch 4 Plätze frei" in text and "Noch 2 Plätze frei" in text
    # grouped by theme, in the themes' order (Personal first), each under its heading
    page = response.get_data(as_text=True)
    order = ['id="thema-personal">Personal<', f'href="/workshops/{second.slug}"',
             'id="thema-integration">Integration<', f'href="/workshops/{first.slug}"']
    assert [page.index(part) for part in order] == sorted(page.index(part) for part in order)
    assert "Rathaus" in text


def test_catalogue_dates_are_german(client, workshop):
    # Tuesday, 13 January 2037, 10:00–16:00 in Berlin (CET = UTC+1)
    workshop(starts_at=datetime(2037, 1, 13, 9, 0, tzinfo=timezone.utc), hours=6,
             registration_closes_at=datetime(2037, 1, 6, 22, 0, tzinfo=timezone.utc))
    text = visible(client.get("/").data)
    assert "Di., 13. Januar 2037, 10:00–16:00 Uhr" in text
    assert "Anmeldung bis Di., 6. Januar 2037, 23:00 Uhr" in text


def test_catalogue_marks_every_state(client, workshop):
    now = utcnow()
    workshop(title="Offen mit Plätzen", capacity=3)
    full = workshop(title="Voll mit Warteliste", capacity=1)
    seats.register(full.id, applicant(1))
    db.session.commit()
    cancelled = workshop(title="Leider abgesagt", capacity=3)
    workshops.cancel_workshop(cancelled.id, reason="Die Referentin ist erkrankt.")
    db.session.commit()
    workshop(title="Noch nicht offen", registration_opens_at=now + timedelta(days=2))
    workshop(title="Frist vorbei", registration_closes_at=now - timedelta(hours=1))
    workshop(title="Schon vorbei", starts_at=now - timedelta(days=3), hours=4)
    workshop(title="Online-Format", venue_name="", venue_address="",
             online_url="https://meet.example/geheim")
    workshop(title="Noch ein Entwurf", status=WorkshopStatus.draft)

    response = client.get("/")
    text = visible(response.data)
    assert response.status_code == 200
    assert "Offen mit Plätzen" in text and "Noch 3 Plätze frei" in text
    assert "ausgebucht – Warteliste" in _card(text, "Voll mit Warteliste")
    assert "ausgebucht" not in _card(text, "Offen mit Plätzen")
    assert "Abgesagt" in _card(text, "Leider abgesagt")
    assert "Die Referentin ist erkrankt." in text
    assert "Anmeldung noch nicht möglich" in _card(text, "Noch nicht offen")
    assert "Anmeldung ab " in _card(text, "Noch nicht offen")
    assert "Anmeldefrist abgelaufen" in _card(text, "Frist vorbei")
    assert "Bereits stattgefunden" in text
    assert text.index("Bereits stattgefunden") < text.index("Schon vorbei")
    assert "Hat bereits stattgefunden" in _card(text, "Schon vorbei")
    assert "Online" in _card(text, "Online-Format")
    assert "meet.example" not in response.get_data(as_text=True)  # only for the confirmed
    assert "Noch ein Entwurf" not in text


def _card(text: str, title: str) -> str:
    """The text of one card: from its title to the next 'Uhr' date line (the next card)."""
    start = text.index(title)
    following = text.find(" Uhr ", start + len(title) + 40)
    return text[start: following if following > 0 else None]


def test_singular_seat_and_programme_cap_reached(client, make_programme, workshop, programme):
    programme.capacity = 1
    db.session.commit()
    one = workshop(title="Fast voll", capacity=2)
    seats.register(one.id, applicant(1))
    db.session.commit()
    text = visible(client.get("/").data)
    assert "Noch 1 Platz frei" in text
    assert "Alle 1 Plätze der Workshopreihe sind vergeben." in text
    assert "Neue Anmeldungen kommen auf die Warteliste" in text


def test_theme_filter_shows_only_that_theme(client, workshop, theme):
    other = Theme(slug="unterbringung", name="Unterbringung", description="Unterkünfte")
    db.session.add(other)
    db.session.commit()
    workshop(title="Integrationskonzept")
    workshop(title="Gemeinschaftsunterkünfte", theme=other)

    response = client.get("/themes/unterbringung")
    text = visible(response.data)
    assert response.status_code == 200
    assert "Thema: Unterbringung" in text and "Gemeinschaftsunterkünfte" in text
    assert "Integrationskonzept" not in text
    assert 'href="/themes/unterbringung" aria-current="page"' in response.get_data(as_text=True)


def test_theme_without_workshops_says_so(client, workshop, theme):
    db.session.add(Theme(slug="kostenrechnung", name="Kostenrechnung"))
    db.session.commit()
    response = client.get("/themes/kostenrechnung")
    assert response.status_code == 200
    assert "Zu diesem Thema sind derzeit keine Workshops geplant." in visible(response.data)


def test_unknown_theme_is_404_in_german(client, app):
    response = client.get("/themes/gibt-es-nicht")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in visible(response.data)


def test_catalogue_without_programme(client, app):
    response = client.get("/")
    assert response.status_code == 200
    assert "Derzeit sind keine Workshops geplant." in visible(response.data)


# --- workshop page -------------------------------------------------------------------------


def test_open_workshop_page_has_details_and_the_form(client, workshop):
    item = workshop(title="Integrationsmonitoring", description="Kennzahlen für die Praxis.",
                    capacity=12)
    response = client.get(f"/workshops/{item.slug}")
    page = response.get_data(as_text=True)
    text = visible(page)
    assert response.status_code == 200
    assert "Integrationsmonitoring" in text and "Kennzahlen für die Praxis." in text
    assert "Rathaus, Marktplatz 1, 50667 Köln" in text
    assert "12 von 12 frei" in text and "Anmeldeschluss" in text and "Zur Anmeldung" in text
    for label in ("Vor- und Nachname", "E-Mail-Adresse", "Kommune oder Landkreis",
                  "Fachbereich oder Funktion (optional)", "Anmerkungen (optional)",
                  "Barrierefreie Teilnahme (optional)", "Ihr Unterstützungsbedarf",
                  "Ich willige ausdrücklich ein", "Ich bin mit der Verarbeitung"):
        assert label in text
    assert 'href="/datenschutz"' in page and 'name="csrf_token"' in page
    assert 'type="email"' in page and 'autocomplete="email"' in page
    assert "Anmelden" in text


def test_full_workshop_offers_the_waiting_list(client, workshop):
    item = workshop(capacity=1)
    seats.register(item.id, applicant(1))
    db.session.commit()
    text = visible(client.get(f"/workshops/{item.slug}").data)
    assert "ausgebucht – Warteliste" in text
    assert "Der Workshop ist ausgebucht." in text
    assert "Auf die Warteliste setzen" in text


@pytest.mark.parametrize("state, fields, message", [
    ("closed", {"registration_closes_at": utcnow() - timedelta(hours=1)},
     "Die Anmeldefrist ist abgelaufen."),
    ("not-yet-open", {"registration_opens_at": utcnow() + timedelta(days=3)},
     "Die Anmeldung beginnt am "),
    ("past", {"starts_at": utcnow() - timedelta(days=2)},
     "Dieser Workshop hat bereits begonnen oder stattgefunden."),
    ("running", {"starts_at": utcnow() - timedelta(hours=1)},
     "Dieser Workshop hat bereits begonnen oder stattgefunden."),
])
def test_workshop_page_without_registration(client, workshop, state, fields, message):
    item = workshop(**fields)
    response = client.get(f"/workshops/{item.slug}")
    text = visible(response.data)
    assert response.status_code == 200
    assert message in text
    assert 'name="email"' not in response.get_data(as_text=True)


def test_cancelled_workshop_page(client, workshop):
    item = workshop()
    workshops.cancel_workshop(item.id, reason="Der Raum steht nicht zur Verfügung.")
    db.session.commit()
    response = client.get(f"/workshops/{item.slug}")
    text = visible(response.data)
    assert response.status_code == 200
    assert "Dieser Workshop wurde abgesagt." in text
    assert "Der Raum steht nicht zur Verfügung." in text
    assert 'name="email"' not in response.get_data(as_text=True)


def test_online_workshop_page_hides_the_link(client, workshop):
    item = workshop(venue_name="", venue_address="", online_url="https://meet.example/raum-1")
    response = client.get(f"/workshops/{item.slug}")
    assert "Online" in visible(response.data)
    assert "meet.example" not in response.get_data(as_text=True)


@pytest.mark.parametrize("slug", ["gibt-es-nicht", "entwurf"])
def test_unknown_or_draft_workshop_is_404(client, workshop, slug):
    workshop(slug="entwurf", status=WorkshopStatus.draft)
    response = client.get(f"/workshops/{slug}")
    assert response.status_code == 404
    text = visible(response.data)
    assert "Seite nicht gefunden" in text and "Zur Übersicht der Workshops" in text


# --- privacy and imprint -------------------------------------------------------------------


def test_privacy_page_defaults(client, app):
    response = client.get("/datenschutz")
    text = visible(response.data)
    assert response.status_code == 200
    for part in ("Datenschutzerklärung", "Verantwortlich", "Was wir speichern", "Wofür",
                 "Rechtsgrundlage", "Art. 9 Abs. 2 lit. a DSGVO", "Wie lange", "Ihre Rechte",
                 "Kontakt", app.config["OPERATOR_NAME"], "48 Stunden"):
        assert part in text


@pytest.mark.parametrize("config_overrides", [{
    "OPERATOR_NAME": "Landkreis Musterland",
    "OPERATOR_ADDRESS": "Kreishaus; Am Markt 3; 99999 Musterstadt",
    "OPERATOR_REPRESENTATIVE": "Landrätin Dr. Erika Beispiel",
    "OPERATOR_EMAIL": "integration@musterland.example",
    "OPERATOR_PHONE": "0123 456789",
    "PRIVACY_CONTACT": "Datenschutzbeauftragter, datenschutz@musterland.example",
    "PRIVACY_AUTHORITY": "Landesbeauftragte für Datenschutz Musterland",
    "PRIVACY_RETENTION": "Wir löschen alles am Jahresende.",
}])
def test_imprint_and_privacy_from_configuration(client, app):
    imprint = visible(client.get("/impressum").data)
    assert "Landkreis Musterland Kreishaus Am Markt 3 99999 Musterstadt" in imprint
    assert "Landrätin Dr. Erika Beispiel" in imprint
    assert "integration@musterland.example" in imprint and "0123 456789" in imprint
    privacy = visible(client.get("/datenschutz").data)
    assert "datenschutz@musterland.example" in privacy
    assert "Landesbeauftragte für Datenschutz Musterland" in privacy
    assert "Wir löschen alles am Jahresende." in privacy


def test_operator_text_file_replaces_the_default_and_is_cleaned(app, client, tmp_path):
    text_file = tmp_path / "datenschutz.html"
    text_file.write_text('<h2>Unsere Regeln</h2><p style="color:red" onclick="x()">Kurz und '
                         'klar.</p><script>alert(1)</script>', encoding="utf-8")
    app.config["PRIVACY_TEXT_FILE"] = str(text_file)
    response = client.get("/datenschutz")
    page = response.get_data(as_text=True)
    assert "Unsere Regeln" in page and "Kurz und klar." in page
    assert "<script" not in page.split("</head>")[1].replace('src="/static', "")
    assert "alert(1)" not in page and 'style="' not in page and "onclick" not in page
    assert "Was wir speichern" not in page


def test_imprint_defaults(client, app):
    response = client.get("/impressum")
    text = visible(response.data)
    assert response.status_code == 200
    assert "Impressum" in text and app.config["OPERATOR_NAME"] in text


def test_footer_links_on_every_page(client, app):
    page = client.get("/impressum").get_data(as_text=True)
    assert 'href="/datenschutz"' in page and 'href="/impressum"' in page
    assert f'href="mailto:{app.config["CONTACT_EMAIL"]}"' in page
    assert 'href="#inhalt"' in page and 'id="inhalt"' in page
    assert '<html lang="de">' in page


# --- error pages ------------------------------------------------------------------------------


def test_404_page(client, app):
    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404
    text = visible(response.data)
    assert "Fehler 404" in text and "Seite nicht gefunden" in text
    assert "In der Übersicht finden Sie alle Workshops der Reihe." in text


def test_405_page_keeps_allow(client, workshop):
    response = client.get("/anmeldung/1.abc/bestaetigen")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    text = visible(response.data)
    assert "Aktion nicht möglich" in text and "Schaltflächen auf der Seite" in text


@pytest.fixture
def failing_app(tmp_path, database_url):
    app = create_app(base_config(database_url, tmp_path))

    @app.get("/kaputt")
    def broken():
        raise RuntimeError("boom")

    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_500_page_says_what_to_do(failing_app, caplog):
    caplog.set_level(logging.ERROR, logger="events")
    response = failing_app.test_client().get("/kaputt")
    assert response.status_code == 500
    text = visible(response.data)
    assert "Ein Fehler ist aufgetreten" in text and "in einigen Minuten erneut" in text
    assert failing_app.config["CONTACT_EMAIL"] in text
    assert "boom" not in text and "Traceback" not in text


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_ENABLED": True,
                                               "RATELIMIT_REGISTRATION": "2 per minute"}])
def test_429_page(client, workshop):
    from tests.pages_support import form_data, post_form

    item = workshop()
    url = f"/workshops/{item.slug}"
    assert post_form(client, url, form_data(1)).status_code == 303
    assert post_form(client, url, form_data(2)).status_code == 303
    response = post_form(client, url, form_data(3))
    assert response.status_code == 429
    assert "Zu viele Anfragen" in visible(response.data)
    assert "warten Sie einen Moment" in visible(response.data)


def test_api_errors_stay_json(client, app):
    response = client.get("/api/v1/workshops/999999")
    assert response.status_code == 404
    assert response.is_json and response.json["error"]["code"] == "not_found"


# --- KERN assets ---------------------------------------------------------------------------


def test_kern_is_served_from_our_host(client, app):
    page = client.get("/impressum").get_data(as_text=True)
    version = app.extensions["kern"]["version"]
    assert version == "2.7.2"
    assert f'href="/static/kern/kern.min.css?v={version}"' in page
    css = client.get(f"/static/kern/kern.min.css?v={version}")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert css.headers["Cache-Control"].startswith("public, max-age=")
    fonts = client.get("/static/kern/fonts/fira-sans.css")
    assert fonts.status_code == 200 and b"FiraSans-Regular.woff2" in fonts.data
    font = client.get("/static/kern/fonts/fira-sans/FiraSans-Regular.woff2")
    assert font.status_code == 200 and font.data[:4] == b"wOF2"
    assert client.get("/static/kern/../package.json").status_code == 404


def test_without_kern_the_site_works_plainly_and_the_log_says_npm_ci(caplog, tmp_path,
                                                                       database_url):
    caplog.set_level(logging.WARNING, logger="events")
    app = create_app({**base_config(database_url, tmp_path),
                      "KERN_PACKAGE": str(tmp_path / "no-node-modules")})
    assert "npm ci" in caplog.text
    with app.app_context():
        response = app.test_client().get("/impressum")
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and "Impressum" in visible(page)
        assert "/static/kern/" not in page and "/static/css/site.css" in page
        assert app.test_client().get("/static/kern/kern.min.css").status_code == 404
        db.session.remove()
        db.engine.dispose()
