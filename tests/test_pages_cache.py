"""The page cache (events/web/page_cache.py): what it keeps, and that nothing stays stale
beyond the documented window (``PAGE_CACHE_SECONDS``).

The window is driven by a fake clock (the cache's ``clock``), so no test waits for it.
"""

from __future__ import annotations

import gzip
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from events.extensions import db
from events.models import Workshop, WorkshopStatus, utcnow
from events.services import workshops
from events.web import page_cache
from tests.pages_support import CSRF, dated_workshops, form_data, main, post_form

WINDOW = 5


@pytest.fixture
def config_overrides() -> dict:
    return {"PAGE_CACHE_SECONDS": WINDOW}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float = WINDOW) -> None:
        self.now += seconds


@pytest.fixture
def clock(app) -> FakeClock:
    fake = FakeClock()
    page_cache.cache_of(app).clock = fake
    return fake


@pytest.fixture
def workshop(make_workshop):
    return dated_workshops(make_workshop)


def api_titles(client) -> dict[str, dict]:
    return {w["slug"]: w for w in client.get("/api/v1/workshops").get_json()["workshops"]}


@pytest.fixture
def statements(app):
    """The SQL statements run while the list is being collected, and the connections
    taken from the pool (``statements.checkouts``: the seat counts use a driver
    connection directly, which SQLAlchemy's statement events do not see)."""

    class Seen(list):
        checkouts = 0

        def clear(self):
            super().clear()
            self.checkouts = 0

    seen = Seen()

    def collect(conn, cursor, statement, *args):
        seen.append(statement)

    def checkout(*args):
        seen.checkouts += 1

    event.listen(db.engine, "before_cursor_execute", collect)
    event.listen(db.engine, "checkout", checkout)
    yield seen
    event.remove(db.engine, "before_cursor_execute", collect)
    event.remove(db.engine, "checkout", checkout)


# --- freshness --------------------------------------------------------------------------------


@pytest.mark.backends
def test_organiser_changes_show_within_the_window(app, client, clock, workshop, programme):
    item = workshop(title="Alter Titel")
    draft = workshop(title="Noch ein Entwurf", status=WorkshopStatus.draft)
    assert "Alter Titel" in main(client.get("/").data)
    assert "Alter Titel" in main(client.get(f"/workshops/{item.slug}").data)
    assert api_titles(client)[item.slug]["title"] == "Alter Titel"
    assert client.get(f"/workshops/{draft.slug}").status_code == 404

    item.title = "Neuer Titel"  # what the back office's edit form writes
    db.session.commit()
    workshops.publish(draft.id)
    db.session.commit()
    # within the window the kept pages may still show the old state …
    assert "Alter Titel" in main(client.get("/").data)
    clock.advance()
    # … after it, every page shows the change
    assert "Neuer Titel" in main(client.get("/").data)
    assert "Neuer Titel" in main(client.get(f"/workshops/{item.slug}").data)
    assert api_titles(client)[item.slug]["title"] == "Neuer Titel"
    assert client.get(f"/workshops/{draft.slug}").status_code == 200
    assert "Noch ein Entwurf" in main(client.get("/").data)

    workshops.cancel_workshop(item.id, reason="Erkrankung")
    db.session.commit()
    clock.advance()
    assert api_titles(client)[item.slug]["status"] == "cancelled"
    assert "Dieser Workshop wurde abgesagt." in main(client.get(f"/workshops/{item.slug}").data)
    assert "Abgesagt" in main(client.get("/").data)


def test_the_back_office_edit_shows_on_the_catalogue_within_the_window(
        app, client, organiser_client, clock, workshop):
    from tests.test_organiser_workshops import edit

    item = workshop(title="Alter Titel")
    assert "Alter Titel" in main(client.get("/").data)
    assert edit(organiser_client, item, title="Titel aus dem Büro").status_code == 303
    # organisers never get kept pages: they see their change at once
    assert "Titel aus dem Büro" in main(organiser_client.get("/").data)
    clock.advance()
    assert "Titel aus dem Büro" in main(client.get("/").data)


@pytest.mark.backends
def test_seat_counts_at_the_form_are_never_stale(app, client, clock, workshop):
    item = workshop(capacity=2)
    url = f"/workshops/{item.slug}"
    assert "2 von 2 frei" in main(client.get(url).data)
    assert post_form(client, url, form_data(1)).status_code == 303
    # the clock has not moved: the page is from the cache, the seat count is not
    assert "1 von 2 frei" in main(client.get(url).data)
    assert post_form(client, url, form_data(2)).status_code == 303
    page = main(client.get(url).data)
    assert "ausgebucht – Warteliste" in page and "Auf die Warteliste setzen" in page
    clock.advance()
    assert api_titles(client)[item.slug]["seats_left"] == 0
    assert "ausgebucht – Warteliste" in main(client.get("/").data)


