"""The back office and the practice exchange in a real browser (Debian's chromium).

* The whole path: an organiser logs in through the form, creates and publishes a
  workshop, a participant registers on the public page (another browser), the
  registration shows up in the attendee list, the CSV export holds the name, the
  person is checked in on a 390 px phone, a message goes to the participants.
* axe-core (WCAG 2.0/2.1 A+AA) on every GET page under /organiser that answers with
  HTML (the URL map is walked, ids filled with real rows), the forms in their error
  state, the public practice-exchange pages and the certificate check.
* Keyboard only: check-in (search, "Da") and submitting a practice example.
* Screenshots of the main pages at 390 and 1280 px into test-artifacts/ (git-ignored);
  nothing may scroll the page sideways.
"""

from __future__ import annotations

import csv
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from events.extensions import db
from events.models import ContributionState, OutboxMessage, Registration, RegistrationStatus, utcnow
from events.services import accounts, api_tokens, broadcasts, certificates, contributions, seats
from events.services.broadcasts import Draft
from tests import browser_support as support
from tests.browser_support import ARTIFACTS, focused, tab_to
from tests.conftest import ORGANISER_PASSWORD, applicant
from tests.contribution_support import new_contribution

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# the fixtures, under the names the tests use
browser = support.browser
live_server = support.live_server

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def new_page(browser, viewport=DESKTOP, **options):
    context = browser.new_context(viewport=viewport, locale="de-DE", **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def log_in(page, base: str, organiser) -> None:
    """Through the login form, as a person does."""
    page.goto(f"{base}/organiser/login")
    page.fill("#email", organiser.email)
    page.fill("#password", ORGANISER_PASSWORD)
    with page.expect_navigation():
        page.click("form.app-form button[type=submit]")
    assert "/login" not in page.url, page.inner_text("main")[:500]


def main_text(page) -> str:
    return " ".join(page.inner_text("main").split())


def shoot(page, name: str, width: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(ARTIFACTS / f"backoffice-{name}-{width}.png"), full_page=True)


# --- 1. the whole path ------------------------------------------------------------------


def test_organiser_creates_publishes_sees_registration_exports_checks_in_and_writes(
        app, live_server, browser, make_organiser, programme, theme, tmp_path):
    base = live_server.url
    organiser = make_organiser("organiser", name="Jürgen Öztürk-Weiß")
    page = new_page(browser)
    try:
        log_in(page, base, organiser)
        page.goto(f"{base}/organiser/workshops/neu")
        page.fill("#title", "Ausbildung in der Verwaltung – Erfahrungen aus Köln")
        page.select_option("#theme_id", str(theme.id))
        page.fill("#description", "Wie Kommunen junge Geflüchtete ausbilden.")
        day = (utcnow() + timedelta(days=30)).date().isoformat()
        page.fill("#starts_at_date", day)
        page.fill("#starts_at_time", "10:00")
        page.fill("#ends_at_time", "16:00")
        page.fill("#venue_name", "Rathaus Köln, Spanischer Bau")
        page.fill("#venue_address", "Rathausplatz 2, 50667 Köln")
        page.fill("#capacity", "20")
        with page.expect_navigation():
            page.click("form.app-form button[type=submit]")
        # (the form's "#fehlerliste" stays on the address after the redirect, as browsers do)
        workshop_path = page.url.removeprefix(base).partition("#")[0]
        assert re.fullmatch(r"/organiser/workshops/\d+", workshop_path), main_text(page)[:600]
        assert "Entwurf" in main_text(page)
        with page.expect_navigation():
            page.click("button:has-text('Veröffentlichen')")
        assert "Zurückziehen (Entwurf)" in main_text(page)
        public_link = page.get_attribute("a:has-text('Öffentliche Seite')", "href")

        # a participant, in a browser of their own
        visitor = new_page(browser)
        try:
            visitor.goto(base + public_link)
            visitor.fill("#name", "Zoë Ḑąbrowska-Nguyễn")
            visitor.fill("#email", "zoe.dabrowska@kommune.example")
            visitor.fill("#municipality", "Stadt Köln")
            visitor.check("#consent")
            with visitor.expect_navigation():
                visitor.click("form.app-form button[type=submit]")
            assert "Bitte sehen Sie in Ihr Postfach." in main_text(visitor)
        finally:
            visitor.context.close()

        # it arrives in the attendee list
        page.goto(base + workshop_path)
        with page.expect_navigation():
            page.click("main a:has-text('Teilnehmende')")
        assert "Zoë Ḑąbrowska-Nguyễn" in main_text(page)
        attendees_url = page.url
        with page.expect_download() as download:
            page.click("button[name=format][value=csv]")
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        assert path.suffix == ".csv"
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle, delimiter=";"))
        assert any("Zoë Ḑąbrowska-Nguyễn" in row for row in rows), rows

        # confirmed in the back office (the person did not click the link yet)
        with page.expect_navigation():
            page.click("main a:has-text('Zoë Ḑąbrowska-Nguyễn')")
        with page.expect_navigation():
            page.click("button:has-text('Anmeldung bestätigen')")
        db.session.rollback()  # a new transaction sees what the server wrote
        registration = db.session.scalar(select(Registration).order_by(Registration.id.desc()))
        assert registration.status == RegistrationStatus.confirmed
        workshop_id = registration.workshop_id

        # checked in on a phone, with the same session
        phone = new_page(browser, PHONE, storage_state=page.context.storage_state())
        try:
            phone.goto(f"{base}/organiser/check-in/workshop/{workshop_id}")
            phone.fill("#suche", "dabrowska")
            button = phone.locator(f"#person-{registration.id} button[type=submit]")
            assert button.is_visible()
            box = button.bounding_box()
            assert box["x"] + box["width"] <= 390 and box["height"] >= 24
            with phone.expect_navigation():
                button.click()
            assert "Da seit" in phone.inner_text(f"#person-{registration.id}")
            assert "1 von 1 da" in main_text(phone)
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        finally:
            phone.context.close()
        db.session.rollback()  # a new transaction sees what the server wrote
        assert db.session.get(Registration, registration.id).attended_at is not None

        # a message to the participants: compose → preview → send
        page.goto(f"{base}/organiser/nachrichten/workshop/{workshop_id}")
        page.check("input[name=audience][value=confirmed]")
        page.fill("#subject", "Raumänderung am Workshoptag")
        page.fill("#body", "Guten Tag {name},\n\nwir treffen uns im Saal 2.\n\n{link}")
        with page.expect_navigation():
            page.click("button[name=step][value=preview]")
        assert "Diese Nachricht geht an 1 Person." in main_text(page)
        assert "Guten Tag Zoë Ḑąbrowska-Nguyễn" in main_text(page)
        with page.expect_navigation():
            page.click("button[name=step][value=send]")
        db.session.rollback()  # a new transaction sees what the server wrote
        sent = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "broadcast")).all()
        assert [m.recipient for m in sent] == ["zoe.dabrowska@kommune.example"]
        assert sent[0].broadcast_id is not None
        assert attendees_url  # the list stayed reachable throughout
    finally:
        page.context.close()


