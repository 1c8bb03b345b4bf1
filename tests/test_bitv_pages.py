"""BITV 2.0: the accessibility statement, the Leichte Sprache page and the print stylesheet."""

from __future__ import annotations

import re

import pytest

from tests.pages_support import visible


def test_statement_defaults(client, app):
    response = client.get("/barrierefreiheit")
    text = visible(response.data)
    assert response.status_code == 200
    assert "Erklärung zur Barrierefreiheit" in text
    assert "teilweise mit der BITV 2.0 vereinbar" in text
    assert "Nicht barrierefreie Inhalte" in text and "PDF" in text
    assert "Die Seiten wurden zuletzt am 30.11.2026 geprüft." in text
    assert app.config["OPERATOR_EMAIL"] in text  # no own contact: the operator's address
    assert "Schlichtungsverfahren" in text and "§ 16 BGG" in text
    page = response.get_data(as_text=True)
    assert 'href="https://www.schlichtungsstelle-bgg.de"' in page
    assert 'href="/leichte-sprache"' in page


@pytest.mark.parametrize("config_overrides", [{
    "ACCESSIBILITY_STATUS": "vollständig",
    "ACCESSIBILITY_CHECKED_ON": "2027-02-01",
    "ACCESSIBILITY_CONTACT": "barrieren@musterland.example",
    "ACCESSIBILITY_ENFORCEMENT_BODY": "Ombudsstelle Musterland; Postfach 1; 99999 Musterstadt",
    "ACCESSIBILITY_ENFORCEMENT_URL": "",
}])
def test_statement_from_configuration(client):
    response = client.get("/barrierefreiheit")
    text = visible(response.data)
    page = response.get_data(as_text=True)
    assert "vollständig mit der BITV 2.0 vereinbar" in text and "teilweise mit" not in text
    assert "zuletzt am 01.02.2027 geprüft" in text
    assert 'href="mailto:barrieren@musterland.example"' in page
    assert "Ombudsstelle Musterland Postfach 1 99999 Musterstadt" in text
    assert "schlichtungsstelle-bgg.de" not in page


@pytest.mark.parametrize("config_overrides", [{
    "ACCESSIBILITY_STATUS": "irgendwas", "ACCESSIBILITY_CHECKED_ON": "gestern"}])
def test_statement_survives_bad_values(client, caplog):
    response = client.get("/barrierefreiheit")
    text = visible(response.data)
    assert response.status_code == 200
    assert "teilweise mit der BITV 2.0 vereinbar" in text and "zuletzt am" not in text
    assert "ACCESSIBILITY_CHECKED_ON" in caplog.text


def test_easy_language_page(client, app):
    response = client.get("/leichte-sprache")
    text = visible(response.data)
    assert response.status_code == 200
    for heading in ("Was ist diese Internet·seite?", "Was können Sie hier machen?",
                    "So melden Sie sich an", "Hier bekommen Sie Hilfe"):
        assert heading in text
    assert "Anmelde·formular" in text
    assert app.config["CONTACT_EMAIL"] in text
    # one statement per sentence: no sentence in the body is long
    body = text.split("Informationen in Leichter Sprache", 1)[1]
    sentences = [s for s in re.split(r"[.?!:]\s", body) if s.strip()]
    assert max(len(s.split()) for s in sentences) <= 15


@pytest.mark.parametrize("url", ["/", "/impressum", "/datenschutz", "/barrierefreiheit",
                                 "/leichte-sprache", "/anmeldung/neuer-link"])
def test_links_in_footer_and_header_and_print_css(client, url):
    page = client.get(url).get_data(as_text=True)
    footer = page.split('class="app-footer"', 1)[1]
    assert 'href="/barrierefreiheit"' in footer and 'href="/leichte-sprache"' in footer
    header = page.split("<header", 1)[1].split("</header>", 1)[0]
    assert 'href="/leichte-sprache"' in header
    assert re.search(r'<link rel="stylesheet" href="/static/css/print\.css[^"]*" media="print">',
                     page)


def test_print_css(client):
    response = client.get("/static/css/print.css")
    css = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '::after { content: " (" attr(href) ")"' in css
    assert "size: A4" in css
    for chrome in (".app-header", ".app-footer", ".kern-kopfzeile", "nav"):
        assert chrome in css.split("display: none")[0]
    assert "break-inside: avoid" in css and "table-header-group" in css
