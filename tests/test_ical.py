"""The iCalendar builder: the compact VTIMEZONE, escaping and folding, what an invitation holds."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from events import ical
from events.extensions import db
from events.models import OutboxMessage
from events.services import seats, tokens
from tests.conftest import confirmed
from tests.ical_support import icaljs, unfolded_lines, vobject_events

BERLIN_VTIMEZONE = (
    "BEGIN:VTIMEZONE\r\n"
    "TZID:Europe/Berlin\r\n"
    "X-LIC-LOCATION:Europe/Berlin\r\n"
    "BEGIN:DAYLIGHT\r\n"
    "DTSTART:19700329T020000\r\n"
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n"
    "TZNAME:CEST\r\n"
    "TZOFFSETFROM:+0100\r\n"
    "TZOFFSETTO:+0200\r\n"
    "END:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\n"
    "DTSTART:19701025T030000\r\n"
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n"
    "TZNAME:CET\r\n"
    "TZOFFSETFROM:+0200\r\n"
    "TZOFFSETTO:+0100\r\n"
    "END:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
)

NASTY_TITLE = ("Asyl, Aufenthalt; Arbeit\\Ausbildung – Übergänge gestalten: „Größe“ zählt "
               + "ÄÖÜäöüß€ " * 12 + "Ende")
NASTY_TEXT = "Erste Zeile, mit Komma;\nzweite Zeile mit \\ Backslash\n\nÜberschrift: äöü ß"



def outbox_ical(kind: str) -> str:
    return db.session.scalars(select(OutboxMessage.ical).where(OutboxMessage.kind == kind)
                              .order_by(OutboxMessage.id.desc())).first()


def test_vtimezone_is_the_compact_rrule_form_for_berlin(app):
    text = ical.vtimezone("Europe/Berlin").to_ical().decode()
    assert text == BERLIN_VTIMEZONE
    assert "RDATE" not in text


def test_every_calendar_carries_that_vtimezone(app, make_workshop):
    text = ical.single_event(make_workshop())
    assert BERLIN_VTIMEZONE in text
    assert text.count("BEGIN:VTIMEZONE") == 1


@pytest.mark.parametrize("zone, rules", [
    ("America/New_York", ["BYDAY=2SU;BYMONTH=3", "BYDAY=1SU;BYMONTH=11"]),
    ("Europe/London", ["BYDAY=-1SU;BYMONTH=3", "BYDAY=-1SU;BYMONTH=10"]),
    ("Asia/Tokyo", []),
])
def test_other_zones_get_their_yearly_rules_from_zoneinfo(app, zone, rules):
    text = ical.vtimezone(zone).to_ical().decode()
    assert f"TZID:{zone}\r\n" in text and "RDATE" not in text
    for rule in rules:
        assert f"RRULE:FREQ=YEARLY;{rule}\r\n" in text
    if not rules:
        assert "RRULE" not in text and text.count("BEGIN:STANDARD") == 1


def test_irregular_zone_falls_back_to_the_long_form(app):
    # Morocco's clocks follow Ramadan: no yearly rule describes them.
    text = ical.vtimezone("Africa/Casablanca").to_ical().decode()
    assert "TZID:Africa/Casablanca" in text and "RDATE" in text


def test_summer_and_winter_zones_read_back_by_both_parsers(app, make_workshop, tmp_path):
    winter = make_workshop(starts_at=datetime(2027, 1, 19, 9, tzinfo=timezone.utc))
    summer = make_workshop(starts_at=datetime(2027, 7, 13, 8, tzinfo=timezone.utc))
    texts = {"winter": ical.single_event(winter), "summer": ical.single_event(summer)}
    parsed = icaljs(texts, tmp_path)
    assert parsed["winter"]["events"][0]["start"]["local"] == "2027-01-19T10:00:00"
    assert parsed["winter"]["events"][0]["start"]["utc_offset_seconds"] == 3600
    assert parsed["summer"]["events"][0]["start"]["local"] == "2027-07-13T10:00:00"
    assert parsed["summer"]["events"][0]["start"]["utc_offset_seconds"] == 7200
    assert vobject_events(texts["winter"])[0].start.utcoffset().total_seconds() == 3600
    assert vobject_events(texts["summer"])[0].start.utcoffset().total_seconds() == 7200


def test_text_is_escaped_and_folded_to_75_octets_with_crlf(app, make_workshop, now, tmp_path):
    workshop = make_workshop(title=NASTY_TITLE, description=NASTY_TEXT,
                             venue_name="Bürgerhaus; Saal 2", venue_address="Weg 1, 12345 Ort")
    confirmed(workshop, 1, now)
    texts = {"invite": outbox_ical("confirmed"), "download": ical.single_event(workshop)}
    for text in texts.values():
        raw = text.encode("utf-8")
        assert raw.endswith(b"\r\n")
        assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
        lines = raw.split(b"\r\n")[:-1]
        assert max(len(line) for line in lines) <= 75
        assert any(line.startswith(b" ") for line in lines)  # something was folded
        for line in lines:
            line.decode("utf-8")  # no fold splits a multi-byte character
        summary = next(line for line in unfolded_lines(text) if line.startswith("SUMMARY:"))
        assert "\\," in summary and "\\;" in summary and "\\\\" in summary
    parsed = icaljs(texts, tmp_path)
    for name, text in texts.items():
        js_event = parsed[name]["events"][0]
        vo_event = vobject_events(text)[0]
        assert js_event["summary"] == vo_event.summary == NASTY_TITLE
        assert NASTY_TEXT in js_event["description"] and NASTY_TEXT in vo_event.description
        assert js_event["location"] == vo_event.location == "Bürgerhaus; Saal 2, Weg 1, 12345 Ort"


def test_invitation_holds_uid_organizer_attendee_and_personal_link(app, make_workshop, now,
                                                                    tmp_path):
    workshop = make_workshop()
    registration = confirmed(workshop, 1, now)
    text = outbox_ical("confirmed")
    event = icaljs({"invite": text}, tmp_path)["invite"]["events"][0]
    assert event["uid"] == f"registration-{registration.id}@praxis.test" == registration.ical_uid
    assert event["organizer"] == {"value": "mailto:praxisaustausch@localhost", "params": {
        "cn": "Kompetenzteam Flüchtlings- und Integrationsmanagement"}}
    assert event["attendees"] == [{"value": "mailto:person1@kommune.example", "params": {
        "cn": "Person 1", "rsvp": "FALSE", "partstat": "ACCEPTED", "role": "REQ-PARTICIPANT",
        "cutype": "INDIVIDUAL"}}]
    assert tokens.manage_url(registration) in event["description"]
    assert event["url"] == f"http://praxis.test/workshops/{workshop.slug}"
    assert event["location"] == "Rathaus, Marktplatz 1, 50667 Köln"
    assert event["dtstamp"]["is_utc"]
    for name in ("PRODID:", "VERSION:2.0", "METHOD:REQUEST", "DTSTAMP:", "SEQUENCE:"):
        assert any(line.startswith(name) for line in unfolded_lines(text)), name


class TestConfigured:
    @pytest.fixture
    def config_overrides(self):
        return {"ORGANIZER_NAME": "Team Praxisaustausch",
                "ORGANIZER_EMAIL": "team@kommune.example",
                "ICAL_UID_HOST": "kalender.kommune.example"}

    def test_organizer_and_uid_host_are_configurable(self, app, make_workshop, now):
        workshop = make_workshop()
        registration = confirmed(workshop, 1, now)
        lines = unfolded_lines(outbox_ical("confirmed"))
        assert 'ORGANIZER;CN="Team Praxisaustausch":mailto:team@kommune.example' in lines
        assert f"UID:registration-{registration.id}@kalender.kommune.example" in lines
        assert workshop.ical_uid == f"workshop-{workshop.id}@kalender.kommune.example"


def test_online_link_only_in_a_confirmed_participants_request(app, make_workshop, now):
    link = "https://konferenz.example/raum-4711"
    workshop = make_workshop(venue_name="", venue_address="", online_url=link)
    registration = confirmed(workshop, 1, now)
    invite = outbox_ical("confirmed")
    assert link in invite.replace("\r\n ", "")
    assert "LOCATION:Online: https://konferenz.example/raum-4711" in unfolded_lines(invite)
    for text in (ical.single_event(workshop), ical.feed([workshop], name="Alle")):
        assert link not in text.replace("\r\n ", "")
        assert "LOCATION:Online" in unfolded_lines(text)
    seats.cancel(registration.id, now=now)
    db.session.commit()
    assert link not in outbox_ical("cancelled").replace("\r\n ", "")
