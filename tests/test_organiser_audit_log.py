"""The audit log page: newest first, filters, pages of 50, before/after readable,
read only, and hostile filter values never an error page."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from events.extensions import db
from events.models import AuditEntry
from events.services import audit
from tests.pages_support import main

URL = "/organiser/protokoll/"
T0 = datetime(2027, 1, 4, 23, 30, tzinfo=timezone.utc)  # 5 January, 00:30 in Berlin


def entry(actor, action, object_type="workshop", object_id=1, at=T0, summary="", **sides):
    made = audit.record(actor, action, object_type, object_id, summary, **sides)
    made.at = at
    db.session.commit()
    return made


@pytest.fixture
def log(organiser_client, make_organiser):
    """Four entries by two people and the system, on two days."""
    me = organiser_client.organiser
    other = make_organiser("admin", name="Ada Admin")
    db.session.query(AuditEntry).delete()  # the logins of the fixtures
    db.session.commit()
    entries = {
        "capacity": entry(me, "workshop.update", object_id=7, at=T0,
                          summary="Kapazität 20 → 25",
                          before={"capacity": 20, "starts_at": "2027-01-12T09:00:00+00:00"},
                          after={"capacity": 25, "starts_at": "2027-01-12T10:00:00+00:00"}),
        "cancel": entry(other, "registration.cancel", "registration", 3,
                        at=T0 - timedelta(hours=1), summary="Storniert: Jürgen Öztürk-Weiß",
                        before={"status": "confirmed"}, after={"status": "cancelled"}),
        "publish": entry(other, "workshop.publish", object_id=8, at=T0 + timedelta(days=1),
                         summary="Veröffentlicht", after={"active": True, "venue_name": None}),
        "system": entry(None, "workshop.capacity", object_id=7, at=T0 - timedelta(days=3),
                        summary="Kapazität über die Befehlszeile"),
    }
    return organiser_client, me, other, entries


def summaries(response) -> list[str]:
    text = main(response.data)
    order = ["Veröffentlicht", "Kapazität 20 → 25", "Storniert: Jürgen Öztürk-Weiß",
             "Kapazität über die Befehlszeile"]
    return sorted((s for s in order if s in text), key=text.index)


@pytest.mark.backends
def test_newest_first_with_who_when_and_a_table_of_changes(log):
    client, me, other, _ = log
    response = client.get(URL)
    assert response.status_code == 200
    assert summaries(response) == ["Veröffentlicht", "Kapazität 20 → 25",
                                   "Storniert: Jürgen Öztürk-Weiß",
                                   "Kapazität über die Befehlszeile"]
    text = main(response.data)
    assert "4 Einträge" in text
    assert "Di., 5. Januar 2027, 00:30 Uhr" in text  # Berlin time
    assert f"{me.name} · workshop.update · workshop Nr. 7" in text
    assert "System · workshop.capacity" in text
    assert "Kapazität 20 25" in text  # key, before, after
    assert "Beginn Di., 12. Januar 2027, 10:00 Uhr Di., 12. Januar 2027, 11:00 Uhr" in text
    assert "Aktiv ja" in text and "Ort —" in text


@pytest.mark.backends
@pytest.mark.parametrize(("query", "expected"), [
    ("action=workshop.", ["Veröffentlicht", "Kapazität 20 → 25",
                          "Kapazität über die Befehlszeile"]),
    ("action=workshop.update", ["Kapazität 20 → 25"]),
    ("object_type=registration", ["Storniert: Jürgen Öztürk-Weiß"]),
    ("object_type=workshop&object_id=7", ["Kapazität 20 → 25",
                                          "Kapazität über die Befehlszeile"]),
    ("actor=system", ["Kapazität über die Befehlszeile"]),
    # 5 January in Berlin starts at 23:00 UTC on the 4th: 23:30 UTC is in, 22:30 is not
    ("date_from=2027-01-05&date_to=2027-01-05", ["Kapazität 20 → 25"]),
    ("date_to=2027-01-04", ["Storniert: Jürgen Öztürk-Weiß", "Kapazität über die Befehlszeile"]),
    ("date_from=2027-01-06", ["Veröffentlicht"]),
])
def test_filters(log, query, expected):
    client = log[0]
    assert summaries(client.get(f"{URL}?{query}")) == expected


def test_filter_by_actor(log):
    client, me, other, _ = log
    assert summaries(client.get(f"{URL}?actor={other.id}")) == [
        "Veröffentlicht", "Storniert: Jürgen Öztürk-Weiß"]
    assert summaries(client.get(f"{URL}?actor={me.id}")) == ["Kapazität 20 → 25"]
    page = client.get(f"{URL}?actor={other.id}").get_data(as_text=True)
    assert f'value="{other.id}" selected' in page or f'selected value="{other.id}"' in page


def test_pages_of_fifty(organiser_client):
    me = organiser_client.organiser
    for n in range(120):
        audit.record(me, "theme.update", "theme", n + 1, f"Eintrag {n:03d}")
    db.session.commit()
    first = main(organiser_client.get(URL).data)
    assert "Eintrag 119" in first and "Eintrag 070" in first and "Eintrag 069" not in first
    assert "Seite 1 von 3" in first
    last = organiser_client.get(f"{URL}?seite=3&action=theme.")
    assert "Seite 3 von 3" in main(last.data) and "Eintrag 000" in main(last.data)
    assert "seite=2&amp;action=theme." in last.get_data(as_text=True)
    clamped = organiser_client.get(f"{URL}?seite=99999999999999999999")
    assert clamped.status_code == 200 and "Seite 1 von 3" in main(clamped.data)


@pytest.mark.backends
@pytest.mark.parametrize("query", [
    "actor=abc", "actor=99999999999999999999", "actor=-1", "object_id=99999999999999999999",
    "object_id=%C2%B2", "object_id=1e5", "date_from=2027-13-45", "date_to=99999-01-01",
    "date_from=2027-02-01&date_to=2027-01-01", "action=%25_%5C", "action=" + "x" * 500,
    "object_type=%00", "object_type=%F0%9F%98%80", "seite=-1", "seite=%EF%BC%92",
    "date_from=%00", "action=workshop.&actor=system&object_id=7&date_from=2000-01-01",
])
def test_hostile_filter_values_never_fail(log, query):
    client = log[0]
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200, query
    assert "Protokoll" in main(response.data)


def test_refused_values_are_explained_next_to_the_field(log):
    client = log[0]
    text = main(client.get(f"{URL}?object_id=abc&date_from=gestern&date_to=2027-01-01"
                           "&actor=x").data)
    assert "Bitte eine Nummer (ganze Zahl ab 1) angeben." in text
    assert "Bitte ein Datum im Format JJJJ-MM-TT angeben." in text
    assert "Diese Person gibt es nicht." in text


def test_read_only_no_route_changes_an_entry(app, log):
    client = log[0]
    rules = [rule for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("organiser.audit_log.")]
    assert rules and all(rule.methods <= {"GET", "HEAD", "OPTIONS"} for rule in rules)
    assert client.post(URL).status_code in (400, 405)
    assert client.delete(URL).status_code in (400, 405)


def test_admins_and_organisers_read_it_anonymous_does_not(admin_client, organiser_client,
                                                            client):
    assert admin_client.get(URL).status_code == 200
    assert organiser_client.get(URL).status_code == 200
    assert client.get(URL).status_code == 303