# --- the world every page needs ---------------------------------------------------------


@pytest.fixture
def world(app, make_organiser, make_workshop, programme, theme):
    """Real rows for every id in the URL map, as the services make them."""
    now = utcnow()
    nine = now.replace(hour=8, minute=0, second=0, microsecond=0)  # 9:00 in Berlin (winter)
    admin = make_organiser("admin", name="Jürgen Öztürk-Weiß")
    colleague = make_organiser("organiser", name="Mariam Al-Khwarizmi-Schönberger")
    api_token, _secret = api_tokens.create(colleague, "Auswertung für das Landesamt")
    invited = accounts.invite("neu@kgst.example", "Neue Kollegin", colleague.role, actor=admin)
    password_url = accounts.password_link(invited)
    db.session.commit()

    workshop = make_workshop(3, starts_at=nine + timedelta(days=21),
                             title="Ausbildung zur Altenpflege für junge Geflüchtete")
    made = []
    for n, name in enumerate(["Jürgen Öztürk-Weiß", "Ana Lúcia Müller", "Peter Klein",
                              "Fatma Şahin"], start=100):
        made.append(seats.register(workshop.id, applicant(n, name=name), now=now).registration)
        db.session.commit()
    for registration in made[:2]:
        seats.confirm(registration.id, now=now)
        db.session.commit()
    made[0].attended_at = now
    db.session.commit()
    broadcast = broadcasts.send(admin, Draft(workshop.id, "confirmed", "Hinweis zur Anreise",
                                             "Guten Tag {name},\nbitte Ausweis mitbringen."))
    db.session.commit()

    past = make_workshop(5, starts_at=nine + timedelta(days=10), title="Wohnen in Heidelberg")
    held = seats.register(past.id, applicant(200, name="Ana Lúcia Müller"), now=now
                          ).registration
    db.session.commit()
    seats.confirm(held.id, now=now)
    db.session.commit()
    past.starts_at = nine - timedelta(days=3)
    past.ends_at = past.starts_at + timedelta(hours=6)
    held.attended_at = past.starts_at + timedelta(minutes=50)
    db.session.commit()
    certificate = certificates.issue(held.id, now=now)
    db.session.commit()

    published = new_contribution(title="wir sind Hamburg! Nachwuchs für die Verwaltung",
                                 themes=[theme], workshops=[workshop], municipality="Hamburg",
                                 description="## Vorgehen\n\n- Kampagne\n- Patenschaften",
                                 results="Anteil: 5 % (2006) → 16,8 % (2013)",
                                 partners="Handelskammer", links="https://www.hamburg.de/")
    submitted = new_contribution(title="Sprachcafé im Rathaus", themes=[theme],
                                 municipality="Crimmitschau", state=ContributionState.submitted)
    db.session.commit()
    world = SimpleNamespace(
        admin=SimpleNamespace(email=admin.email), colleague=colleague.id,
        invited=invited.id, password_path="/" + password_url.split("://", 1)[1].partition(
            "/")[2], api_token=api_token.id, workshop=workshop.id, pending=made[2].id,
        past=past.id, certificate=certificate.code, broadcast=broadcast.id,
        published=published.id, published_slug=published.slug, submitted=submitted.id,
        theme=theme.id, registrations=[r.id for r in made + [held]],
        private_path=f"/praxisbeispiele/link/{contributions.token_for(submitted)}")
    db.session.rollback()  # no read transaction stays open while the server writes
    return world


