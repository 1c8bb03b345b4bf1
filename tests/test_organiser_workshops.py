"""Back office: workshops and themes — the capacity rule, create/edit/publish, preview,
duplicate, cancel, themes order, validation, CSRF and the audit trail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from events import formatting
from events.extensions import db
from events.models import (
    AuditEntry,
    OutboxMessage,
    RegistrationStatus,
    Theme,
    Workshop,
    WorkshopStatus,
    utcnow,
)
from events.services import seats, workshop_editing, workshops
from events.services.errors import InvalidInput
from tests.conftest import applicant, confirmed
from tests.pages_support import csrf_token, dated_workshops, main, scan

S = RegistrationStatus


def kinds(registration_id=None) -> list[str]:
    query = select(OutboxMessage.kind).order_by(OutboxMessage.id)
    if registration_id is not None:
        query = query.where(OutboxMessage.registration_id == registration_id)
    return list(db.session.scalars(query))


# --- the decided rule: capacity never below the seats held ------------------------------


@pytest.mark.backends
def test_lowering_capacity_below_held_seats_is_refused_and_nothing_changes(make_workshop, now):
    workshop = make_workshop(capacity=3)
    confirmed(workshop, 1, now)
    seats.register(workshop.id, applicant(2), now=now)  # pending holds a seat too
    db.session.commit()
    with pytest.raises(InvalidInput) as refused:
        workshops.set_capacity(workshop.id, 1, now=now)
    db.session.rollback()
    assert "2 Personen halten einen Platz" in refused.value.errors["capacity"]
    db.session.refresh(workshop)
    assert workshop.capacity == 3
    workshops.set_capacity(workshop.id, 2, now=now)  # down to exactly the held seats: fine
    db.session.commit()
    assert workshop.capacity == 2


@pytest.mark.backends
def test_lowering_the_programme_cap_below_holders_is_refused(make_programme, make_workshop,
                                                            now):
    programme = make_programme(capacity=5, deleted_participants=1)
    workshop = make_workshop(capacity=5, programme_=programme)
    confirmed(workshop, 1, now)
    confirmed(workshop, 2, now)
    with pytest.raises(InvalidInput) as refused:
        workshops.set_programme_capacity(programme.id, 2, now=now)  # 2 people + 1 deleted
    db.session.rollback()
    assert "mindestens 3" in refused.value.errors["capacity"]
    workshops.set_programme_capacity(programme.id, 3, now=now)
    db.session.commit()
    assert programme.capacity == 3


def test_capacity_out_of_range_is_refused(make_workshop):
    workshop = make_workshop(capacity=3)
    for value in (-1, 100_001, 99999999999999999999):
        with pytest.raises(InvalidInput):
            workshops.set_capacity(workshop.id, value)
        db.session.rollback()


def test_cli_capacity_refuses_below_held_seats_with_the_reason(runner, make_workshop, now):
    workshop = make_workshop(capacity=2)
    confirmed(workshop, 1, now)
    confirmed(workshop, 2, now)
    result = runner.invoke(args=["workshop", "capacity", str(workshop.id), "1"])
    assert result.exit_code != 0
    assert "mindestens 2" in result.output
    result = runner.invoke(args=["workshop", "capacity", str(workshop.id), "4"])
    assert result.exit_code == 0, result.output
    db.session.refresh(workshop)
    assert workshop.capacity == 4


# --- pages -------------------------------------------------------------------------------

NEW = "/organiser/workshops/neu"


@pytest.fixture
def workshop(make_workshop):
    return dated_workshops(make_workshop)


def local(moment):
    value = formatting.local(moment)
    return value.strftime("%Y-%m-%d"), value.strftime("%H:%M")


def workshop_form(theme, starts=None, **fields) -> dict:
    starts = starts or utcnow() + timedelta(days=30)
    day, clock = local(starts)
    end_day, end_clock = local(starts + timedelta(hours=3))
    data = {
        "title": "Übergänge gestalten: Ärger & Straße", "theme_id": str(theme.id),
        "description": "Was Kommunen tun können.", "starts_at_date": day,
        "starts_at_time": clock,
        # the end's own date: a start after 21:00 Berlin time ends the next day
        "ends_at_date": end_day if end_day != day else "", "ends_at_time": end_clock,
        "venue_name": "Rathaus Köln", "venue_address": "Rathausplatz 2, 50667 Köln",
        "online_url": "", "capacity": "12", "registration_opens_at": "",
        "registration_closes_at": "",
    }
    data.update(fields)
    return data


def form_of(workshop_row: Workshop, **fields) -> dict:
    start_day, start_clock = local(workshop_row.starts_at)
    end_day, end_clock = local(workshop_row.ends_at)
    data = {
        "title": workshop_row.title, "theme_id": str(workshop_row.theme_id),
        "description": workshop_row.description, "starts_at_date": start_day,
        "starts_at_time": start_clock, "ends_at_date": end_day, "ends_at_time": end_clock,
        "venue_name": workshop_row.venue_name, "venue_address": workshop_row.venue_address,
        "online_url": workshop_row.online_url or "", "capacity": str(workshop_row.capacity),
        "registration_opens_at": "", "registration_closes_at": "",
    }
    data.update(fields)
    return data


def post(client, url, data, page=None):
    token = csrf_token(client, page or url)
    return client.post(url, data={"csrf_token": token, **data})


def edit(client, workshop_row, **fields):
    url = f"/organiser/workshops/{workshop_row.id}/bearbeiten"
    return post(client, url, form_of(workshop_row, **fields))


def audit_entries(action):
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.id)))


@pytest.mark.backends
def test_create_edit_publish_and_the_public_page_shows_it(organiser_client, client, programme,
                                                          theme):
    response = post(organiser_client, NEW, workshop_form(theme))
    assert response.status_code == 303, main(response.data)
    created = db.session.scalar(select(Workshop))
    assert response.headers["Location"] == f"/organiser/workshops/{created.id}"
    assert created.status == WorkshopStatus.draft
    assert created.slug == "uebergaenge-gestalten-aerger-strasse"
    assert created.ends_at - created.starts_at == timedelta(hours=3)
    assert client.get(f"/workshops/{created.slug}").status_code == 404  # a draft is private
    page = main(organiser_client.get(response.headers["Location"]).data)
    assert "Entwurf" in page and "Übergänge gestalten" in page

    response = edit(organiser_client, created, title="Übergänge gestalten", capacity="15")
    assert response.status_code == 303, main(response.data)
    db.session.refresh(created)
    assert (created.title, created.capacity) == ("Übergänge gestalten", 15)
    assert created.slug == "uebergaenge-gestalten-aerger-strasse"  # public links stay

    detail = f"/organiser/workshops/{created.id}"
    response = post(organiser_client, f"{detail}/veroeffentlichen", {}, page=detail)
    assert response.status_code == 303
    db.session.refresh(created)
    assert created.status == WorkshopStatus.published
    public = client.get(f"/workshops/{created.slug}")
    assert public.status_code == 200 and "Übergänge gestalten" in main(public.data)

    created_entry, = audit_entries("workshop.create")
    assert created_entry.after["title"] == "Übergänge gestalten: Ärger & Straße"
    assert created_entry.actor_id == organiser_client.organiser.id
    update, = audit_entries("workshop.update")
    assert update.before == {"title": "Übergänge gestalten: Ärger & Straße", "capacity": 12}
    assert update.after == {"title": "Übergänge gestalten", "capacity": 15}
    published, = audit_entries("workshop.publish")
    assert (published.before, published.after) == ({"status": "draft"},
                                                   {"status": "published"})


def test_saving_the_form_unchanged_changes_nothing_and_mails_nobody(organiser_client,
                                                                    workshop):
    item = workshop()  # starts at seconds past the minute; the form shows minutes
    registration = confirmed(item, 1, utcnow())
    mails = kinds(registration.id)
    assert edit(organiser_client, item).status_code == 303
    db.session.refresh(item)
    assert item.sequence == 0 and kinds(registration.id) == mails
    assert audit_entries("workshop.update") == []


def test_list_filters_and_links_to_each_workshop(organiser_client, workshop, theme):
    other = Theme(slug="arbeit", name="Arbeitsmarkt")
    db.session.add(other)
    db.session.commit()
    open_one = workshop(title="Offener Workshop")
    draft = workshop(title="Noch ein Entwurf", status=WorkshopStatus.draft, theme=other)
    workshop(title="Vergangener Workshop", starts_at=utcnow() - timedelta(days=3))
    page = organiser_client.get("/organiser/workshops/")
    text = main(page.data)
    for title in ("Offener Workshop", "Noch ein Entwurf", "Vergangener Workshop"):
        assert title in text
    assert f'href="/organiser/workshops/{open_one.id}"' in page.get_data(as_text=True)
    drafts = main(organiser_client.get("/organiser/workshops/?status=draft").data)
    assert "Noch ein Entwurf" in drafts and "Offener Workshop" not in drafts
    by_theme = main(organiser_client.get(f"/organiser/workshops/?theme={other.id}").data)
    assert "Noch ein Entwurf" in by_theme and "Offener Workshop" not in by_theme
    past = main(organiser_client.get("/organiser/workshops/?status=past").data)
    assert "Vergangener Workshop" in past and "Offener Workshop" not in past
    assert draft.id


@pytest.mark.parametrize("query", [
    "?theme=99999999999999999999", "?status=%00", "?theme=abc&status=<script>",
    "?theme=-1", "?status=draft&theme=" + "9" * 400,
])
def test_odd_filters_never_fail(organiser_client, workshop, query):
    workshop()
    assert organiser_client.get("/organiser/workshops/" + query).status_code == 200


@pytest.mark.parametrize("path", [
    "/organiser/workshops/99999999999999999999", "/organiser/workshops/0/bearbeiten",
    "/organiser/workshops/99999999999999999999/vorschau",
    "/organiser/workshops/2147483648/duplizieren", "/organiser/workshops/themen/99999999999999",
])
def test_unknown_ids_are_404(organiser_client, path):
    assert organiser_client.get(path).status_code == 404


@pytest.mark.backends
def test_raising_capacity_in_the_form_promotes_with_mail(organiser_client, workshop):
    item = workshop(capacity=1)
    now = utcnow()
    confirmed(item, 1, now)
    waiting = seats.register(item.id, applicant(2), now=now).registration
    db.session.commit()
    assert waiting.status == S.waitlisted
    response = edit(organiser_client, item, capacity="2")
    assert response.status_code == 303, main(response.data)
    db.session.refresh(waiting)
    assert waiting.status == S.pending
    assert kinds(waiting.id)[-1] == "promoted"


@pytest.mark.backends
def test_lowering_capacity_below_held_seats_in_the_form_saves_nothing(organiser_client,
                                                                      workshop):
    item = workshop(capacity=3, title="Alter Titel")
    now = utcnow()
    confirmed(item, 1, now)
    confirmed(item, 2, now)
    mails = len(kinds())
    start = item.starts_at
    response = edit(organiser_client, item, capacity="1", title="Neuer Titel",
                    starts_at_time=local(start + timedelta(hours=1))[1],
                    ends_at_time=local(item.ends_at + timedelta(hours=1))[1])
    assert response.status_code == 422
    page = main(response.data)
    assert "2 Personen halten einen Platz" in page
    assert 'value="Neuer Titel"' in response.get_data(as_text=True)  # the input is kept
    db.session.expire_all()
    item = db.session.get(Workshop, item.id)
    assert (item.title, item.capacity, item.starts_at, item.sequence) == (
        "Alter Titel", 3, start, 0)
    assert len(kinds()) == mails
    assert audit_entries("workshop.update") == []


def _unfolded(ical: str) -> str:
    return ical.replace("\r\n ", "").replace("\n ", "")


@pytest.mark.backends
def test_time_change_sends_an_updated_invitation(organiser_client, workshop):
    item = workshop(capacity=5)
    registration = confirmed(item, 1, utcnow())
    invitation = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.registration_id == registration.id,
        OutboxMessage.ical_method == "REQUEST")).all()[-1]
    first = _unfolded(invitation.ical)
    new_start = item.starts_at + timedelta(days=1, hours=1)
    day, clock = local(new_start)
    end_day, end_clock = local(item.ends_at + timedelta(days=1, hours=1))
    response = edit(organiser_client, item, starts_at_date=day, starts_at_time=clock,
                    ends_at_date=end_day, ends_at_time=end_clock)
    assert response.status_code == 303, main(response.data)
    update = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.registration_id == registration.id).order_by(OutboxMessage.id)).all()[-1]
    assert update.kind == "workshop_changed" and update.ical_method == "REQUEST"
    changed = _unfolded(update.ical)
    uid = re.compile(r"^UID:(.+)$", re.M)
    sequence = re.compile(r"^SEQUENCE:(\d+)", re.M)
    assert uid.search(changed).group(1) == uid.search(first).group(1)
    assert int(sequence.search(changed).group(1)) > int(sequence.search(first).group(1))
    db.session.refresh(item)
    assert item.starts_at == new_start.replace(second=0, microsecond=0)
    entry, = audit_entries("workshop.update")
    assert set(entry.after) == {"starts_at", "ends_at"}


@pytest.mark.backends
def test_cancel_asks_for_a_reason_then_confirmation_then_mails_everyone(organiser_client,
                                                                        workshop):
    item = workshop(capacity=1)
    now = utcnow()
    first = confirmed(item, 1, now)
    second = seats.register(item.id, applicant(2), now=now).registration
    db.session.commit()
    url = f"/organiser/workshops/{item.id}/absagen"
    empty = post(organiser_client, url, {"reason": "  "})
    assert empty.status_code == 422 and "Bitte geben Sie einen Grund an" in main(empty.data)
    step = post(organiser_client, url, {"reason": "Die Referentin ist erkrankt."})
    assert step.status_code == 200
    assert "2 Personen werden per E-Mail informiert" in main(step.data)
    db.session.refresh(item)
    assert item.status == WorkshopStatus.published  # not yet
    done = post(organiser_client, url, {"reason": "Die Referentin ist erkrankt.",
                                        "confirmed": "1"})
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(Workshop, item.id).status == WorkshopStatus.cancelled
    assert kinds(first.id)[-1] == kinds(second.id)[-1] == "workshop_cancelled"
    entry, = audit_entries("workshop.cancel")
    assert entry.after["cancel_reason"] == "Die Referentin ist erkrankt."


def test_unpublish_is_refused_while_people_are_registered(organiser_client, workshop):
    item = workshop()
    confirmed(item, 1, utcnow())
    detail = f"/organiser/workshops/{item.id}"
    response = post(organiser_client, f"{detail}/zurueckziehen", {}, page=detail)
    assert response.status_code == 303
    assert "Bitte sagen Sie ihn ab" in main(organiser_client.get(detail).data)
    db.session.refresh(item)
    assert item.status == WorkshopStatus.published
    assert audit_entries("workshop.unpublish") == []


def test_unpublish_an_empty_workshop(organiser_client, workshop):
    item = workshop()
    detail = f"/organiser/workshops/{item.id}"
    assert post(organiser_client, f"{detail}/zurueckziehen", {}, page=detail).status_code == 303
    db.session.refresh(item)
    assert item.status == WorkshopStatus.draft
    assert audit_entries("workshop.unpublish")[0].after == {"status": "draft"}


def test_preview_shows_the_public_page_of_a_draft_only_to_organisers(organiser_client, client,
                                                                     workshop):
    item = workshop(title="Geheimer Entwurf", status=WorkshopStatus.draft)
    url = f"/organiser/workshops/{item.id}/vorschau"
    page = organiser_client.get(url)
    assert page.status_code == 200
    text = main(page.data)
    assert "Vorschau" in text and "Geheimer Entwurf" in text and "Worum es geht" in text
    assert page.headers["Cache-Control"] == "no-store"
    assert client.get(url).status_code == 303  # anonymous: to the login
    assert client.get(f"/workshops/{item.slug}").status_code == 404


def test_duplicate_moves_by_weeks_at_the_same_local_time(organiser_client, workshop):
    item = workshop(title="Format A", capacity=7, description="Gleiches Format")
    url = f"/organiser/workshops/{item.id}/duplizieren"
    response = post(organiser_client, url, {"weeks": "2", "starts_at_date": "",
                                            "starts_at_time": ""})
    assert response.status_code == 303, main(response.data)
    copy = db.session.scalars(select(Workshop).order_by(Workshop.id.desc())).first()
    assert copy.id != item.id and copy.status == WorkshopStatus.draft
    assert (copy.title, copy.capacity, copy.description, copy.theme_id) == (
        "Format A", 7, "Gleiches Format", item.theme_id)
    assert copy.slug != item.slug
    assert local(copy.starts_at)[1] == local(item.starts_at)[1]
    assert copy.ends_at - copy.starts_at == item.ends_at - item.starts_at
    assert audit_entries("workshop.duplicate")[0].before == {"source_id": item.id}


def test_duplicate_to_a_given_date(organiser_client, workshop):
    item = workshop()
    target = (utcnow() + timedelta(days=60)).date()
    response = post(organiser_client, f"/organiser/workshops/{item.id}/duplizieren",
                    {"weeks": "", "starts_at_date": target.strftime("%d.%m.%Y"),
                     "starts_at_time": "09:30"})
    assert response.status_code == 303, main(response.data)
    copy = db.session.scalars(select(Workshop).order_by(Workshop.id.desc())).first()
    assert local(copy.starts_at) == (target.isoformat(), "09:30")


@pytest.mark.parametrize("weeks", ["0", "abc", "-3", "99999999999999999999", "105"])
def test_duplicate_refuses_odd_weeks(organiser_client, workshop, weeks):
    item = workshop()
    response = post(organiser_client, f"/organiser/workshops/{item.id}/duplizieren",
                    {"weeks": weeks})
    assert response.status_code == 422
    assert "kern-error" in response.get_data(as_text=True)


def test_shifting_by_weeks_keeps_the_wall_clock_across_dst(app):
    from datetime import datetime, timezone

    before_dst = datetime(2027, 3, 23, 9, 0, tzinfo=timezone.utc)  # 10:00 CET
    after = workshop_editing.shifted(before_dst, 1)
    assert after == datetime(2027, 3, 30, 8, 0, tzinfo=timezone.utc)  # 10:00 CEST


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"title": ""}, "title", "Bitte geben Sie einen Titel an."),
    ({"title": "   \x00 "}, "title", "Bitte geben Sie einen Titel an."),
    ({"title": "x" * 201}, "title", "höchstens 200 Zeichen"),
    ({"theme_id": "99999999999999999999"}, "theme_id", "Bitte wählen Sie ein Thema."),
    ({"ends_at_time": "06:00", "starts_at_time": "10:00", "ends_at_date": ""}, "ends_at_time",
     "Das Ende muss nach dem Beginn liegen."),
    ({"capacity": "abc"}, "capacity", "ganze Zahl"),
    ({"capacity": "-1"}, "capacity", "keine negative Zahl"),
    ({"capacity": "99999999999999999999"}, "capacity", "zu groß"),
    ({"capacity": "100001"}, "capacity", "höchstens 100000"),
    ({"capacity": "1.5"}, "capacity", "ganze Zahl"),
    ({"capacity": ""}, "capacity", "ganze Zahl"),
    ({"online_url": "javascript:alert(1)"}, "online_url", "https://"),
    ({"online_url": "http://meet.example/raum"}, "online_url", "https://"),
    ({"venue_name": "", "online_url": ""}, "venue_name", "Ort oder einen Zugangslink"),
    ({"starts_at_date": "2027-02-30"}, "starts_at_date", "gültiges Datum"),
    ({"starts_at_date": "30.02.2027"}, "starts_at_date", "gültiges Datum"),
    ({"starts_at_date": ""}, "starts_at_date", "Bitte geben Sie ein Datum an."),
    ({"starts_at_time": "25:00"}, "starts_at_time", "Uhrzeit"),
    ({"starts_at_date": "2020-01-07"}, "starts_at_date", "Vergangenheit"),
    ({"registration_opens_at": "gestern"}, "registration_opens_at", "Datum und Uhrzeit"),
    ({"registration_closes_at": "2099-01-01T10:00"}, "registration_closes_at",
     "nicht nach dem Beginn"),
    ({"starts_at_date": "2099-03-29", "starts_at_time": "02:30"}, "starts_at_time",
     "Zeitumstellung"),
])
def test_form_validation_messages(organiser_client, programme, theme, fields, field, message):
    response = post(organiser_client, NEW, workshop_form(theme, **fields))
    assert response.status_code == 422, main(response.data)
    html = response.get_data(as_text=True)
    error = re.search(rf'id="{field}-fehler"[^>]*>.*?<span class="kern-body">([^<]*)</span>',
                      html, re.S)
    assert error, f"no message at {field}: {main(html)[:400]}"
    assert message in error.group(1)
    assert db.session.scalar(select(Workshop)) is None


def test_several_problems_are_shown_at_once_and_input_kept(organiser_client, programme, theme):
    response = post(organiser_client, NEW, workshop_form(
        theme, title="", capacity="viele", online_url="javascript:alert(1)", venue_name="",
        description="Ünïcødé ✓ 𝔘"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field in ("title", "capacity", "online_url"):
        assert f'id="{field}-fehler"' in html
    assert "Ünïcødé ✓ 𝔘" in html and 'value="viele"' in html


def test_online_only_workshop_and_unique_slugs(organiser_client, programme, theme):
    data = workshop_form(theme, title="Online: Sprechstunde", venue_name="", venue_address="",
                         online_url="https://meet.example/raum?x=1")
    assert post(organiser_client, NEW, data).status_code == 303
    assert post(organiser_client, NEW, data).status_code == 303
    slugs = sorted(db.session.scalars(select(Workshop.slug)))
    assert slugs == ["online-sprechstunde", "online-sprechstunde-2"]
    assert db.session.scalars(select(Workshop)).first().is_online


def test_window_defaults_come_from_the_programme(organiser_client, programme, theme):
    programme.registration_opens_days, programme.registration_closes_hours = 30, 24
    db.session.commit()
    assert post(organiser_client, NEW, workshop_form(
        theme, starts=utcnow() + timedelta(days=40))).status_code == 303
    created = db.session.scalar(select(Workshop))
    assert created.registration_opens_at == created.starts_at - timedelta(days=30)
    assert created.registration_closes_at == created.starts_at - timedelta(hours=24)


def test_create_without_programme_or_theme_explains(organiser_client, app):
    page = organiser_client.get(NEW)
    assert page.status_code == 200 and "kein Programm" in main(page.data)


# --- themes ------------------------------------------------------------------------------


def test_themes_create_rename_and_order(organiser_client, client):
    url = "/organiser/workshops/themen"
    for name in ("Wohnen", "Arbeit & Ausbildung", "Öffentliche Räume"):
        assert post(organiser_client, url, {"name": name, "description": ""}).status_code == 303
    themes_ = db.session.scalars(select(Theme).order_by(Theme.position)).all()
    assert [t.slug for t in themes_] == ["wohnen", "arbeit-ausbildung", "oeffentliche-raeume"]
    last = themes_[-1]
    response = post(organiser_client, f"{url}/{last.id}/verschieben", {"direction": "up"},
                    page=url)
    assert response.status_code == 303
    db.session.expire_all()
    order = [t.name for t in db.session.scalars(select(Theme).order_by(Theme.position))]
    assert order == ["Wohnen", "Öffentliche Räume", "Arbeit & Ausbildung"]
    move, = audit_entries("theme.move")
    assert move.before["order"] != move.after["order"]

    duplicate = post(organiser_client, url, {"name": "wohnen"})
    assert duplicate.status_code == 422 and "gibt es schon" in main(duplicate.data)
    empty = post(organiser_client, url, {"name": " "})
    assert empty.status_code == 422 and "Bitte geben Sie einen Namen an." in main(empty.data)

    rename = post(organiser_client, f"{url}/{last.id}", {"name": "Öffentlicher Raum",
                                                         "description": "Plätze, Parks"})
    assert rename.status_code == 303
    db.session.refresh(last)
    assert (last.name, last.slug) == ("Öffentlicher Raum", "oeffentliche-raeume")
    entry, = audit_entries("theme.update")
    assert entry.before == {"name": "Öffentliche Räume", "description": ""}


def test_moving_the_first_theme_up_changes_nothing(organiser_client, theme):
    url = "/organiser/workshops/themen"
    response = post(organiser_client, f"{url}/{theme.id}/verschieben", {"direction": "up"},
                    page=url)
    assert response.status_code == 303
    assert audit_entries("theme.move") == []
    odd = post(organiser_client, f"{url}/{theme.id}/verschieben", {"direction": "sideways"},
               page=url)
    assert odd.status_code == 303


# --- CSRF and access -----------------------------------------------------------------------


def test_every_form_refuses_a_post_without_csrf_token(organiser_client, workshop, theme):
    item = workshop()
    base = f"/organiser/workshops/{item.id}"
    for url in (NEW, f"{base}/bearbeiten", f"{base}/veroeffentlichen", f"{base}/zurueckziehen",
                f"{base}/duplizieren", f"{base}/absagen", "/organiser/workshops/themen",
                f"/organiser/workshops/themen/{theme.id}",
                f"/organiser/workshops/themen/{theme.id}/verschieben"):
        response = organiser_client.post(url, data={"title": "x", "name": "x", "reason": "x",
                                                    "confirmed": "1", "direction": "up"})
        assert response.status_code == 400, url
    db.session.refresh(item)
    assert item.status == WorkshopStatus.published
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.object_type.in_(("workshop", "theme")))) is None


def test_pages_render_without_inline_code(organiser_client, workshop, theme):
    item = workshop()
    confirmed(item, 1, utcnow())
    base = f"/organiser/workshops/{item.id}"
    for url in ("/organiser/workshops/", NEW, base, f"{base}/bearbeiten", f"{base}/vorschau",
                f"{base}/duplizieren", f"{base}/absagen", "/organiser/workshops/themen",
                f"/organiser/workshops/themen/{theme.id}"):
        response = organiser_client.get(url)
        assert response.status_code == 200, url
        assert scan(response.data).problems == [], url


def test_a_draft_whose_start_has_passed_is_not_published(organiser_client, workshop):
    item = workshop(status=WorkshopStatus.draft, starts_at=utcnow() - timedelta(hours=1))
    detail = f"/organiser/workshops/{item.id}"
    response = post(organiser_client, f"{detail}/veroeffentlichen", {}, page=detail)
    assert response.status_code == 303
    assert "Der Beginn liegt in der Vergangenheit" in main(organiser_client.get(detail).data)
    db.session.refresh(item)
    assert item.status == WorkshopStatus.draft and audit_entries("workshop.publish") == []


def test_a_cancelled_workshop_cannot_be_edited_or_cancelled_again(organiser_client, workshop):
    item = workshop()
    workshops.cancel_workshop(item.id, "Ausfall")
    db.session.commit()
    base = f"/organiser/workshops/{item.id}"
    for url in (f"{base}/bearbeiten", f"{base}/absagen"):
        response = organiser_client.get(url)
        assert response.status_code == 303 and response.headers["Location"] == base
    page = organiser_client.get(base)
    assert "Dieser Workshop ist abgesagt." in main(page.data) and "Ausfall" in main(page.data)
    assert scan(page.data).problems == []
