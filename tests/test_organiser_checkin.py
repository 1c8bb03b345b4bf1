"""Check-in on the day: the list, the search (with and without JavaScript), "Da", undo,
the count, the rules (only confirmed), the audit trail and the no-show figure."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from events.extensions import db
from events.models import AuditEntry, Registration, utcnow
from events.services import attendance, seats
from tests.conftest import applicant, confirmed
from tests.pages_support import dated_workshops, main


@pytest.fixture
def workshop(make_workshop):
    return dated_workshops(make_workshop)


def _people(workshop, names):
    """Confirmed registrations of ``names`` (real clock), in order."""
    now = utcnow()
    found = []
    for n, (name, municipality) in enumerate(names, start=1):
        registration = seats.register(workshop.id, applicant(
            f"{workshop.id}-{n}", name=name, municipality=municipality), now=now).registration
        db.session.commit()
        seats.confirm(registration.id, now=now)
        db.session.commit()
        found.append(registration)
    return found


PEOPLE = [("Jürgen Öztürk-Weiß", "Landkreis Märkisch-Oderland"),
          ("Anna Schmidt", "Stadt Köln"), ("Zoë Müller", "Gemeinde Überlingen")]


def _page(client, workshop, **params):
    return client.get(f"/organiser/check-in/workshop/{workshop.id}", query_string=params)


TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _token(client, url):
    """The session's CSRF token from any form on the page (the logout form at least)."""
    return TOKEN.search(client.get(url).get_data(as_text=True)).group(1)


def _tap(client, workshop, registration, what="da", q=""):
    url = f"/organiser/check-in/workshop/{workshop.id}"
    token = _token(client, url)
    return client.post(f"{url}/{registration.id}/{what}", data={"csrf_token": token, "q": q})


def test_pick_lists_today_and_upcoming_with_counts(organiser_client, workshop):
    today = workshop(title="Heute am Nachmittag", starts_in=timedelta(hours=2))
    later = workshop(title="Nächste Woche", starts_in=timedelta(days=7))
    workshop(title="Vor einem Monat", starts_in=timedelta(days=-30))
    recent = workshop(title="Letzte Woche", starts_in=timedelta(days=-7))
    _people(today, PEOPLE[:2])
    text = main(organiser_client.get("/organiser/check-in/").data)
    assert text.index("Heute am Nachmittag") < text.index("Nächste Woche")
    assert "0 von 2 da" in text
    assert "Letzte Woche" in text and "Vor einem Monat" not in text
    page = organiser_client.get("/organiser/check-in/").get_data(as_text=True)
    for item in (today, later, recent):
        assert f"/organiser/check-in/workshop/{item.id}" in page


@pytest.mark.backends
def test_check_in_undo_and_the_count(organiser_client, workshop):
    item = workshop(starts_in=timedelta(hours=1))
    people = _people(item, PEOPLE)
    page = _page(organiser_client, item)
    assert page.status_code == 200
    text = main(page.data)
    assert "0 von 3 da" in text
    assert text.index("Anna Schmidt") < text.index("Jürgen Öztürk-Weiß") < text.index(
        "Zoë Müller")

    answer = _tap(organiser_client, item, people[0], q="jürgen")
    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert location.endswith(f"#person-{people[0].id}") and "q=j%C3%BCrgen" in location
    db.session.expire_all()
    assert db.session.get(Registration, people[0].id).attended_at is not None
    text = main(organiser_client.get(location).data)
    assert "1 von 1 da" not in text and "1 von 3 da" in text
    assert "Jürgen Öztürk-Weiß ist da." in text and "Rückgängig" in text
    assert "Anna Schmidt" not in text  # the search is kept

    again = _tap(organiser_client, item, people[0])
    assert again.status_code == 303
    assert "war schon eingecheckt" in main(organiser_client.get(again.headers["Location"]).data)
    _tap(organiser_client, item, people[1])
    assert "2 von 3 da" in main(_page(organiser_client, item).data)

    undone = _tap(organiser_client, item, people[0], "rueckgaengig")
    assert undone.status_code == 303
    db.session.expire_all()
    assert db.session.get(Registration, people[0].id).attended_at is None
    text = main(organiser_client.get(undone.headers["Location"]).data)
    assert "1 von 3 da" in text and "Check-in von Jürgen Öztürk-Weiß zurückgenommen" in text

    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "registration", AuditEntry.object_id == people[0].id
    ).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["registration.check_in",
                                           "registration.check_in_undo"]
    assert entries[0].actor_id == organiser_client.organiser.id
    assert entries[0].before == {"attended_at": None} and entries[0].after["attended_at"]
    assert attendance.figures(item.id) == (1, 3, 0)