FILES = re.compile(r"\.(pdf|csv|xlsx)$|/export$|/anhang/")


def back_office_paths(app, world) -> list[str]:
    """Every GET rule under /organiser that answers with a page, ids of real rows filled in."""
    ids = {"workshop_id": world.workshop, "registration_id": world.pending,
           "broadcast_id": world.broadcast, "organiser_id": world.colleague,
           "contribution_id": world.submitted, "theme_id": world.theme}
    paths = []
    for rule in app.url_map.iter_rules():
        if (not rule.rule.startswith("/organiser") or "GET" not in rule.methods
                or FILES.search(rule.rule) or "token" in rule.arguments):
            continue
        missing = rule.arguments - ids.keys()
        assert not missing, f"no id for {missing} in {rule.rule}: add a row to the world"
        paths.append(re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(ids[m.group(1)]), rule.rule))
    return sorted(set(paths))


ANONYMOUS = ["/organiser/login", "/organiser/passwort-vergessen"]


def test_axe_finds_nothing_on_any_back_office_page(app, live_server, browser, world):
    base = live_server.url
    paths = back_office_paths(app, world) + [
        f"/organiser/praxisbeispiele/{world.published}",
        f"/organiser/dokumente/workshop/{world.past}/bescheinigungen",
        f"/organiser/teilnehmende/workshop/{world.past}",
        f"/organiser/check-in/workshop/{world.past}",
    ]
    assert len(paths) > 25, paths
    shots = {path: name for name, path in main_pages(world)}
    assert not shots.keys() - set(paths), "a main page is missing from the walk"
    page = new_page(browser)
    failures = []
    try:
        # axe really looks: an image without a text alternative is found
        page.set_content('<html lang="de"><title>t</title><main><img src="data:,"></main>')
        assert any(v.startswith("image-alt") for v in support.axe_violations(page))
        log_in(page, base, world.admin)
        for path in paths:
            if path in ANONYMOUS:
                continue
            response = page.goto(base + path)
            assert response.status == 200, f"{path}: {response.status}"
            failures += check_quietly(page, path, 1280)
            if path in shots:
                shoot(page, shots[path], 1280)
        # the forms in their error state: every text field emptied, then sent
        for path in ["/organiser/workshops/neu",
                     f"/organiser/workshops/{world.workshop}/bearbeiten",
                     "/organiser/workshops/themen", "/organiser/konten/einladen",
                     "/organiser/konten/tokens", "/organiser/programm/",
                     f"/organiser/teilnehmende/workshop/{world.workshop}/hinzufuegen",
                     f"/organiser/nachrichten/workshop/{world.workshop}",
                     f"/organiser/praxisbeispiele/{world.published}/bearbeiten"]:
            page.goto(base + path)
            form = page.locator("main form.app-form").first
            for field in form.locator("input[type=text], input[type=email], input[type=date], "
                                      "input[type=time], input:not([type]), textarea").all():
                field.fill("")
            with page.expect_navigation():
                form.locator("button[type=submit]").first.click()
            assert page.locator("#fehlerliste").count(), f"{path}: no error summary"
            failures += check_quietly(page, f"{path} (Fehler)", 1280)
        # pages that answer a POST: a message's preview, a new token shown once
        page.goto(f"{base}/organiser/nachrichten/workshop/{world.workshop}")
        page.fill("#subject", "Hinweis für {name}")
        page.fill("#body", "Guten Tag {name},\nbis bald.\n{link}")
        with page.expect_navigation():
            page.click("button[name=step][value=preview]")
        failures += check_quietly(page, "Vorschau der Nachricht", 1280)
        page.goto(f"{base}/organiser/konten/tokens")
        page.fill("#name", "Skript für die Auswertung")
        with page.expect_navigation():
            page.click("main form.app-form button[type=submit]")
        failures += check_quietly(page, "neues API-Token", 1280)
        # a registration page per status (each offers other actions)
        for registration in world.registrations:
            page.goto(f"{base}/organiser/teilnehmende/anmeldung/{registration}")
            failures += check_quietly(page, f"Anmeldung {registration}", 1280)
    finally:
        page.context.close()

    # not logged in: login (and its error state), forgotten and new password
    page = new_page(browser)
    try:
        for path in ANONYMOUS + [world.password_path]:
            page.goto(base + path)
            failures += check_quietly(page, path, 1280)
        page.goto(f"{base}/organiser/login")
        with page.expect_navigation():
            page.click("form.app-form button[type=submit]")
        failures += check_quietly(page, "/organiser/login (Fehler)", 1280)
    finally:
        page.context.close()
    assert not failures, "\n".join(failures)


