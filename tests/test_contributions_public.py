"""Public pages of the practice exchange: search page, example page, attachments, Atom feed,
and the examples on the home page and on workshop pages."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest

from events.extensions import db
from events.models import Attachment, ContributionState, WorkshopStatus
from tests.contribution_support import corpus, make_contribution  # noqa: F401
from tests.pages_support import dated_workshops, main

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def config_overrides(tmp_path):
    return {"ATTACHMENT_DIR": str(tmp_path / "anhaenge")}


@pytest.fixture
def workshop(make_workshop):
    return dated_workshops(make_workshop)


def result_titles(html: str) -> list[str]:
    return re.findall(r'class="kern-link kern-link--stretched" href="/praxisbeispiele/([^"]+)"',
                      html)


def assert_strict_csp_markup(html: str) -> None:
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert not re.search(r"<[^>]*\son[a-z]+=", html), "event handler attribute"


# --- search page -------------------------------------------------------------------------


@pytest.mark.backends
def test_list_shows_published_examples_newest_first_with_filter_counts(client, corpus):  # noqa: F811
    response = client.get("/praxisbeispiele")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert result_titles(html) == list(reversed(list(corpus)))
    text = main(html)
    assert "9 Praxisbeispiele" in text
    assert "Arbeit und Ausbildung (4) 4 Treffer" in text and "Hessen (1) 1 Treffer" in text
    assert "Landkreis (1)" in text and "Partner (1)" in text
    assert "zurückgezogen" not in text and "eingereicht" not in text
    assert_strict_csp_markup(html)
    assert "Content-Security-Policy" in response.headers


@pytest.mark.backends
def test_search_and_filters_through_the_address(client, corpus):  # noqa: F811
    html = client.get("/praxisbeispiele?q=Koeln").get_data(as_text=True)
    assert result_titles(html) == ["koeln", "crimmitschau"]
    assert "2 Treffer" in main(html)
    html = client.get("/praxisbeispiele?q=altenpfleger&bundesland=Berlin").get_data(as_text=True)
    assert result_titles(html) == ["berlin"]
    html = client.get("/praxisbeispiele?thema=arbeit&art=partner").get_data(as_text=True)
    assert result_titles(html) == ["joblinge"]
    # the facet links keep the search and change one filter
    assert 'href="/praxisbeispiele?q=altenpfleger&amp;bundesland=Berlin' not in html
    html = client.get("/praxisbeispiele?q=Ausbildung").get_data(as_text=True)
    assert 'href="/praxisbeispiele?q=Ausbildung&amp;thema=arbeit"' in html
    assert 'value="Ausbildung"' in html


def test_no_hits_and_unknown_filters_are_explained(client, corpus):  # noqa: F811
    text = main(client.get("/praxisbeispiele?q=xyzzy").get_data(as_text=True))
    assert "Keine Praxisbeispiele gefunden" in text
    response = client.get("/praxisbeispiele?thema=gibtsnicht&bundesland=Atlantis&art=x")
    assert response.status_code == 200
    text = main(response.get_data(as_text=True))
    assert "Ein Filter war unbekannt und wurde nicht angewendet: Thema, Bundesland, " \
           "Art der Einrichtung" in text
    assert "9 Praxisbeispiele" in text


@pytest.mark.parametrize("query", [
    "q=" + "a" * 10_000, "q=%00", "q=%22NEAR%28", "seite=99999999999999999999", "seite=-1",
    "seite=abc", "seite=%F0%9F%98%80", "thema=%3Cscript%3E", "bundesland=%00", "art=" + "x" * 500,
    "q=%C3%A4%00%C3%B6&seite=0", "q[]=x", "q=*&thema=&bundesland=&art=",
])
def test_hostile_parameters_never_fail(client, corpus, query):  # noqa: F811
    response = client.get(f"/praxisbeispiele?{query}")
    assert response.status_code == 200
    assert "<script>" not in response.get_data(as_text=True).split("</main>")[0].split("<main")[1]


def test_pages_of_twenty(client, make_contribution):  # noqa: F811
    for n in range(23):
        make_contribution(slug=f"projekt-{n:02d}", title=f"Projekt {n}")
    first = client.get("/praxisbeispiele?q=projekt").get_data(as_text=True)
    assert len(result_titles(first)) == 20 and "Seite 1 von 2" in main(first)
    assert 'rel="next" href="/praxisbeispiele?q=projekt&amp;seite=2"' in first
    second = client.get("/praxisbeispiele?q=projekt&seite=2").get_data(as_text=True)
    assert result_titles(second) == ["projekt-02", "projekt-01", "projekt-00"]
    assert 'rel="prev" href="/praxisbeispiele?q=projekt"' in second
    beyond = client.get("/praxisbeispiele?q=projekt&seite=9").get_data(as_text=True)
    assert "Diese Seite gibt es nicht." in main(beyond)


# --- example page --------------------------------------------------------------------------


def test_example_page_shows_the_published_example(client, make_contribution, workshop):  # noqa: F811
    shown, draft = workshop(title="Ausbildung gestalten"), workshop(title="Geheimer Entwurf")
    draft.status = WorkshopStatus.draft
    db.session.commit()
    c = make_contribution(
        slug="lotsen", title="Lotsen <b>im</b> Quartier", municipality="Stadt Köln",
        summary="Kurz & gut", description="## Ablauf\n\nErst **planen**, dann "
        "[los](javascript:alert(1)) <script>alert(2)</script> <img src=x onerror=alert(3)>",
        results="Teilnehmende: 40\nZufriedenheit: 92 %", partners="Caritas",
        links="https://lotsen.example/\njavascript:alert(4)", contact_name="Maria Muster",
        contact_email="maria@koeln.example", contact_public=False, workshops=[shown, draft])
    response = client.get("/praxisbeispiele/lotsen")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = main(html)
    assert "Lotsen <b>im</b> Quartier" in text  # escaped, shown as written
    assert "<strong>planen</strong>" in html and "<h2>Ablauf</h2>" in html
    assert 'href="javascript' not in html and "<script>alert" not in html and "<img" not in html
    assert "Teilnehmende: 40" in text and "Zufriedenheit: 92 %" in text and "Caritas" in text
    assert 'href="https://lotsen.example/"' in html
    assert "Ausbildung gestalten" in text and "Geheimer Entwurf" not in text
    assert f'href="/workshops/{shown.slug}"' in html
    assert "Maria Muster" not in text and "maria@koeln.example" not in html
    assert_strict_csp_markup(html)

    c.contact_public = True
    db.session.commit()
    text = main(client.get("/praxisbeispiele/lotsen").get_data(as_text=True))
    assert "Ansprechperson Maria Muster maria@koeln.example" in text


@pytest.mark.parametrize("state", [ContributionState.submitted, ContributionState.returned,
                                   ContributionState.withdrawn])
def test_unpublished_examples_are_not_found(client, make_contribution, state):  # noqa: F811
    make_contribution(slug="nicht-oeffentlich", state=state)
    assert client.get("/praxisbeispiele/nicht-oeffentlich").status_code == 404
    assert client.get("/praxisbeispiele/gibt-es-nicht").status_code == 404
    assert "nicht-oeffentlich" not in client.get("/praxisbeispiele").get_data(as_text=True)


# --- attachments ----------------------------------------------------------------------------


def _attach(app, contribution, name: str, data: bytes, key: str, content_type="application/pdf"):
    from pathlib import Path

    folder = Path(app.config["ATTACHMENT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / key).write_bytes(data)
    item = Attachment(contribution=contribution, filename=name, content_type=content_type,
                      size=len(data), sha256="0" * 64, storage_key=key)
    db.session.add(item)
    db.session.commit()
    return item


def test_attachment_download_is_safe(app, client, make_contribution):  # noqa: F811
    c = make_contribution(slug="mit-anhang")
    item = _attach(app, c, "Präsentation Köln \"final\".pdf", b"%PDF-1.4 test", "ab" * 24)
    response = client.get(f"/praxisbeispiele/mit-anhang/anhang/{item.id}")
    assert response.status_code == 200
    assert response.data == b"%PDF-1.4 test"
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + quote("Präsentation Köln \"final\".pdf", safe="") in disposition
    assert "\n" not in disposition and "\r" not in disposition
    assert "sandbox" in response.headers["Content-Security-Policy"]
    page = client.get("/praxisbeispiele/mit-anhang").get_data(as_text=True)
    assert f'/praxisbeispiele/mit-anhang/anhang/{item.id}' in page and "(1 KB)" in main(page)


def test_attachments_of_other_or_unpublished_examples_are_not_served(app, client,
                                                                     make_contribution):  # noqa: F811
    published = make_contribution(slug="oeffentlich")
    hidden = make_contribution(slug="versteckt", state=ContributionState.submitted)
    own = _attach(app, published, "a.pdf", b"%PDF-1", "cd" * 24)
    secret = _attach(app, hidden, "geheim.pdf", b"%PDF-2", "ef" * 24)
    assert client.get(f"/praxisbeispiele/versteckt/anhang/{secret.id}").status_code == 404
    assert client.get(f"/praxisbeispiele/oeffentlich/anhang/{secret.id}").status_code == 404
    assert client.get("/praxisbeispiele/oeffentlich/anhang/99999999999999999999").status_code \
        == 404
    missing = _attach(app, published, "weg.pdf", b"%PDF-3", "12" * 24)
    (app.config["ATTACHMENT_DIR"] and __import__("pathlib").Path(
        app.config["ATTACHMENT_DIR"], missing.storage_key).unlink())
    assert client.get(f"/praxisbeispiele/oeffentlich/anhang/{missing.id}").status_code == 404
    assert client.get(f"/praxisbeispiele/oeffentlich/anhang/{own.id}").status_code == 200


# --- Atom feed ----------------------------------------------------------------------------------


@pytest.mark.backends
def test_atom_feed_lists_the_newest_published_examples(client, corpus):  # noqa: F811
    corpus["bremen"].summary = "Mit Steuerzeichen\x0b und <Klammern> & Co."
    db.session.commit()
    response = client.get("/praxisbeispiele/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{name}") is not None, name
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == \
        "http://praxis.test/praxisbeispiele/feed.atom"
    entries = feed.findall(f"{ATOM}entry")
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert links == [f"http://praxis.test/praxisbeispiele/{slug}"
                     for slug in reversed(list(corpus))]
    first = entries[0]
    assert first.find(f"{ATOM}title").text == "Gesundheitskarte nach dem Bremer Modell"
    assert first.find(f"{ATOM}summary").text == "Mit Steuerzeichen und <Klammern> & Co."
    assert first.find(f"{ATOM}id").text.startswith("tag:praxis.test,2026:praxisbeispiel:")
    assert first.find(f"{ATOM}updated").text.endswith("Z")
    assert [c.get("term") for c in entries[-1].findall(f"{ATOM}category")] == ["arbeit"]
    assert len({e.find(f"{ATOM}id").text for e in entries}) == len(entries)


def test_atom_feed_without_examples_is_valid(client, app):
    feed = ET.fromstring(client.get("/praxisbeispiele/feed.atom").data)
    assert feed.findall(f"{ATOM}entry") == [] and feed.find(f"{ATOM}updated").text


# --- home page and workshop pages ----------------------------------------------------------------


def test_home_page_shows_featured_examples(client, make_contribution, workshop):  # noqa: F811
    workshop()
    make_contribution(slug="vorbild", title="Vorbildliches Projekt", featured=True)
    make_contribution(slug="normal", title="Normales Projekt")
    make_contribution(slug="weg", title="Zurückgezogenes Projekt", featured=True,
                      state=ContributionState.withdrawn)
    text = main(client.get("/").get_data(as_text=True))
    assert "Praxisbeispiele aus den Kommunen" in text and "Vorbildliches Projekt" in text
    assert "Normales Projekt" not in text and "Zurückgezogenes Projekt" not in text


def test_home_page_without_featured_examples_has_no_section(client, workshop):
    workshop()
    assert "Praxisbeispiele aus den Kommunen" not in main(client.get("/").get_data(as_text=True))


def test_workshop_page_lists_the_examples_presented_there(client, make_contribution,  # noqa: F811
                                                         workshop):
    here, elsewhere = workshop(), workshop()
    make_contribution(slug="hier", title="Hier vorgestellt", workshops=[here])
    make_contribution(slug="dort", title="Dort vorgestellt", workshops=[elsewhere])
    make_contribution(slug="entwurf", title="Noch nicht veröffentlicht", workshops=[here],
                      state=ContributionState.submitted)
    html = client.get(f"/workshops/{here.slug}").get_data(as_text=True)
    text = main(html)
    assert "Praxisbeispiele aus diesem Workshop" in text and "Hier vorgestellt" in text
    assert "Dort vorgestellt" not in text and "Noch nicht veröffentlicht" not in text
    assert 'href="/praxisbeispiele/hier"' in html
    assert_strict_csp_markup(html)