@pytest.mark.backends
def test_only_confirmed_registrations_can_be_checked_in(organiser_client, workshop):
    item = workshop(capacity=1)
    pending = seats.register(item.id, applicant("p")).registration
    db.session.commit()
    waiting = seats.register(item.id, applicant("w")).registration
    db.session.commit()
    for registration in (pending, waiting):
        answer = _tap(organiser_client, item, registration)
        assert answer.status_code == 303
        text = main(organiser_client.get(answer.headers["Location"]).data)
        assert "Nur bestätigte Anmeldungen können eingecheckt werden" in text
    db.session.expire_all()
    assert db.session.get(Registration, pending.id).attended_at is None
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "registration.check_in")) is None
    # and nobody unconfirmed is listed
    assert "Person p" not in main(_page(organiser_client, item).data)


def test_cancelled_after_listing_cannot_be_checked_in(organiser_client, workshop):
    item = workshop()
    person = _people(item, PEOPLE[:1])[0]
    seats.cancel(person.id)
    db.session.commit()
    answer = _tap(organiser_client, item, person)
    assert "Nur bestätigte Anmeldungen" in main(
        organiser_client.get(answer.headers["Location"]).data)


def test_a_registration_of_another_workshop_is_refused(organiser_client, workshop):
    first, second = workshop(), workshop()
    person = _people(first, PEOPLE[:1])[0]
    answer = _tap(organiser_client, second, person)
    assert answer.status_code == 303
    assert "gibt es in diesem Workshop nicht" in main(
        organiser_client.get(answer.headers["Location"]).data)
    db.session.expire_all()
    assert db.session.get(Registration, person.id).attended_at is None


def test_post_without_csrf_token_is_refused(organiser_client, workshop):
    item = workshop()
    person = _people(item, PEOPLE[:1])[0]
    for what in ("da", "rueckgaengig"):
        answer = organiser_client.post(
            f"/organiser/check-in/workshop/{item.id}/{person.id}/{what}", data={"q": ""})
        assert answer.status_code == 400
    db.session.expire_all()
    assert db.session.get(Registration, person.id).attended_at is None


@pytest.mark.parametrize("query, names", [
    ("ozturk", ["Jürgen Öztürk-Weiß"]),
    ("WEISS", ["Jürgen Öztürk-Weiß"]),
    ("köln", ["Anna Schmidt"]),
    ("zoe muller", ["Zoë Müller"]),
    ("uberlingen", ["Zoë Müller"]),
    ("niemand", []),
])
def test_search_without_javascript(organiser_client, workshop, query, names):
    item = workshop()
    _people(item, PEOPLE)
    text = main(_page(organiser_client, item, q=query).data)
    for name, _ in PEOPLE:
        assert (name in text) == (name in names), (query, name)
    if not names:
        assert "Niemand gefunden" in text


def test_the_page_works_for_the_script_and_without_inline_code(organiser_client, workshop):
    item = workshop()
    _people(item, PEOPLE[:1])
    page = _page(organiser_client, item).get_data(as_text=True)
    assert '/static/js/checkin.js" defer' in page
    assert 'data-search="jurgen ozturk-weiss landkreis markisch-oderland' in page
    assert "style=" not in page and " onclick" not in page
    assert organiser_client.get("/static/js/checkin.js").status_code == 200