def check_quietly(page, name: str, width: int) -> list[str]:
    """The problems of one page as lines (so one run reports every page)."""
    found = [f"{name} at {width}px: {v}" for v in support.axe_violations(page)]
    wide = page.evaluate("document.documentElement.scrollWidth")
    if wide > width:
        found.append(f"{name} at {width}px scrolls sideways: {wide}px wide")
    return found


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_public_practice_exchange_pages_pass_axe(app, live_server, browser, world, viewport):
    base, width = live_server.url, viewport["width"]
    page = new_page(browser, viewport)
    failures = []
    try:
        for path in ["/praxisbeispiele", f"/praxisbeispiele/{world.published_slug}",
                     "/praxisbeispiele?q=hamburg", "/praxisbeispiele/einreichen",
                     world.private_path, f"/bescheinigung/{world.certificate}",
                     "/bescheinigung/"]:
            response = page.goto(base + path)
            assert response.status == 200, f"{path}: {response.status}"
            failures += check_quietly(page, path, width)
            if path.startswith("/praxisbeispiele/link"):
                shoot(page, "einreichung-privat", width)
        page.goto(f"{base}/praxisbeispiele/einreichen")
        with page.expect_navigation():
            page.click("form.app-form button[type=submit]")
        assert page.locator("#fehlerliste").count()
        failures += check_quietly(page, "/praxisbeispiele/einreichen (Fehler)", width)
        shoot(page, "einreichen-fehler", width)
    finally:
        page.context.close()
    assert not failures, "\n".join(failures)


