"""The calendar on the pages (issue 8): "Abonnieren" on the catalogue, theme and workshop
pages, "In Kalender übernehmen" and Google Calendar on the workshop page, and the personal
feed with its renewal on the personal page of a confirmed registration.

Links are read from the HTML as a browser reads them, then followed with the client; the
last test looks at the pages in Debian's chromium at 320 and 1280 px.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from events.demo import seed
from events.extensions import db
from events.models import Participant, Theme, utcnow
from events.services import catalogue, seats, subscriptions, tokens, workshops
from tests import browser_support as support
from tests.browser_support import ARTIFACTS, Recorder
from tests.conftest import applicant
from tests.pages_support import dated_workshops, main, scan

BASE = "http://praxis.test"
OUTLOOK = ("In Outlook wählen Sie „Kalender hinzufügen“ → „Aus dem Internet“ und fügen "
           "diese Adresse ein.")


browser = support.browser
live_server = support.live_server


@pytest.fixture
def workshop(make_workshop):
    return dated_workshops(make_workshop)


class Page(HTMLParser):
    """Links (with their text), inputs, labels and forms (with their fields) of a page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[dict] = []
        self.inputs: list[dict] = []
        self.labels: dict[str, str] = {}
        self.forms: list[dict] = []
        self.ids: dict[str, str] = {}
        self._link = self._label = self._form = None
        self._id_stack: list[tuple[str, str]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = {name: "" if value is None else value for name, value in attrs}
        if tag == "a":
            self._link = {**attributes, "text": ""}
            self.links.append(self._link)
        elif tag == "input":
            self.inputs.append(attributes)
            if self._form is not None:
                self._form["fields"].append(attributes)
        elif tag == "label":
            self._label = attributes.get("for", "")
            self.labels[self._label] = ""
        elif tag == "form":
            self._form = {**attributes, "fields": [], "buttons": []}
            self.forms.append(self._form)
        elif tag == "button" and self._form is not None:
            self._form["buttons"].append(attributes)
        if attributes.get("id") and tag in ("span", "div", "p"):
            self.ids[attributes["id"]] = ""
            self._id_stack.append((tag, attributes["id"]))

    def handle_endtag(self, tag):
        if tag == "a":
            self._link = None
        elif tag == "label":
            self._label = None
        elif tag == "form":
            self._form = None
        if self._id_stack and self._id_stack[-1][0] == tag:
            self._id_stack.pop()

    def handle_data(self, data):
        if self._link is not None:
            self._link["text"] = " ".join((self._link["text"] + " " + data).split())
        if self._label is not None:
            self.labels[self._label] = " ".join((self.labels[self._label] + " " + data).split())
        for _tag, element_id in self._id_stack:
            self.ids[element_id] = " ".join((self.ids[element_id] + " " + data).split())

    def link(self, text: str) -> dict:
        found = [link for link in self.links if link["text"] == text]
        assert len(found) == 1, (text, [link["text"] for link in self.links])
        return found[0]

    def has_link(self, text: str) -> bool:
        return any(link["text"] == text for link in self.links)

    def copy_field(self, element_id: str) -> dict:
        """The read-only address field, checked for its label and its hint."""
        field = next(item for item in self.inputs if item.get("id") == element_id)
        assert "readonly" in field and field["type"] == "text"
        assert self.labels[element_id] == "Adresse zum Kopieren"
        assert self.ids[field["aria-describedby"]] == OUTLOOK
        return field


def get_page(client, url: str) -> tuple[Page, str]:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    return Page(html), html


def path_of(url: str, base: str = BASE) -> str:
    assert url.startswith(base + "/"), url
    return url[len(base):]


def assert_calendar(client, path: str, *, attachment: bool = False) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith(
        "attachment;" if attachment else "inline;")
    return response.get_data(as_text=True)


def confirmed(item, n: int):
    registration = seats.register(item.id, applicant(n)).registration
    db.session.commit()
    seats.confirm(registration.id)
    db.session.commit()
    return registration


# --- catalogue and theme pages --------------------------------------------------------------


def test_catalogue_offers_the_whole_programme_as_subscription(client, workshop):
    first = workshop(title="Integrationskonzept")
    page, html = get_page(client, "/")
    link = page.link("Kalender abonnieren")
    assert link["href"] == "webcal://praxis.test/calendar.ics"
    field = page.copy_field("abo-adresse")
    assert field["value"] == f"{BASE}/calendar.ics"
    assert "Abonnieren Alle Workshops der Reihe in Ihrem Kalender" in main(html)
    assert first.ical_uid in assert_calendar(client, path_of(field["value"]))


def test_theme_page_offers_the_theme_feed(client, workshop, theme):
    other = Theme(slug="unterbringung", name="Unterbringung")
    db.session.add(other)
    db.session.commit()
    mine = workshop(title="Gemeinschaftsunterkünfte", theme=other)
    not_mine = workshop(title="Integrationskonzept")

    page, html = get_page(client, "/themes/unterbringung")
    assert page.link("Kalender abonnieren")["href"] == (
        "webcal://praxis.test/themes/unterbringung/calendar.ics")
    field = page.copy_field("abo-adresse")
    assert field["value"] == f"{BASE}/themes/unterbringung/calendar.ics"
    assert "Die Workshops zum Thema „Unterbringung“ in Ihrem Kalender" in main(html)
    feed = assert_calendar(client, path_of(field["value"]))
    assert mine.ical_uid in feed and not_mine.ical_uid not in feed
    assert "/calendar.ics" not in html.replace("/themes/unterbringung/calendar.ics", "")


def test_no_subscription_without_a_programme(client, app):
    page, html = get_page(client, "/")
    assert not page.has_link("Kalender abonnieren") and "calendar.ics" not in html


# --- workshop page --------------------------------------------------------------------------


def test_workshop_page_download_google_and_subscription(client, workshop):
    item = workshop(title="Asyl & Arbeit; Teil 1", starts_in=timedelta(days=30), hours=5)
    page, html = get_page(client, f"/workshops/{item.slug}")

    download = page.link("In Kalender übernehmen")
    assert download["href"] == f"{BASE}/workshops/{item.slug}/calendar.ics"
    assert item.ical_uid in assert_calendar(client, path_of(download["href"]), attachment=True)

    google = page.link("Zu Google Kalender hinzufügen")
    parts = urlsplit(google["href"])
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https", "calendar.google.com", "/calendar/render")
    query = parse_qs(parts.query)
    utc = "%Y%m%dT%H%M%SZ"
    assert query["text"] == ["Asyl & Arbeit; Teil 1"]
    assert query["dates"] == [f"{item.starts_at.astimezone(timezone.utc).strftime(utc)}/"
                              f"{item.ends_at.astimezone(timezone.utc).strftime(utc)}"]
    assert query["dates"][0].endswith("Z") and len(query["dates"][0]) == 33
    assert set(google["rel"].split()) >= {"noopener", "noreferrer"}
    assert google["target"] == "_blank"
    assert "Google erfährt dabei" in page.ids[google["aria-describedby"]]
    # a link the reader may follow, not something the page loads from Google
    assert "calendar.google.com" not in " ".join(scan(html).loads)

    assert page.link("Kalender abonnieren")["href"] == "webcal://praxis.test/calendar.ics"
    assert page.copy_field("abo-adresse")["value"] == f"{BASE}/calendar.ics"


@pytest.mark.parametrize("state", ["cancelled", "past"])
def test_no_adding_a_cancelled_or_past_workshop_but_the_subscription_stays(client, workshop,
                                                                           state):
    if state == "cancelled":
        item = workshop(title="Fällt aus")
        workshops.cancel_workshop(item.id, reason="Krankheit")
        db.session.commit()
    else:
        item = workshop(title="Vorbei", starts_at=utcnow() - timedelta(days=2))
    page, html = get_page(client, f"/workshops/{item.slug}")
    assert not page.has_link("In Kalender übernehmen")
    assert not page.has_link("Zu Google Kalender hinzufügen")
    assert "google" not in html
    assert page.link("Kalender abonnieren")["href"] == "webcal://praxis.test/calendar.ics"


# --- personal page --------------------------------------------------------------------------


def test_confirmed_page_offers_the_personal_feed_and_its_renewal(client, workshop):
    registration = confirmed(workshop(), 1)
    feed = subscriptions.feed_token(registration.participant)
    manage = f"/anmeldung/{tokens.token_for(registration)}"
    page, html = get_page(client, manage)

    text = main(html)
    assert "Ihre Workshops im Kalender" in text
    assert "nur die Workshops, für die Ihre Teilnahme bestätigt ist" in text
    assert page.link("Meine Workshops abonnieren")["href"] == (
        f"webcal://praxis.test/calendar/{feed}.ics")
    field = page.copy_field("kalender-adresse")
    assert field["value"] == f"{BASE}/calendar/{feed}.ics"
    assert registration.workshop.ical_uid in assert_calendar(client, path_of(field["value"]))

    renew = next(form for form in page.forms if form["action"].endswith("/kalender-abo/erneuern"))
    assert renew["action"] == f"{manage}/kalender-abo/erneuern" and renew["method"] == "post"
    assert [f["name"] for f in renew["fields"]] == ["csrf_token"]
    assert renew["buttons"][0]["class"] == "kern-btn kern-btn--secondary"
    assert "Die bisherige Adresse funktioniert danach nicht mehr" in text
    assert not page.has_link("Kalender abonnieren")  # the programme feed is not offered here


def test_personal_feed_only_for_confirmed_registrations(client, workshop):
    full = workshop(capacity=1)
    pending = seats.register(full.id, applicant(1)).registration
    db.session.commit()
    waiting = seats.register(full.id, applicant(2)).registration
    db.session.commit()
    gone = confirmed(workshop(), 3)
    seats.cancel(gone.id)
    db.session.commit()
    for registration in (pending, waiting, gone):
        page, html = get_page(client, f"/anmeldung/{tokens.token_for(registration)}")
        assert "Ihre Workshops im Kalender" not in main(html)
        assert "/calendar/" not in html and "kalender-abo" not in html
        assert not page.has_link("Meine Workshops abonnieren")


@pytest.mark.backends
def test_renewing_changes_the_address_and_the_old_one_is_gone(client, workshop):
    registration = confirmed(workshop(), 1)
    manage = f"/anmeldung/{tokens.token_for(registration)}"
    page, _html = get_page(client, manage)
    old = page.copy_field("kalender-adresse")["value"]
    renew = next(form for form in page.forms if form["action"].endswith("/kalender-abo/erneuern"))

    response = client.post(renew["action"], data={
        field["name"]: field["value"] for field in renew["fields"]})
    assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == manage

    page, html = get_page(client, manage)
    assert "Ihr Kalender-Abo hat eine neue Adresse. Die bisherige funktioniert nicht mehr" in (
        main(html))
    new = page.copy_field("kalender-adresse")["value"]
    assert new != old and new.startswith(f"{BASE}/calendar/")
    assert page.link("Meine Workshops abonnieren")["href"] == "webcal" + new[len("http"):]
    assert client.get(path_of(old)).status_code == 404
    assert_calendar(client, path_of(new))


@pytest.mark.parametrize("token", [None, "forged"])
def test_renewing_without_a_valid_csrf_token_is_refused(client, workshop, token):
    registration = confirmed(workshop(), 1)
    manage = f"/anmeldung/{tokens.token_for(registration)}"
    page, _html = get_page(client, manage)
    old = page.copy_field("kalender-adresse")["value"]
    renew = next(form for form in page.forms if form["action"].endswith("/kalender-abo/erneuern"))
    data = {} if token is None else {"csrf_token": renew["fields"][0]["value"][:-4] + "AAAA"}

    assert client.post(renew["action"], data=data).status_code == 400
    participant = db.session.execute(select(Participant).execution_options(
        populate_existing=True)).scalar_one()
    assert f"{BASE}/calendar/{subscriptions.feed_token(participant)}.ics" == old
    assert client.get(path_of(old)).status_code == 200


# --- in the browser ---------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("width", [320, 1280])
def test_calendar_blocks_fit_the_screen_and_the_address_can_be_copied(app, live_server,
                                                                     browser, width):
    seed()
    db.session.commit()
    item = next(i for i in catalogue.list_workshops()
                if i.registration_open and not i.is_full and i.workshop.venue_name)
    registration = confirmed(item.workshop, 1)
    shots = [("katalog", "/", "#abo-adresse"),
             ("thema", f"/themes/{item.workshop.theme.slug}", "#abo-adresse"),
             ("workshop", f"/workshops/{item.workshop.slug}", "#abo-adresse"),
             ("persoenlich", f"/anmeldung/{tokens.token_for(registration)}",
              "#kalender-adresse")]
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="de-DE")
    try:
        page = context.new_page()
        recorder = Recorder()
        recorder.attach(page)
        for name, path, field in shots:
            page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(ARTIFACTS / f"kalender-{name}-{width}.png"), full_page=True)
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{name} at {width}px is {wide}px wide"
            box = page.locator(field).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (name, box)
            # a long address scrolls inside its field; focus and select all takes all of it
            page.focus(field)
            page.keyboard.press("Control+A")
            value, start, end = page.eval_on_selector(
                field, "el => [el.value, el.selectionStart, el.selectionEnd]")
            assert value.startswith(live_server.url + "/") and (start, end) == (0, len(value))
        assert recorder.foreign(live_server.url) == []
    finally:
        context.close()
