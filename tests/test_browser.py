"""In a real browser (Debian's chromium) against a real server with the demo programme:
register with the keyboard only, see the error summary take focus, confirm through the
link in the e-mail that was written, cancel; no page asks another host for anything.
Screenshots at 320 and 1280 px go to test-artifacts/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from events.demo import seed
from events.extensions import db
from events.mail.sender import send_due
from events.models import Registration, RegistrationStatus
from events.services import catalogue
from tests import browser_support as support
from tests.browser_support import ARTIFACTS, focused, mails, personal_link, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# the fixtures, under the names the tests use
browser = support.browser
live_server = support.live_server
page = support.page


@pytest.fixture
def demo(app):
    """The demo programme; returns a workshop that is open and has free seats (not online)."""
    seed()
    db.session.commit()
    for item in catalogue.list_workshops():
        if item.registration_open and not item.is_full and item.workshop.venue_name:
            return item.workshop
    raise AssertionError("the demo data has no open workshop with free seats")


def wait_for_navigation(page, key: str = "Enter") -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


def main_text(page) -> str:
    return " ".join(page.inner_text("main").split())


def test_keyboard_only_registration_error_summary_mail_link_confirm_cancel(app, live_server,
                                                                            page, demo):
    base = live_server.url
    page.goto(f"{base}/")
    # from the catalogue to the workshop, by keyboard
    tab_to(page, f'a[href="/workshops/{demo.slug}"]')
    wait_for_navigation(page)
    assert page.url == f"{base}/workshops/{demo.slug}"

    tab_to(page, "#name")
    page.keyboard.type("Erika Mustermann")
    for field, value in (("email", "erika.kommune.example"), ("municipality", "Stadt Köln"),
                         ("role", "Integrationsbüro")):
        page.keyboard.press("Tab")
        assert focused(page) == f"input#{field}"
        page.keyboard.type(value)
    # remarks, accessibility needs, their consent, the privacy link, then the consent
    assert tab_to(page, "#consent", limit=5) == 5
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert focused(page) == "button:Anmelden"
    wait_for_navigation(page)

    # the error summary has the focus and leads to the field
    assert focused(page) == "div#fehlerliste"
    summary = " ".join(page.inner_text("#fehlerliste").split())
    assert "Bitte korrigieren Sie 1 Angabe" in summary
    assert "Bitte geben Sie eine gültige E-Mail-Adresse an, z. B. name@kommune.de." in summary
    assert page.title().startswith("Fehler:")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page) == "input#email"
    assert page.input_value("#name") == "Erika Mustermann"  # kept
    assert page.is_checked("#consent")
    page.keyboard.press("Control+A")
    page.keyboard.type("erika.mustermann@kommune.example")
    wait_for_navigation(page)  # Enter in a field submits the form
    assert page.url == f"{base}/workshops/{demo.slug}/anmeldung#inhalt"
    text = main_text(page)
    assert "Bitte sehen Sie in Ihr Postfach." in text  # the same for every address
    assert "bestätigen Sie ihn bitte über den Link in der E-Mail" in text
    assert "/anmeldung/" not in page.content().replace(f"/workshops/{demo.slug}/anmeldung", "")

    # the e-mail, written to MAIL_DIR as .eml by the real sender
    report = send_due()
    assert report.sent >= 1
    [message] = mails(app.config["MAIL_DIR"], "confirm_request")
    assert message["To"] == "erika.mustermann@kommune.example"
    link = personal_link(message, base)

    page.goto(link)
    assert "Bitte bestätigen Sie Ihre Teilnahme." in main_text(page)
    tab_to(page, "main button[type=submit]")
    wait_for_navigation(page)
    assert "Vielen Dank! Ihre Teilnahme ist bestätigt." in main_text(page)

    tab_to(page, "main a[href*='stornieren=1']")
    wait_for_navigation(page)
    assert "Möchten Sie Ihre Anmeldung wirklich stornieren?" in main_text(page)
    tab_to(page, "main button[type=submit]")
    wait_for_navigation(page)
    assert "Ihre Anmeldung ist storniert." in main_text(page)

    db.session.expire_all()
    registration = db.session.scalar(select(Registration).where(
        Registration.workshop_id == demo.id).order_by(Registration.id.desc()))
    assert registration.status == RegistrationStatus.cancelled
    assert registration.confirmed_at is not None

    recorder = page.recorder
    assert recorder.foreign(base) == []
    assert not [m for m in recorder.console if "Content Security Policy" in m], recorder.console
    fonts = [url for url, status in recorder.statuses.items()
             if url.endswith(".woff2") and status == 200]
    assert fonts and all(url.startswith(f"{base}/static/kern/fonts/") for url in fonts)


PUBLIC_PAGES = ["/", "/themes/integration", "/datenschutz", "/impressum", "/gibt-es-nicht",
                "/anmeldung/1.kaputt", "/anmeldung/neuer-link"]


def test_no_page_requests_another_host(live_server, page, demo):
    base = live_server.url
    for path in PUBLIC_PAGES + [f"/workshops/{item.workshop.slug}"
                                for item in catalogue.list_workshops()]:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
    recorder = page.recorder
    assert recorder.requests, "the recorder saw nothing"
    assert recorder.foreign(base) == []
    assert recorder.failed == []
    assert not [m for m in recorder.console if "Content Security Policy" in m], recorder.console
    css = [url for url in recorder.statuses if "/static/kern/kern.min.css" in url]
    assert css and recorder.statuses[css[0]] == 200


def test_registration_works_without_javascript(live_server, browser, demo):
    context = browser.new_context(java_script_enabled=False, locale="de-DE")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/workshops/{demo.slug}")
        page.click("button[type=submit]")
        assert "Bitte korrigieren Sie 4 Angaben" in main_text(page)
        page.fill("#name", "Kim Beispiel")
        page.fill("#email", "kim.beispiel@kommune.example")
        page.fill("#municipality", "Kreis Lippe")
        page.check("#consent")
        page.click("button[type=submit]")
        assert page.url.endswith("/anmeldung#inhalt")
        assert "Bitte sehen Sie in Ihr Postfach." in main_text(page)
    finally:
        context.close()


@pytest.mark.parametrize("width", [320, 1280])
def test_screenshots_and_no_sideways_scrolling(live_server, browser, demo, width):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="de-DE")
    try:
        page = context.new_page()
        shots = [("katalog", "/"), ("formular", f"/workshops/{demo.slug}")]
        for name, path in shots:
            page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= width, f"{name} at {width}px is {overflow}px wide"
        page.click("form.app-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(ARTIFACTS / f"formular-fehler-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