def test_time_itself_changes_the_kept_catalogue(app, client, clock, workshop):
    """Registration opens in a moment: the catalogue says so then, window or not."""
    opens = utcnow() + timedelta(seconds=0.4)
    workshop(title="Bald offen", registration_opens_at=opens)
    assert "Anmeldung noch nicht möglich" in main(client.get("/").data)
    time.sleep(max(0.0, (opens - utcnow()).total_seconds()) + 0.05)
    page = main(client.get("/").data)  # the clock of the window has not moved
    assert "Anmeldung noch nicht möglich" not in page and "Noch 10 Plätze frei" in page


def test_window_zero_turns_the_cache_off(app, client, workshop):
    app.extensions.pop(page_cache.EXTENSION)  # as PAGE_CACHE_SECONDS=0 leaves it
    item = workshop(title="Alter Titel")
    assert "Alter Titel" in main(client.get("/").data)
    item.title = "Neuer Titel"
    db.session.commit()
    assert "Neuer Titel" in main(client.get("/").data)
    assert api_titles(client)[item.slug]["title"] == "Neuer Titel"


def test_config_zero_means_no_cache(database_url, tmp_path):
    from events import create_app
    from tests.conftest import base_config

    app = create_app({**base_config(database_url, tmp_path), "PAGE_CACHE_SECONDS": 0})
    assert page_cache.cache_of(app) is None
    app = create_app({**base_config(database_url, tmp_path), "PAGE_CACHE_SECONDS": 3})
    assert page_cache.cache_of(app).seconds == 3


def test_explicit_invalidation(app, client, workshop):
    item = workshop(title="Alter Titel")
    assert "Alter Titel" in main(client.get("/").data)
    item.title = "Neuer Titel"
    db.session.commit()
    page_cache.cache_of(app).invalidate()
    assert "Neuer Titel" in main(client.get("/").data)


# --- no database round trip for a kept page ----------------------------------------------------


def test_a_kept_page_costs_no_query_and_the_workshop_page_one(app, client, clock, workshop,
                                                               statements):
    item = workshop()
    for url in ("/", "/api/v1/workshops", "/calendar.ics", f"/workshops/{item.slug}"):
        client.get(url)
    statements.clear()
    for url in ("/", "/api/v1/workshops", "/calendar.ics", "/praxisbeispiele"):
        client.get(url)  # the last one is built: it was not asked for before
    built = len(statements)
    statements.clear()
    for url in ("/", "/api/v1/workshops", "/calendar.ics", "/praxisbeispiele"):
        assert client.get(url).status_code == 200
    assert statements == [] and statements.checkouts == 0 and built > 0
    assert client.get(f"/workshops/{item.slug}").status_code == 200
    assert statements == [] and statements.checkouts == 1  # the seat counts, and nothing else
    clock.advance()
    statements.clear()
    client.get("/")
    assert len(statements) == 1  # the data version, read again after the window


# --- what the key holds -----------------------------------------------------------------------


def test_english_and_german_visitors_each_get_their_language(app, workshop):
    workshop()
    german, english = app.test_client(), app.test_client()
    english.set_cookie("sprache", "en")
    for _ in range(2):
        assert "Workshops for municipal practice" in english.get("/").get_data(as_text=True)
        page = german.get("/").get_data(as_text=True)
        assert "Workshops für die kommunale Praxis" in page and 'lang="de"' in page
    item_url = f"/workshops/{db.session.scalar(select(Workshop.slug))}"
    assert "All workshops" in english.get(item_url).get_data(as_text=True)
    assert "Alle Workshops" in german.get(item_url).get_data(as_text=True)


def test_query_string_is_part_of_the_key(app, client, workshop):
    workshop()
    first = client.get("/?a=1").get_data(as_text=True)
    second = client.get("/?a=2").get_data(as_text=True)
    assert "a%3D1" in first and "a%3D2" in second  # the language links return here


def test_a_waiting_flash_message_is_shown_and_not_kept(app, client, workshop):
    workshop()
    client.get("/")  # kept
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Nachricht nur für diese Person")]
    assert "Nachricht nur für diese Person" in main(client.get("/").data)
    assert "Nachricht nur für diese Person" not in main(client.get("/").data)
    assert "Nachricht nur für diese Person" not in main(app.test_client().get("/").data)