# --- screenshots at 390 and 1280 px -----------------------------------------------------


def main_pages(world) -> list[tuple[str, str]]:
    w = world.workshop
    return [("uebersicht", "/organiser/"), ("workshops", "/organiser/workshops/"),
            ("workshop", f"/organiser/workshops/{w}"),
            ("teilnehmende", f"/organiser/teilnehmende/workshop/{w}"),
            ("anmeldung", f"/organiser/teilnehmende/anmeldung/{world.pending}"),
            ("check-in", f"/organiser/check-in/workshop/{w}"),
            ("nachricht", f"/organiser/nachrichten/workshop/{w}"),
            ("nachrichten", "/organiser/nachrichten/"),
            ("protokoll", "/organiser/protokoll/"), ("konten", "/organiser/konten/"),
            ("moderation", "/organiser/praxisbeispiele/"),
            ("moderation-beispiel", f"/organiser/praxisbeispiele/{world.submitted}")]


def test_main_pages_at_390px_screenshots_axe_and_no_sideways_scrolling(live_server, browser,
                                                                       world):
    """At 1280 px the walk over every page takes the screenshots and checks them."""
    base = live_server.url
    page = new_page(browser, PHONE)
    failures = []
    try:
        log_in(page, base, world.admin)
        for name, path in main_pages(world):
            page.goto(base + path)
            shoot(page, name, 390)
            failures += check_quietly(page, name, 390)
    finally:
        page.context.close()
    assert not failures, "\n".join(failures)


# --- keyboard only ----------------------------------------------------------------------


def test_check_in_with_the_keyboard_alone(live_server, browser, world):
    base = live_server.url
    page = new_page(browser, PHONE)
    try:
        log_in(page, base, world.admin)
        page.goto(f"{base}/organiser/check-in/workshop/{world.workshop}")
        tab_to(page, "#suche")
        page.keyboard.type("ana lucia")
        # as typed, the list narrows to Ana (the script); Tab reaches her "Da"
        confirmed = db.session.scalars(select(Registration).where(
            Registration.workshop_id == world.workshop,
            Registration.status == RegistrationStatus.confirmed,
            Registration.attended_at.is_(None))).one()
        here = world.registrations[0]  # Jürgen, checked in already: filtered out as typed
        page.wait_for_selector(f"#person-{here}", state="hidden")
        tab_to(page, f"#person-{confirmed.id} button[type=submit]", limit=10)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Da seit" in page.inner_text(f"#person-{confirmed.id}")
        assert "2 von 2 da" in main_text(page)
    finally:
        page.context.close()
    db.session.rollback()  # a new transaction sees what the server wrote
    assert db.session.get(Registration, confirmed.id).attended_at is not None


