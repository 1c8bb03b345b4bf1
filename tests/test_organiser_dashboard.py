"""The dashboard: the figures of a small scenario on both databases, a fixed number of
queries for 3 and for 30 workshops, charts without inline styles, each with its table."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from events.extensions import db
from events.models import Theme, utcnow
from events.services import figures, seats
from tests.conftest import applicant
from tests.pages_support import dated_workshops, main, scan

UTC = timezone.utc


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def register(workshop, n, *, confirm=False, created=None, state="", **fields):
    registration = seats.register(workshop.id, applicant(n, **fields)).registration
    db.session.commit()
    if confirm:
        seats.confirm(registration.id)
    registration.participant.federal_state = state
    if created:
        registration.created_at = created
    db.session.commit()
    return registration


@pytest.fixture
def scenario(make_workshop, theme):
    """Two workshops of two themes; the second one is over, two came, one did not."""
    workshop = dated_workshops(make_workshop)
    housing = Theme(slug="wohnen", name="Wohnen", position=1)
    db.session.add(housing)
    db.session.commit()
    first = workshop(capacity=3, title="Sprachkurse")
    second = workshop(capacity=5, title="Wohnungssuche", theme=housing)
    day = at(20, 10)
    people = {
        1: register(first, 1, confirm=True, created=day, municipality="Stadt Köln", state="NW"),
        2: register(first, 2, confirm=True, created=day, municipality="Stadt Köln", state="NW"),
        3: register(first, 3, created=day, municipality="Stadt Bonn"),
        4: register(first, 4, created=at(21, 22, 30), municipality="Stadt Essen", state="NW"),
        5: register(first, 5, created=at(21, 23, 30), municipality="Dresden", state="SN"),
    }
    again = register(second, 1, confirm=True, created=at(24, 9), municipality="Stadt Köln",
                     state="NW")
    came = register(second, 6, confirm=True, created=at(24, 9), municipality="Leipzig",
                    state="SN")
    missed = register(second, 7, confirm=True, created=at(24, 9), municipality="Stadt Bonn")
    gone = register(second, 8, created=at(24, 9), municipality="Hamburg", state="HH")
    seats.cancel(gone.id)
    db.session.commit()
    for registration in (again, came):
        registration.attended_at = utcnow() - timedelta(days=2)
    second.starts_at, second.ends_at = (utcnow() - timedelta(days=2, hours=6),
                                        utcnow() - timedelta(days=2))
    db.session.commit()
    return first, second, people, missed


@pytest.mark.backends
def test_figures_of_a_small_scenario(scenario, programme):
    first, second, _people, _missed = scenario
    data = figures.dashboard()
    assert data.programme.id == programme.id
    assert (data.seat_holders, data.waiting_people, data.places_left) == (5, 2, 145)
    rows = {w.title: w for w in data.workshops}
    assert [w.title for w in data.workshops] == ["Wohnungssuche", "Sprachkurse"]  # by date
    one, two = rows["Sprachkurse"], rows["Wohnungssuche"]
    assert (one.capacity, one.confirmed, one.pending, one.waitlisted, one.attended,
            one.no_shows, one.seats_taken, one.is_over) == (3, 2, 1, 2, 0, 0, 3, False)
    assert (two.capacity, two.confirmed, two.pending, two.waitlisted, two.attended,
            two.no_shows, two.seats_taken, two.is_over) == (5, 3, 0, 0, 2, 1, 3, True)
    assert data.total("seats_taken") == 6 and data.total("no_shows") == 1
    assert data.municipalities == [("Stadt Bonn", 2), ("Stadt Köln", 2), ("Leipzig", 1)]
    assert data.states == [("NW", 2), ("SN", 1), ("unbekannt", 2)]
    assert data.themes == [("Integration", 3), ("Wohnen", 3)]
    # by Berlin day: 22:30 UTC on the 21st is still the 21st, 23:30 UTC is the 22nd
    assert data.weekly is False
    assert data.over_time == [(date(2026, 11, 20), 3), (date(2026, 11, 21), 1),
                              (date(2026, 11, 22), 1), (date(2026, 11, 23), 0),
                              (date(2026, 11, 24), 4)]


@pytest.mark.backends
def test_the_page_shows_the_figures_with_charts_and_tables(organiser_client, scenario):
    response = organiser_client.get("/organiser/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = main(html)
    assert "5 von 150 Plätzen belegt" in text
    assert "2 Personen auf der Warteliste" in text and "noch 145 Plätze frei" in text
    assert re.search(r"Sprachkurse .*? 3 3 2 1 2 – –", text)
    assert re.search(r"Wohnungssuche .*? 5 3 3 0 0 2 1", text)
    assert "Summe 8 6 5 1 2 2 1" in text
    assert "Stadt Bonn 2" in text and "unbekannt 2" in text and "Wohnen 3" in text
    assert "24.11. 4" in text and "23.11. 0" in text
    assert html.count('<svg class="app-chart"') == 5
    assert html.count('role="img"') == 5
    assert scan(html).problems == []  # no style attribute, no <style>, no inline script
    assert "<script" not in html.split("<main", 1)[1]


def test_registrations_per_week_over_a_long_span(make_workshop, theme):
    workshop = dated_workshops(make_workshop)(capacity=50)
    register(workshop, 1, created=datetime(2026, 6, 3, 8, tzinfo=UTC))  # a Wednesday
    register(workshop, 2, created=datetime(2026, 6, 7, 22, 30, tzinfo=UTC))  # Mon 00:30 CEST
    register(workshop, 3, created=datetime(2026, 9, 1, 8, tzinfo=UTC))
    data = figures.dashboard()
    assert data.weekly is True
    assert data.over_time[0] == (date(2026, 6, 1), 1)
    assert data.over_time[1] == (date(2026, 6, 8), 1)
    assert data.over_time[-1] == (date(2026, 8, 31), 1)
    assert sum(n for _day, n in data.over_time) == 3
    assert all(day.weekday() == 0 for day, _n in data.over_time)


def test_top_fifteen_municipalities_and_the_rest(make_workshop, theme):
    workshop = dated_workshops(make_workshop)(capacity=40)
    for n in range(20):
        register(workshop, n, municipality=f"Kommune {n:02d}")
    register(workshop, 99, municipality="Kommune 19")
    rows = figures.dashboard().municipalities
    assert len(rows) == 16
    assert rows[0] == ("Kommune 19", 2)
    assert rows[-1] == ("Übrige (5 Kommunen)", 5)
    assert sum(n for _name, n in rows) == 21


def count_queries(action) -> int:
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith("BEGIN"):  # SQLite's explicit BEGIN
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return len(statements)


@pytest.mark.backends
def test_a_fixed_number_of_queries_for_3_and_for_30_workshops(organiser_client, make_workshop,
                                                              theme):
    workshop = dated_workshops(make_workshop)
    counts = []
    person = iter(range(1, 1000))
    made = 0
    for size in (3, 30):
        for _ in range(size - made):
            created = workshop(capacity=2)
            for k in range(3):  # two seats taken, one on the waiting list
                n = next(person)
                register(created, n, confirm=k < 2, municipality=f"Kommune {n % 20}",
                         state=f"Land {n % 3}")
        made = size
        db.session.expire_all()
        service = count_queries(figures.dashboard)
        page = count_queries(lambda: organiser_client.get("/organiser/"))
        counts.append((service, page))
    assert counts[0] == counts[1], counts
    assert counts[0][0] <= 7


def test_without_a_programme(organiser_client):
    response = organiser_client.get("/organiser/")
    assert response.status_code == 200
    assert "Es gibt noch kein Programm" in main(response.data)


def test_anonymous_is_sent_to_the_login(client):
    assert client.get("/organiser/").status_code == 303
