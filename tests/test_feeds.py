"""Subscription feeds, the single-event download, conditional GET, the personal feed's secret."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import render_template_string
from sqlalchemy import select

from events import ical
from events.extensions import db
from events.models import Participant, Theme, WorkshopStatus
from events.services import seats, subscriptions, tokens, workshops
from events.web import feeds
from tests.conftest import applicant, confirmed
from tests.ical_support import unfolded_lines, vobject_events

pytestmark = pytest.mark.backends
ONLINE = "https://konferenz.example/geheim-4711"



def lines(response) -> list[str]:
    return unfolded_lines(response.get_data(as_text=True))


def uids(response) -> list[str]:
    return [line[4:] for line in lines(response) if line.startswith("UID:")]


@pytest.fixture
def programme_with_workshops(make_workshop, programme):
    published = make_workshop(title="Veröffentlicht")
    cancelled = make_workshop(title="Fällt aus")
    draft = make_workshop(title="Entwurf", status=WorkshopStatus.draft)
    workshops.cancel_workshop(cancelled.id, "Krankheit")
    db.session.commit()
    return published, cancelled, draft


def test_programme_feed_is_a_published_calendar(client, programme, programme_with_workshops):
    published, cancelled, draft = programme_with_workshops
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    text = lines(response)
    for expected in ("METHOD:PUBLISH", f"NAME:{programme.name}", f"X-WR-CALNAME:{programme.name}",
                     "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H",
                     "TZID:Europe/Berlin", "VERSION:2.0"):
        assert expected in text, expected
    assert uids(response) == [f"workshop-{published.id}@praxis.test",
                              f"workshop-{cancelled.id}@praxis.test"]
    events = {event.uid: event for event in vobject_events(response.get_data(as_text=True))}
    gone = events[cancelled.ical_uid]
    assert gone.status == "CANCELLED" and gone.summary == "Abgesagt: Fällt aus"
    assert "Krankheit" in gone.description
    assert events[published.ical_uid].status == "CONFIRMED"
    assert "ORGANIZER" not in response.get_data(as_text=True)
    assert client.get("/calendar.ics").get_data() == response.get_data()  # stable


def test_no_programme_no_feed(client):
    assert client.get("/calendar.ics").status_code == 404


def test_online_link_never_in_any_feed_or_download(client, make_workshop, now):
    workshop = make_workshop(venue_name="", venue_address="", online_url=ONLINE)
    registration = confirmed(workshop, 1, now)
    feed = subscriptions.feed_token(registration.participant)
    for url in ("/calendar.ics", f"/themes/{workshop.theme.slug}/calendar.ics",
                f"/calendar/{feed}.ics", f"/workshops/{workshop.slug}/calendar.ics"):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True).replace("\r\n ", "")
        assert ONLINE not in body and "LOCATION:Online" in lines(response), url


def test_conditional_get_answers_304_without_building(client, make_workshop, monkeypatch):
    make_workshop()
    first = client.get("/calendar.ics")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    assert "no-cache" in first.headers["Cache-Control"]

    def must_not_build(*args, **kwargs):
        raise AssertionError("the feed was built for a 304")

    monkeypatch.setattr(ical, "feed", must_not_build)
    again = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    since = client.get("/calendar.ics", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    stale = client.get("/calendar.ics", headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 500  # it did try to build: the 304s above did not


def test_every_feed_change_bumps_the_version_and_seats_do_not(client, make_workshop, now):
    workshop = make_workshop(status=WorkshopStatus.draft)
    other = make_workshop()

    def etag():
        return client.get("/calendar.ics").headers["ETag"]

    seen = [etag()]

    def changed(step):
        step()
        db.session.commit()
        seen.append(etag())
        assert seen[-1] != seen[-2], step

    def unchanged(step):
        step()
        db.session.commit()
        assert etag() == seen[-1], step

    changed(lambda: workshops.publish(workshop.id))
    unchanged(lambda: seats.register(workshop.id, applicant(1), now=now))
    registration = db.session.scalars(select(seats.Registration)).one()
    unchanged(lambda: seats.confirm(registration.id, now=now))
    unchanged(lambda: seats.cancel(registration.id, now=now))
    changed(lambda: workshops.update_workshop(workshop.id, venue_name="Bürgerhaus"))
    changed(lambda: workshops.update_workshop(
        workshop.id, starts_at=workshop.starts_at + timedelta(hours=1)))
    changed(lambda: workshops.unpublish(workshop.id))
    changed(lambda: workshops.publish(workshop.id))
    changed(lambda: workshops.cancel_workshop(other.id, "Ausfall"))
    assert len(set(seen)) == len(seen)


def test_unpublish_refused_while_people_are_registered(make_workshop, now):
    workshop = make_workshop()
    seats.register(workshop.id, applicant(1), now=now)
    db.session.commit()
    with pytest.raises(workshops.StateConflict, match="sagen Sie ihn ab"):
        workshops.unpublish(workshop.id)
    db.session.rollback()


def test_theme_feed_shows_only_its_theme(client, make_workshop, programme):
    mine = make_workshop(title="Mein Thema")
    other = make_workshop(title="Anderes Thema")
    other.theme = Theme(slug="recht", name="Recht")
    db.session.commit()
    response = client.get("/themes/recht/calendar.ics")
    assert response.status_code == 200
    assert uids(response) == [other.ical_uid]
    assert f"X-WR-CALNAME:{programme.name}: Recht" in lines(response)
    assert uids(client.get(f"/themes/{mine.theme.slug}/calendar.ics")) == [mine.ical_uid]
    assert client.get("/themes/gibt-es-nicht/calendar.ics").status_code == 404


def test_single_event_download(client, make_workshop):
    workshop = make_workshop()
    draft = make_workshop(status=WorkshopStatus.draft)
    response = client.get(f"/workshops/{workshop.slug}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{workshop.slug}.ics"')
    assert "METHOD:PUBLISH" in lines(response) and uids(response) == [workshop.ical_uid]
    assert response.headers["ETag"]
    assert client.get(f"/workshops/{workshop.slug}/calendar.ics", headers={
        "If-None-Match": response.headers["ETag"]}).status_code == 304
    assert client.get(f"/workshops/{draft.slug}/calendar.ics").status_code == 404
    assert client.get("/workshops/unbekannt/calendar.ics").status_code == 404
    assert client.head(f"/workshops/{workshop.slug}/calendar.ics").status_code == 200


def test_personal_feed_shows_confirmed_places_only(client, make_workshop, now):
    kept, pending, called_off = make_workshop(), make_workshop(), make_workshop()
    registration = confirmed(kept, 1, now)
    seats.register(pending.id, applicant(1), now=now)
    db.session.commit()
    confirmed(called_off, 1, now)
    url = f"/calendar/{subscriptions.feed_token(registration.participant)}.ics"
    before = client.get(url)
    assert before.status_code == 200
    assert before.headers["Cache-Control"] == "private, no-cache"
    assert set(uids(before)) == {kept.ical_uid, called_off.ical_uid}
    assert "X-WR-CALNAME:Meine Workshops – Praxisaustausch" in lines(before)
    assert client.get(url, headers={"If-None-Match": before.headers["ETag"]}).status_code == 304

    workshops.cancel_workshop(called_off.id, "Ausfall", now=now)
    db.session.commit()
    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200  # a seat change the programme version does not see
    events = {event.uid: event for event in vobject_events(after.get_data(as_text=True))}
    assert events[called_off.ical_uid].status == "CANCELLED"
    seats.cancel(registration.id, now=now)
    db.session.commit()
    assert uids(client.get(url)) == [called_off.ical_uid]


@pytest.mark.parametrize("token", ["", "abc", "1.", "1.falsch", "999.AAAA", "1" * 30 + ".x"])
def test_personal_feed_refuses_wrong_tokens(client, make_workshop, now, token):
    confirmed(make_workshop(), 1, now)
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 404


def test_personal_feed_token_is_not_a_registration_link(client, make_workshop, now):
    registration = confirmed(make_workshop(), 1, now)
    assert client.get(f"/calendar/{tokens.token_for(registration)}.ics").status_code == 404
    feed = subscriptions.feed_token(registration.participant)
    assert client.get(f"/anmeldung/{feed}").status_code == 404


def csrf_token(client, manage_path: str) -> str:
    """The session's CSRF token, from the personal page's cancel form."""
    page = client.get(f"{manage_path}?stornieren=1").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_renewing_the_personal_feed_revokes_the_old_address(client, make_workshop, now):
    registration = confirmed(make_workshop(), 1, now)
    old = f"/calendar/{subscriptions.feed_token(registration.participant)}.ics"
    manage = f"/anmeldung/{tokens.token_for(registration)}"
    renew = f"{manage}/kalender-abo/erneuern"
    assert client.post(renew).status_code == 400  # no CSRF token: nothing happens
    assert client.get(old).status_code == 200
    response = client.post(renew, data={"csrf_token": csrf_token(client, manage)})
    assert response.status_code == 303 and response.headers["Location"].endswith(manage)
    assert "neue Adresse" in client.get(manage).get_data(as_text=True)
    assert client.get(old).status_code == 404
    participant = db.session.execute(select(Participant).execution_options(
        populate_existing=True)).scalar_one()
    new = f"/calendar/{subscriptions.feed_token(participant)}.ics"
    assert new != old and client.get(new).status_code == 200


def test_template_helpers(app, make_workshop, now):
    workshop = make_workshop(title="Asyl & Arbeit, Teil 1")
    registration = confirmed(workshop, 1, now)
    with app.test_request_context("/"):
        out = render_template_string(
            "{{ calendar_feed_links().webcal }}|{{ calendar_feed_links().https }}|"
            "{{ calendar_feed_links(w.theme).webcal }}|{{ workshop_calendar_url(w) }}|"
            "{{ personal_feed_links(r).webcal }}|{{ personal_feed_links(r).renew }}",
            w=workshop, r=registration)
        google = feeds.google_calendar_url(workshop)
    feed = subscriptions.feed_token(registration.participant)
    assert out.split("|") == [
        "webcal://praxis.test/calendar.ics", "http://praxis.test/calendar.ics",
        f"webcal://praxis.test/themes/{workshop.theme.slug}/calendar.ics",
        f"http://praxis.test/workshops/{workshop.slug}/calendar.ics",
        f"webcal://praxis.test/calendar/{feed}.ics",
        f"/anmeldung/{tokens.token_for(registration)}/kalender-abo/erneuern"]
    parts = urlsplit(google)
    query = parse_qs(parts.query)
    assert parts.netloc == "calendar.google.com"
    assert query["action"] == ["TEMPLATE"] and query["text"] == ["Asyl & Arbeit, Teil 1"]
    assert query["dates"] == ["20270119T090000Z/20270119T150000Z"]
    assert query["ctz"] == ["Europe/Berlin"]
    assert query["location"] == ["Rathaus, Marktplatz 1, 50667 Köln"]
    assert f"http://praxis.test/workshops/{workshop.slug}" in query["details"][0]


def test_a_workshop_added_without_a_version_bump_still_changes_the_etag(client, make_workshop):
    make_workshop()
    before = client.get("/calendar.ics").headers["ETag"]
    make_workshop()  # a direct insert, as the demo data does: feed_version is not bumped
    after = client.get("/calendar.ics", headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["ETag"] != before
    assert len(uids(after)) == 2


def test_feed_shows_each_edit_at_once(client, make_workshop):
    workshop = make_workshop(title="Alter Titel")
    assert "SUMMARY:Alter Titel" in lines(client.get("/calendar.ics"))
    workshops.update_workshop(workshop.id, title="Neuer Titel", venue_address="Weg 2")
    db.session.commit()
    text = lines(client.get("/calendar.ics"))
    assert "SUMMARY:Neuer Titel" in text and "LOCATION:Rathaus\\, Weg 2" in text
    assert "SUMMARY:Alter Titel" not in text