def test_submitting_a_practice_example_with_the_keyboard_alone(live_server, browser, world):
    page = new_page(browser)
    try:
        page.goto(f"{live_server.url}/praxisbeispiele/einreichen")
        tab_to(page, "#title")
        page.keyboard.type("Lotsenprojekt für Neuzugewanderte")
        page.keyboard.press("Tab")
        assert focused(page) == "input#municipality"
        page.keyboard.type("Landkreis Gießen")
        page.keyboard.press("Tab")
        assert focused(page) == "select#federal_state"
        page.keyboard.type("Hessen")  # the select picks what is typed
        page.keyboard.press("Tab")
        assert focused(page) == "select#body_kind"
        page.keyboard.type("Landkreis")
        tab_to(page, "#themes-0", limit=3)
        page.keyboard.press("Space")
        tab_to(page, "#summary", limit=5)
        page.keyboard.type("Ehrenamtliche begleiten Neuzugewanderte zu Ämtern.")
        tab_to(page, "#submitter_name", limit=40)
        page.keyboard.type("Erika Mustermann")
        page.keyboard.press("Tab")
        page.keyboard.type("erika@giessen.example")
        tab_to(page, "#consent", limit=3)
        page.keyboard.press("Space")
        tab_to(page, "form.app-form button[type=submit]", limit=5)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "/praxisbeispiele/einreichen/danke" in page.url, main_text(page)[:800]
    finally:
        page.context.close()
    db.session.rollback()  # a new transaction sees what the server wrote
    from events.models import Contribution
    stored = db.session.scalar(select(Contribution).where(
        Contribution.title == "Lotsenprojekt für Neuzugewanderte"))
    assert stored is not None and stored.federal_state == "Hessen"
    assert stored.body_kind.value == "landkreis" and [t.id for t in stored.themes] == [world.theme]


# --- phones: a one-row menu, tables as cards ----------------------------------------------

#: the lists that were wider than a phone (their columns scrolled off screen in their box)
CARD_TABLES = [("uebersicht", "/organiser/", "table.app-dashboard-workshops"),
               ("workshops", "/organiser/workshops/", "table.app-workshops-table"),
               ("moderation", "/organiser/praxisbeispiele/?status=all", "main table"),
               ("konten", "/organiser/konten/", "main table")]


def fits(page, selector: str) -> dict:
    """The table's scrolling box: its widths, and whether the table is drawn as cards."""
    return page.eval_on_selector(selector, """table => {
        const box = table.closest('.app-table-wrap') || table.parentElement;
        return {scroll: box.scrollWidth, client: box.clientWidth,
                cards: getComputedStyle(table.querySelector('tbody tr')).display === 'block',
                rows: table.querySelectorAll('tbody tr').length};
    }""")