@pytest.mark.parametrize("path", [
    "/organiser/check-in/workshop/99999999999999999999",
    "/organiser/check-in/workshop/0",
    "/organiser/check-in/workshop/-1",
    "/organiser/check-in/workshop/abc",
])
def test_hostile_workshop_ids_are_404(organiser_client, path):
    assert organiser_client.get(path).status_code == 404


def test_hostile_search_text_and_ids_on_post(organiser_client, workshop):
    item = workshop()
    _people(item, PEOPLE[:1])
    for query in ("\x00\x01", "ö" * 5000, "' OR 1=1 --", "😀", "%", "_"):
        assert _page(organiser_client, item, q=query).status_code == 200
    url = f"/organiser/check-in/workshop/{item.id}"
    token = _token(organiser_client, url)
    answer = organiser_client.post(f"{url}/99999999999999999999/da",
                                   data={"csrf_token": token})
    assert answer.status_code == 404


def test_figures_count_no_shows_only_once_the_workshop_is_over(app, make_workshop, now):
    item = make_workshop(capacity=5, starts_in=timedelta(days=1), hours=4)
    people = [confirmed(item, n, now) for n in range(1, 5)]
    attendance.check_in(item.id, people[0].id, None, now=item.starts_at)
    db.session.commit()
    attendance.check_in(item.id, people[1].id, None, now=item.starts_at)
    db.session.commit()
    assert attendance.figures(item.id, now=item.starts_at) == (2, 4, 0)
    after = item.ends_at + timedelta(minutes=1)
    assert attendance.figures(item.id, now=after) == (2, 4, 2)
    assert attendance.figures(item.id, now=after).no_shows == 2
    empty = make_workshop()
    assert attendance.figures(empty.id, now=after) == (0, 0, 0)


# --- in chromium, on a phone ------------------------------------------------------------

from tests import browser_support as support  # noqa: E402 - browser tests only below
from tests.conftest import ORGANISER_PASSWORD  # noqa: E402

live_server = support.live_server
browser = support.browser


@pytest.mark.browser
def test_on_a_390px_phone_search_as_you_type_tap_da_and_undo(live_server, browser, workshop,
                                                             make_organiser):
    item = workshop(title="Check-in am Telefon", starts_in=timedelta(hours=1))
    people = _people(item, PEOPLE)
    account = make_organiser()
    support.ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE",
                                  has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        recorder = support.Recorder()
        recorder.attach(page)
        page.goto(f"{live_server.url}/organiser/login")
        page.fill("input[name=email]", account.email)
        page.fill("input[name=password]", ORGANISER_PASSWORD)
        page.click("form button[type=submit]")
        page.goto(f"{live_server.url}/organiser/check-in/")
        page.click(f"a[href='/organiser/check-in/workshop/{item.id}']")
        page.wait_for_load_state("load")
        assert "0 von 3 da" in page.inner_text("#anzahl")
        page.fill("#suche", "ozturk")  # as one types: no request, the list filters
        visible = page.locator(".app-checkin-row:visible")
        assert visible.count() == 1 and "Jürgen Öztürk-Weiß" in visible.inner_text()
        page.screenshot(path=str(support.ARTIFACTS / "check-in-suche-390.png"), full_page=True)
        visible.locator("button").click()
        page.wait_for_load_state("networkidle")
        assert "1 von 3 da" in page.inner_text("#anzahl")
        assert page.url.endswith(f"#person-{people[0].id}") and "q=ozturk" in page.url
        page.wait_for_function("document.activeElement.tagName === 'BUTTON'")
        assert page.evaluate("document.activeElement.textContent").strip().startswith(
            "Rückgängig")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(support.ARTIFACTS / "check-in-da-390.png"), full_page=True)
        assert support.axe_violations(page) == []
        page.locator(f"#person-{people[0].id} button").click()
        page.wait_for_load_state("networkidle")
        assert "0 von 3 da" in page.inner_text("#anzahl")
        assert recorder.foreign(live_server.url) == []
        assert not [m for m in recorder.console if "Content Security Policy" in m]
    finally:
        context.close()