# --- cookies, CSRF, compression, ETag ----------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/themes/integration", "/api/v1/workshops",
                                 "/calendar.ics", "/praxisbeispiele", "/impressum"])
def test_formless_pages_set_no_cookie(app, client, workshop, url):
    workshop()
    for _ in range(2):  # built, then from the cache
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
    assert client.get_cookie(app.config["SESSION_COOKIE_NAME"]) is None


def test_kept_workshop_page_has_each_visitors_own_csrf_token(app, workshop):
    item = workshop(capacity=5)
    url = f"/workshops/{item.slug}"
    tokens = []
    for n in range(3):
        visitor = app.test_client()
        page = visitor.get(url)
        assert "Set-Cookie" in page.headers  # the session holding the token
        token = CSRF.search(page.get_data(as_text=True)).group(1)
        assert page_cache.CSRF_MARK.decode() not in page.get_data(as_text=True)
        tokens.append(token)
        response = visitor.post(url, data={"csrf_token": token, **form_data(n)})
        assert response.status_code == 303
    assert len(set(tokens)) == 3


@pytest.mark.parametrize("url", ["/", "/api/v1/workshops", "/calendar.ics",
                                 "/praxisbeispiele"])
def test_gzip_answers_decompress_to_the_same_bytes(app, client, workshop, url):
    for n in range(12):
        workshop(title=f"Workshop mit langem Titel Nummer {n}")
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(packed.data) == plain.data
    refused = client.get(url, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers


def test_gzip_without_the_cache_too(app, client, workshop):
    app.extensions.pop(page_cache.EXTENSION)
    for _ in range(60):  # above compression.PER_REQUEST_MIN_SIZE
        workshop()
    plain = client.get("/api/v1/workshops")
    packed = client.get("/api/v1/workshops", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.data)) == plain.get_json()


def test_etag_and_304_for_kept_pages_and_the_feed(app, client, workshop):
    workshop()
    for url in ("/", "/api/v1/workshops", "/calendar.ics"):
        first = client.get(url)
        etag = first.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == etag
        packed = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
        assert packed.status_code == 304
    # the feed keeps its own version as ETag, kept or not
    kept = client.get("/calendar.ics").headers["ETag"]
    app.extensions.pop(page_cache.EXTENSION)
    assert client.get("/calendar.ics").headers["ETag"] == kept


def test_kept_html_pages_keep_their_security_headers(app, client, workshop):
    workshop()
    for _ in range(2):
        response = client.get("/")
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_capacity_bounds_the_entries(app, client, workshop):
    workshop()
    cache = page_cache.cache_of(app)
    cache.capacity = 3
    for n in range(10):
        client.get(f"/?seite={n}")
    assert len(cache._entries) == 3


def test_a_visitor_with_a_session_gets_kept_pages_too(app, workshop, statements):
    item = workshop()
    visitor = app.test_client()
    visitor.get(f"/workshops/{item.slug}")  # the session with the form's CSRF token
    assert visitor.get_cookie(app.config["SESSION_COOKIE_NAME"]) is not None
    for _ in range(2):
        response = visitor.get("/")
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
        assert "Cookie" in response.headers["Vary"]
    statements.clear()
    assert visitor.get("/").status_code == 200
    assert statements == [] and statements.checkouts == 0
    # and the form's token still matches the session
    page = visitor.get(f"/workshops/{item.slug}").get_data(as_text=True)
    response = visitor.post(f"/workshops/{item.slug}",
                            data={"csrf_token": CSRF.search(page).group(1), **form_data(1)})
    assert response.status_code == 303


def test_head_from_the_cache_has_no_body(app, client, workshop):
    workshop()
    client.get("/")
    response = client.head("/")
    assert response.status_code == 200 and response.data == b""


@pytest.mark.parametrize("kept", [True, False])
def test_a_workshop_page_without_a_form_sets_no_cookie(app, client, workshop, kept):
    if not kept:
        app.extensions.pop(page_cache.EXTENSION)
    item = workshop(registration_opens_at=utcnow() + timedelta(days=2))
    for _ in range(2):
        response = client.get(f"/workshops/{item.slug}")
        assert "Die Anmeldung beginnt am" in main(response.data)
        assert "Set-Cookie" not in response.headers
        assert 'name="csrf_token"' not in response.get_data(as_text=True)
