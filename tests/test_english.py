"""English: every text translated, placeholders intact, the switch, German the default."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from events.web import language
from tests.pages_support import dated_workshops, every_page, main

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "translations" / "messages.pot"
EN_PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%|\{[a-z_]+\}")


def _catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle, locale="en" if path == EN_PO else None)


def _key(message_id) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def _forms(message) -> list[tuple[str, str]]:
    """(source, translation) pairs: one per form, plural forms compared to the plural id."""
    if isinstance(message.id, str):
        return [(message.id, message.string)]
    singular, plural = message.id
    strings = list(message.string)
    return [(singular, strings[0])] + [(plural, text) for text in strings[1:]]


def test_every_message_of_the_template_is_in_the_english_catalogue():
    template = {_key(m.id) for m in _catalog(POT) if m.id}
    english = {_key(m.id) for m in _catalog(EN_PO) if m.id}
    missing = sorted(template - english)
    assert missing == [], f"{len(missing)} not in en/messages.po: {missing[:10]}"


def test_every_text_in_the_sources_is_in_the_english_catalogue(tmp_path):
    """Extracted afresh (the command in babel.cfg): a new text needs messages.pot and en."""
    target = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "extract", "-F",
                    "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
                    "-o", str(target), "."], cwd=ROOT, check=True, capture_output=True)
    sources = {_key(m.id) for m in _catalog(target) if m.id}
    english = {_key(m.id) for m in _catalog(EN_PO) if m.id}
    missing = sorted(sources - english)
    assert missing == [], f"{len(missing)} texts not in en/messages.po: {missing[:10]}"


def test_nothing_untranslated_or_fuzzy():
    catalog = _catalog(EN_PO)
    assert catalog.plural_forms == "nplurals=2; plural=(n != 1);"
    bad = [_key(m.id) for m in catalog if m.id and (
        m.fuzzy or not all(text.strip() for _, text in _forms(m)))]
    assert bad == [], f"{len(bad)} untranslated or fuzzy: {bad[:10]}"


def test_placeholders_match_between_german_and_english():
    wrong = []
    for message in _catalog(EN_PO):
        if not message.id:
            continue
        for source, text in _forms(message):
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
                wrong.append((source, text))
            if source.count("<a ") != text.count("<a ") or source.count("</a>") != text.count(
                    "</a>"):
                wrong.append((source, text))
    assert wrong == []


def test_the_catalogue_is_compiled_when_missing_or_older(tmp_path):
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(EN_PO, folder / "messages.po")
    language.compile_catalogues(tmp_path)
    compiled = folder / "messages.mo"
    assert compiled.stat().st_size > 10_000
    first = compiled.stat().st_mtime_ns
    language.compile_catalogues(tmp_path)  # up to date: left alone
    assert compiled.stat().st_mtime_ns == first
    po = folder / "messages.po"
    po.write_bytes(po.read_bytes().replace(b'msgstr "Skip to content"',
                                           b'msgstr "Jump to content"'))
    os.utime(po, ns=(first + 10**9, first + 10**9))
    language.compile_catalogues(tmp_path)
    assert b"Jump to content" in compiled.read_bytes()


@pytest.fixture
def workshop(make_workshop):
    return dated_workshops(make_workshop)(title="Ausbildung in der Verwaltung")


def test_german_is_the_default_even_for_an_english_browser(client, workshop):
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="de">' in html
    assert "Zum Inhalt springen" in html and "Skip to content" not in html
    assert re.search(r"\d{4}, \d\d:\d\d(–\d\d:\d\d)? Uhr", html)
    assert 'hreflang="en"' in html and ">English</a>" in html


def test_the_switch_sets_the_cookie_and_the_catalogue_speaks_english(client, workshop):
    answer = client.get("/sprache/en?next=/")
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("sprache=en;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html
    for text in ("Skip to content", "Workshops for municipal practice", "Data protection",
                 "Imprint", "All topics", "10 places left", "Registration until"):
        assert text in html, text
    assert "Zum Inhalt springen" not in html
    assert "Ausbildung in der Verwaltung" in main(html)  # data stays as entered
    assert " Uhr" not in html  # dates in English too: "Mon 21 December 2026, 10:00"
    assert re.search(r"\b[A-Z][a-z]{2} \d{1,2} (January|February|March|April|May|June|July|"
                     r"August|September|October|November|December) \d{4}, \d\d:\d\d", html)
    assert ">Deutsch</a>" in html and 'aria-current="true">English' in html
    client.get("/sprache/de?next=/")
    assert '<html lang="de">' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("target", [
    "//evil.example/", "https://evil.example/", "/\\evil.example", "evil", "", "/%0d%0aX:1",
    "javascript:alert(1)", "\\\\evil.example"])
def test_the_switch_returns_only_to_local_paths(client, target):
    answer = client.get("/sprache/en", query_string={"next": target})
    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))


def test_the_switch_keeps_a_local_path_with_query(client):
    answer = client.get("/sprache/en", query_string={"next": "/praxisbeispiele?q=Köln"})
    assert answer.headers["Location"] == "/praxisbeispiele?q=K%C3%B6ln"


@pytest.mark.parametrize("code", ["fr", "EN", "de_CH", "99999999999999999999", "é"])
def test_an_unknown_language_is_refused(client, code):
    answer = client.get(f"/sprache/{code}")
    assert answer.status_code == 404
    assert "Set-Cookie" not in answer.headers or "sprache=" not in answer.headers["Set-Cookie"]


def test_a_forged_cookie_falls_back_to_german(client, workshop):
    client.set_cookie("sprache", "xx")
    assert '<html lang="de">' in client.get("/").get_data(as_text=True)


def test_the_api_follows_accept_language(client):
    english = client.get("/api/v1/organiser/accounts", headers={"Accept-Language": "en"})
    assert english.status_code == 401
    assert english.get_json()["error"]["message"].startswith("Please send a valid API token")
    german = client.get("/api/v1/organiser/accounts", headers={"Accept-Language": "fr"})
    assert german.get_json()["error"]["message"].startswith("Bitte senden Sie ein gültiges")


def test_every_public_page_renders_in_english(client, make_workshop):
    client.set_cookie("sprache", "en")
    pages = every_page(client, dated_workshops(make_workshop))
    assert len(pages) > 10
    for name, response in pages:
        html = response.get_data(as_text=True)
        assert response.status_code < 500, name
        if response.mimetype == "text/html" and "<html" in html:
            assert '<html lang="en">' in html, name
            assert "Skip to content" in html and "Zum Inhalt springen" not in html, name


def test_mails_follow_the_language_the_person_registered_in(client, workshop):
    """Issue 14: the page's language is kept with the registration and the mail speaks it
    (more in test_mail_language.py); the page after it stays English too."""
    from events.extensions import db
    from events.models import OutboxMessage
    from tests.pages_support import form_data, post_form

    client.set_cookie("sprache", "en")
    answer = post_form(client, f"/workshops/{workshop.slug}", form_data(1))
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert '<html lang="en">' in page
    mail = db.session.scalars(db.select(OutboxMessage)).one()
    assert mail.subject.startswith("Please confirm: ")
    assert " Uhr" not in mail.body_text and "Please confirm" in mail.body_text
    assert '<html lang="en">' in mail.body_html and "Guten Tag" not in mail.body_html