def test_phone_menu_is_one_row_and_wide_tables_become_cards(live_server, browser, world):
    base = live_server.url
    page = new_page(browser, PHONE)
    failures = []
    try:
        log_in(page, base, world.admin)
        for name, path, table in CARD_TABLES + [("protokoll", "/organiser/protokoll/", None)]:
            page.goto(base + path)
            nav = page.locator("nav.app-admin-nav")
            height = nav.bounding_box()["height"]
            assert height <= 80, f"{name}: the menu takes {height}px before it is opened"
            assert page.locator(".app-admin-nav__list--row").is_hidden()
            if table:
                box = fits(page, table)
                assert box["rows"] >= 1 and box["cards"], f"{name}: {box}"
                assert box["scroll"] <= box["client"], f"{name}: scrolls inside its box {box}"
                # every cell names its column (the header stays in the table for screen readers)
                unlabelled = page.eval_on_selector(table, """t => [...t.querySelectorAll(
                    'tbody td')].filter(td => !td.dataset.label).length""")
                assert unlabelled == 0, f"{name}: {unlabelled} cells without data-label"
                snapshot = page.locator(table).aria_snapshot()
                assert "columnheader" in snapshot and "rowheader" in snapshot, snapshot[:400]
                # the visible labels are decoration: a cell is not read as "Status Status …"
                assert "- cell " in snapshot and not re.search(
                    r'cell "(Thema|Termin|Status|Kapazität|Kommune|Rolle|E-Mail-Adresse)\b',
                    snapshot), snapshot
            failures += check_quietly(page, f"{name} (Karten)", 390)
            shoot(page, f"{name}-karten", 390)

        # the menu opens with the keyboard; the current page is marked in it and in the summary
        page.goto(f"{base}/organiser/protokoll/")
        summary = page.locator(".app-admin-nav__summary")
        assert "Protokoll" in summary.inner_text()
        tab_to(page, ".app-admin-nav__summary", limit=10)
        page.keyboard.press("Enter")
        menu = page.locator(".app-admin-nav__list--menu")
        assert menu.is_visible()
        current = menu.locator("a[aria-current=page]")
        assert current.inner_text() == "Protokoll" and current.is_visible()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.matches('.app-admin-nav__list--menu a')"), \
            focused(page)
        ring = page.evaluate("""() => {
            const style = getComputedStyle(document.activeElement);
            return [style.outlineStyle, style.outlineColor];
        }""")
        # (the header's white ring once sat invisibly on the light menu)
        assert ring[0] != "none" and ring[1] != "rgb(255, 255, 255)", ring
        failures += check_quietly(page, "Menü offen", 390)
        shoot(page, "menue-offen", 390)
    finally:
        page.context.close()

    # wide screens: the row of links, no "Menü"; the tables are real tables again
    page = new_page(browser, DESKTOP)
    try:
        log_in(page, base, world.admin)
        for name, path, table in CARD_TABLES + [("protokoll", "/organiser/protokoll/", None)]:
            page.goto(base + path)
            assert page.locator(".app-admin-nav__menu").is_hidden()
            assert page.locator(".app-admin-nav__list--row a[aria-current=page]").is_visible()
            if table:
                assert not fits(page, table)["cards"], name
            failures += check_quietly(page, f"{name} (breit)", 1280)
            shoot(page, f"{name}-breit", 1280)
    finally:
        page.context.close()
    assert not failures, "\n".join(failures)


# --- printing on A4 ------------------------------------------------------------------------


def test_workshop_page_and_attendee_list_print_cleanly_on_a4(app, live_server, browser, world):
    """Issue 14: a workshop page and an attendee list print on A4 without the site's chrome,
    nothing wider than the paper, the names in the printed text (read back with pypdf)."""
    import unicodedata
    from io import BytesIO

    from pypdf import PdfReader

    from events.models import Workshop

    slug = db.session.get(Workshop, world.workshop).slug
    db.session.rollback()
    page = new_page(browser, viewport={"width": 794, "height": 1123})  # A4 at 96 dpi
    try:
        log_in(page, live_server.url, world.admin)
        for path, expected in [(f"/workshops/{slug}",
                                "Ausbildung zur Altenpflege für junge Geflüchtete"),
                               (f"/organiser/teilnehmende/workshop/{world.workshop}",
                                "Anwesend")]:  # the last column: nothing cut off
            page.goto(f"{live_server.url}{path}")
            page.emulate_media(media="print")
            for chrome in (".app-header", ".app-footer", ".app-skip-link"):
                if page.query_selector(chrome):
                    assert page.eval_on_selector(
                        chrome, "e => getComputedStyle(e).display") == "none", (path, chrome)
            wide = page.evaluate("document.documentElement.scrollWidth")
            pdf = page.pdf(format="A4", print_background=False)
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / f"print-{path.strip('/').replace('/', '-')}.pdf").write_bytes(pdf)
            if path.startswith("/workshops/"):  # the list's wide table is shrunk to fit
                assert wide <= 794, (path, wide)
            text = " ".join(unicodedata.normalize("NFKC", " ".join(  # "ﬂ" ligatures → "fl"
                p.extract_text() for p in PdfReader(
                    BytesIO(page.pdf(format="A4", print_background=False))).pages)).split())
            assert expected in text, (path, text[:400])
            assert "Zum Inhalt springen" not in text and "Abmelden" not in text, path
            page.emulate_media(media="screen")
    finally:
        page.context.close()
