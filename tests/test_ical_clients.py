"""Every calendar the app emits, read by two independent parsers, agrees with the JSON API.

Invitations, updates and cancellations (captured from a real SMTP server, the
inline part and the attachment), the single-event download and all three feeds,
for a workshop in winter (CET) and one in summer (CEST). Mozilla's ical.js and
python's vobject must both read the same start, end and zone as
``GET /api/v1/workshops/<id>`` reports at the moment the calendar was made.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from events.extensions import db
from events.mail import sender
from events.services import seats, subscriptions, workshops
from tests.conftest import confirmed
from tests.ical_support import (
    assert_times_match_api,
    calendar_parts,
    calendar_text,
    icaljs,
    vobject_events,
)

pytestmark = pytest.mark.backends

WINTER = datetime(2027, 1, 19, 9, tzinfo=timezone.utc)  # 10:00 CET
SUMMER = datetime(2027, 7, 13, 8, tzinfo=timezone.utc)  # 10:00 CEST


@pytest.fixture
def config_overrides(smtp_config):
    return smtp_config


def api(client, workshop) -> dict:
    response = client.get(f"/api/v1/workshops/{workshop.id}")
    assert response.status_code == 200
    return response.get_json()



def test_every_emitted_calendar_reads_the_same_in_both_parsers(
        client, smtp, make_workshop, now, tmp_path):
    # name → (calendar text, METHOD, {UID: what the API said when it was made})
    emitted: dict[str, tuple[str, str, dict[str, dict]]] = {}
    mails: list[tuple[str, str, str, dict]] = []  # (name, subject prefix, recipient, api)

    winter = make_workshop(starts_at=WINTER, title="Winter, Kälte; Schnee")
    summer = make_workshop(starts_at=SUMMER, title="Sommer: „Hitze“ \\ Sonne")
    for season, workshop, n in (("winter", winter, 1), ("summer", summer, 3)):
        first, second = confirmed(workshop, n, now), confirmed(workshop, n + 1, now)
        mails.append((f"{season}-invite", "Anmeldung bestätigt", f"person{n}@kommune.example",
                      api(client, workshop)))
        workshops.update_workshop(workshop.id, starts_at=workshop.starts_at + timedelta(
            days=1, hours=2, minutes=30), venue_address="Marktplatz 2, 50667 Köln", now=now)
        db.session.commit()
        after = api(client, workshop)
        mails.append((f"{season}-update", "Geändert", f"person{n}@kommune.example", after))
        seats.cancel(first.id, now=now)
        db.session.commit()
        mails.append((f"{season}-cancel", "Abmeldung bestätigt", f"person{n}@kommune.example",
                      after))
        for kind, url in (("download", f"/workshops/{workshop.slug}/calendar.ics"),
                          ("personal", "/calendar/{}.ics".format(
                              subscriptions.feed_token(second.participant)))):
            response = client.get(url)
            assert response.status_code == 200
            emitted[f"{season}-{kind}"] = (response.get_data(as_text=True), "PUBLISH",
                                           {workshop.ical_uid: after})

    both = {w.ical_uid: api(client, w) for w in (winter, summer)}
    for name, url in (("programme-feed", "/calendar.ics"),
                      ("theme-feed", f"/themes/{winter.theme.slug}/calendar.ics")):
        emitted[name] = (client.get(url).get_data(as_text=True), "PUBLISH", both)

    workshops.cancel_workshop(summer.id, "Hitzewelle", now=now)
    db.session.commit()
    mails.append(("summer-workshop-cancel", "Abgesagt", "person4@kommune.example",
                  api(client, summer)))
    emitted["feed-after-cancel"] = (client.get("/calendar.ics").get_data(as_text=True),
                                    "PUBLISH", {w.ical_uid: api(client, w)
                                                for w in (winter, summer)})

    assert not sender.send_due().errors
    received = [item.message for item in smtp.received]
    for name, subject, recipient, state in mails:
        (message,) = [m for m in received
                      if m["Subject"].startswith(subject) and m["To"] == recipient]
        method = "CANCEL" if "cancel" in name else "REQUEST"
        inline, attachment = calendar_parts(message, method)
        for part_name, part in (("inline", inline), ("attachment", attachment)):
            text = calendar_text(part)
            uid = vobject_events(text)[0].uid
            emitted[f"{name}-{part_name}"] = (text, method, {uid: state})

    assert len(emitted) == 7 * 2 + 4 + 3  # 7 e-mails (2 parts each), 4 downloads, 3 feeds
    parsed = icaljs({name: text for name, (text, _, _) in emitted.items()}, tmp_path)
    for name, (text, method, states) in emitted.items():
        js = parsed[name]
        assert js["method"] == method, name
        assert [tz["tzid"] for tz in js["timezones"]] == ["Europe/Berlin"], name
        vo_events = {event.uid: event for event in vobject_events(text)}
        js_events = {event["uid"]: event for event in js["events"]}
        assert set(js_events) == set(vo_events) == set(states), name
        for uid, state in states.items():
            assert_times_match_api(js_events[uid], vo_events[uid], state)
            assert js_events[uid]["summary"] == vo_events[uid].summary, name
            assert js_events[uid]["sequence"] == vo_events[uid].sequence, name
            assert vo_events[uid].method == method, name
    offsets = {parsed[name]["events"][0]["start"]["utc_offset_seconds"]
               for name in ("winter-download", "summer-download")}
    assert offsets == {3600, 7200}  # one winter, one summer time
