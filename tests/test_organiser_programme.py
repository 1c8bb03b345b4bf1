"""Back office: programme settings (admin only) — name, cap, default window, contact."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from events.extensions import db
from events.models import AuditEntry, OutboxMessage, Programme, RegistrationStatus, utcnow
from events.services import seats
from tests.conftest import applicant, confirmed
from tests.pages_support import csrf_token, dated_workshops, main

URL = "/organiser/programm/"


@pytest.fixture
def workshop(make_workshop):
    return dated_workshops(make_workshop)


def settings(programme, **fields) -> dict:
    data = {"name": programme.name, "capacity": str(programme.capacity),
            "registration_opens_days": "", "registration_closes_hours": "0",
            "contact_name": "", "contact_email": ""}
    data.update(fields)
    return data


def save(client, data):
    return client.post(URL, data={"csrf_token": csrf_token(client, URL), **data})


def entries():
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "programme").order_by(AuditEntry.id)))


def test_only_admins_open_the_settings(admin_client, organiser_client, client, programme):
    assert admin_client.get(URL).status_code == 200
    assert organiser_client.get(URL).status_code == 403
    assert organiser_client.post(URL, data={"name": "x"}).status_code in (400, 403)
    assert client.get(URL).status_code == 303


def test_save_name_window_and_contact(admin_client, programme):
    response = save(admin_client, settings(
        programme, name="Workshopreihe Integration 2027", registration_opens_days="42",
        registration_closes_hours="24", contact_name="Kompetenzteam Köln",
        contact_email=" Team@Kommune.Example "))
    assert response.status_code == 303, main(response.data)
    db.session.refresh(programme)
    assert (programme.name, programme.registration_opens_days,
            programme.registration_closes_hours, programme.contact_name,
            programme.contact_email) == ("Workshopreihe Integration 2027", 42, 24,
                                         "Kompetenzteam Köln", "team@kommune.example")
    entry, = entries()
    assert entry.action == "programme.update"
    assert entry.after["registration_opens_days"] == 42
    assert entry.before["registration_opens_days"] is None
    page = main(admin_client.get(URL).data)
    assert "Die Einstellungen sind gespeichert." in page


@pytest.mark.backends
def test_raising_the_cap_promotes_from_the_waiting_list(admin_client, programme, workshop):
    programme.capacity = 1
    db.session.commit()
    a = workshop(capacity=5)
    confirmed(a, 1, utcnow())
    waiting = seats.register(a.id, applicant(2)).registration
    db.session.commit()
    assert waiting.status == RegistrationStatus.waitlisted
    response = save(admin_client, settings(programme, capacity="2"))
    assert response.status_code == 303, main(response.data)
    db.session.refresh(waiting)
    assert waiting.status == RegistrationStatus.pending
    kinds = db.session.scalars(select(OutboxMessage.kind).where(
        OutboxMessage.registration_id == waiting.id)).all()
    assert kinds[-1] == "promoted"
    entry, = entries()
    assert (entry.before, entry.after) == ({"capacity": 1}, {"capacity": 2})


@pytest.mark.backends
def test_cap_below_the_people_holding_a_seat_is_refused_and_nothing_saved(
        admin_client, programme, workshop):
    item = workshop(capacity=5)
    confirmed(item, 1, utcnow())
    seats.register(item.id, applicant(2))
    db.session.commit()
    programme.deleted_participants = 1
    db.session.commit()
    response = save(admin_client, settings(programme, capacity="2", name="Neuer Name"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="capacity-fehler".*mindestens 3', html, re.S)
    assert 'value="Neuer Name"' in html
    db.session.refresh(programme)
    assert (programme.capacity, programme.name) != (2, "Neuer Name")
    assert programme.capacity == 150 and entries() == []


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"name": " "}, "name", "Bitte geben Sie einen Namen an."),
    ({"capacity": "abc"}, "capacity", "ganze Zahl"),
    ({"capacity": "-1"}, "capacity", "keine negative Zahl"),
    ({"capacity": "99999999999999999999"}, "capacity", "zu groß"),
    ({"capacity": "100001"}, "capacity", "0 bis 100000"),
    ({"registration_opens_days": "731"}, "registration_opens_days", "0 bis 730"),
    ({"registration_closes_hours": "x"}, "registration_closes_hours", "ganze Zahl"),
    ({"contact_email": "kein-at"}, "contact_email", "E-Mail-Adresse"),
    ({"contact_name": "n" * 201}, "contact_name", "höchstens 200"),
])
def test_settings_validation(admin_client, programme, fields, field, message):
    response = save(admin_client, settings(programme, **fields))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    found = re.search(rf'id="{field}-fehler"[^>]*>.*?<span class="kern-body">([^<]*)</span>',
                      html, re.S)
    assert found and message in found.group(1), main(html)[:300]
    assert entries() == []


def test_first_save_creates_the_programme(admin_client):
    page = admin_client.get(URL)
    assert "Es gibt noch kein Programm" in main(page.data)
    assert 'value="150"' in page.get_data(as_text=True)  # the default cap
    response = save(admin_client, {"name": "Praxisaustausch 2027", "capacity": "150",
                                   "registration_opens_days": "", "registration_closes_hours":
                                   "", "contact_name": "", "contact_email": ""})
    assert response.status_code == 303, main(response.data)
    programme = db.session.scalar(select(Programme))
    assert (programme.slug, programme.capacity) == ("praxisaustausch-2027", 150)
    assert entries()[0].action == "programme.create"


def test_csrf_is_refused(admin_client, programme):
    response = admin_client.post(URL, data=settings(programme, capacity="1"))
    assert response.status_code == 400
    db.session.refresh(programme)
    assert programme.capacity == 150
