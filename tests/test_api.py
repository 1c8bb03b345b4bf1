"""JSON API v1: every endpoint and every answer it can give.

The API registers at the real 'now' (there is no clock to pass over HTTP), so
the workshops here start relative to the real time (``upcoming``).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from events.extensions import db
from events.models import (
    OutboxMessage,
    Participant,
    Registration,
    RegistrationStatus,
    Theme,
    WorkshopStatus,
    utcnow,
)
from events.services import tokens
from events.web.api_schemas import ACCEPTED_MESSAGE
from tests.api_support import INVALID_BODIES, body, upcoming
from tests.conftest import write_mails

WORKSHOP_FIELDS = {
    "id", "slug", "title", "description", "theme", "starts_at", "ends_at", "venue", "capacity",
    "seats_left", "waitlist_length", "registration_open", "registration_state",
    "registration_opens_at", "registration_closes_at", "status", "url",
}


@pytest.fixture
def workshop(make_workshop):
    """``workshop(capacity=2)``: published, starting in 14 real days, open for registration."""
    def make(capacity: int = 10, **fields):
        fields.setdefault("starts_at", upcoming())
        return make_workshop(capacity=capacity, **fields)
    return make


def post(client, workshop_id: int, data, **kwargs):
    return client.post(f"/api/v1/workshops/{workshop_id}/registrations", json=data, **kwargs)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def mail_kinds() -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"].strip()
    return error


# --- reading ----------------------------------------------------------------------------


@pytest.mark.backends
def test_list_shows_published_and_cancelled_never_drafts(client, workshop):
    later = workshop(title="Später", starts_at=upcoming(20))
    cancelled = workshop(title="Abgesagt", status=WorkshopStatus.cancelled,
                         starts_at=upcoming(10))
    workshop(title="Entwurf", status=WorkshopStatus.draft, starts_at=upcoming(5))
    response = client.get("/api/v1/workshops")
    assert response.status_code == 200
    items = response.get_json()["workshops"]
    assert [item["id"] for item in items] == [cancelled.id, later.id]  # earliest first
    assert all(set(item) == WORKSHOP_FIELDS for item in items)
    by_title = {item["title"]: item for item in items}
    assert by_title["Abgesagt"]["status"] == "cancelled"
    assert by_title["Abgesagt"]["registration_open"] is False
    assert by_title["Abgesagt"]["registration_state"] == "cancelled"
    assert by_title["Später"]["status"] == "published"
    assert by_title["Später"]["registration_open"] is True
    assert by_title["Später"]["theme"] == {"slug": "integration", "name": "Integration"}
    assert by_title["Später"]["venue"] == {"name": "Rathaus",
                                           "address": "Marktplatz 1, 50667 Köln",
                                           "online": False}
    assert by_title["Später"]["url"] == f"http://praxis.test/workshops/{later.slug}"


def test_list_filters_by_theme(client, workshop):
    other = Theme(slug="wohnen", name="Wohnen")
    db.session.add(other)
    db.session.commit()
    mine, _ = workshop(), workshop()
    mine.theme = other
    db.session.commit()
    assert [w["id"] for w in client.get("/api/v1/workshops?theme=wohnen").json["workshops"]] \
        == [mine.id]
    assert client.get("/api/v1/workshops?theme=gibt-es-nicht").json == {"workshops": []}


@pytest.mark.parametrize("starts_utc, expected_start, expected_end", [
    pytest.param(datetime(2027, 1, 12, 9, 0, tzinfo=timezone.utc),
                 "2027-01-12T10:00:00+01:00", "2027-01-12T16:00:00+01:00", id="winter"),
    pytest.param(datetime(2027, 7, 13, 8, 30, tzinfo=timezone.utc),
                 "2027-07-13T10:30:00+02:00", "2027-07-13T16:30:00+02:00", id="summer"),
])
def test_times_are_iso_8601_with_the_berlin_offset(client, make_workshop, starts_utc,
                                                  expected_start, expected_end):
    item = make_workshop(starts_at=starts_utc, hours=6)
    for answer in (client.get("/api/v1/workshops").json["workshops"][0],
                   client.get(f"/api/v1/workshops/{item.id}").json):
        assert answer["starts_at"] == expected_start
        assert answer["ends_at"] == expected_end
        assert answer["registration_closes_at"] == expected_start  # default: until the start
        assert datetime.fromisoformat(answer["starts_at"]) == starts_utc


@pytest.mark.backends
def test_availability_counts_held_seats_and_the_waiting_list(client, workshop):
    item = workshop(capacity=2)
    before = client.get(f"/api/v1/workshops/{item.id}").json
    assert (before["capacity"], before["seats_left"], before["waitlist_length"]) == (2, 2, 0)
    for n in (1, 2, 3):
        assert post(client, item.id, body(n)).status_code == 202
    after = client.get(f"/api/v1/workshops/{item.id}").json
    assert (after["seats_left"], after["waitlist_length"]) == (0, 1)
    assert after["registration_open"] is True  # a full workshop stays open: waiting list


def test_detail_of_a_published_workshop(client, workshop):
    item = workshop(capacity=3, registration_opens_at=utcnow() - timedelta(days=1))
    response = client.get(f"/api/v1/workshops/{item.id}")
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) == WORKSHOP_FIELDS
    assert (data["id"], data["slug"], data["title"]) == (item.id, item.slug, item.title)
    assert data["registration_opens_at"].endswith(("+01:00", "+02:00"))


@pytest.mark.parametrize("which", ["unknown", "draft"])
def test_detail_404_for_unknown_and_draft(client, workshop, which):
    workshop_id = 987654 if which == "unknown" else workshop(status=WorkshopStatus.draft).id
    error = assert_error(client.get(f"/api/v1/workshops/{workshop_id}"), 404, "not_found")
    assert "gibt es nicht" in error["message"]


@pytest.mark.backends
def test_programme_counts_distinct_people_holding_a_seat(client, programme, workshop):
    programme.capacity, programme.name = 5, "Workshopreihe"
    db.session.commit()
    a, b = workshop(capacity=2), workshop(capacity=5)
    assert client.get("/api/v1/programme").json == {
        "name": "Workshopreihe", "capacity": 5, "participants": 0, "places_left": 5}
    assert post(client, a.id, body(1)).status_code == 202
    # the same person (e-mail in other case and with spaces) in a second workshop
    assert post(client, b.id, body(email="  PERSON1@Kommune.example ")).status_code == 202
    assert post(client, a.id, body(2)).status_code == 202
    assert post(client, a.id, body(3)).status_code == 202  # a is full: waits, holds no seat
    assert stored_status("person3@kommune.example") == RegistrationStatus.waitlisted
    assert client.get("/api/v1/programme").json == {
        "name": "Workshopreihe", "capacity": 5, "participants": 2, "places_left": 3}


def test_programme_404_before_one_exists(client):
    error = assert_error(client.get("/api/v1/programme"), 404, "not_found")
    assert "kein Programm" in error["message"]


# --- registering ------------------------------------------------------------------------


def stored_status(email: str, workshop_id: int | None = None) -> RegistrationStatus:
    """The status in the database: the answer no longer tells it (issue 13)."""
    query = (select(Registration.status).join(Participant)
             .where(Participant.email == email))
    if workshop_id is not None:
        query = query.where(Registration.workshop_id == workshop_id)
    return db.session.scalars(query).one()


@pytest.mark.backends
def test_new_registration_is_pending_202_with_the_fixed_body(app, client, workshop):
    assert app.config.get("WTF_CSRF_ENABLED", True)  # the API is exempt, the forms are not
    item = workshop(capacity=2)
    response = post(client, item.id, body(1))
    assert response.status_code == 202
    assert response.get_json() == {"status": "accepted", "message": ACCEPTED_MESSAGE}
    assert "E-Mail" in ACCEPTED_MESSAGE
    stored = db.session.scalars(select(Registration)).one()
    assert stored.status == RegistrationStatus.pending and stored.expires_at is not None
    assert mail_kinds() == ["confirm_request"]


@pytest.mark.backends
def test_full_workshop_waitlists_and_the_mail_says_so(client, workshop):
    item = workshop(capacity=1)
    answers = [post(client, item.id, body(n)) for n in (1, 2, 3)]
    assert {(a.status_code, a.get_data()) for a in answers} == {
        (202, answers[0].get_data())}
    assert [stored_status(f"person{n}@kommune.example") for n in (1, 2, 3)] == [
        RegistrationStatus.pending, RegistrationStatus.waitlisted, RegistrationStatus.waitlisted]
    write_mails()
    assert mail_kinds() == ["confirm_request", "waitlisted", "waitlisted"]
    third = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert "Platz 2" in third.body_text


@pytest.mark.backends
def test_repeated_registration_answers_the_same_and_mails_the_link(client, workshop):
    item = workshop(capacity=1)
    first = post(client, item.id, body(1))
    post(client, item.id, body(2))
    again = post(client, item.id, body(email=" Person1@KOMMUNE.example"))
    waiting_again = post(client, item.id, body(2))
    assert first.status_code == again.status_code == waiting_again.status_code == 202
    assert first.get_data() == again.get_data() == waiting_again.get_data()
    assert count(Registration) == 2
    # the link went to the mailbox again, never into the answer
    assert mail_kinds() == ["confirm_request", "waitlisted", "link_again", "link_again"]


@pytest.mark.backends
def test_the_personal_link_never_appears_in_an_answer(client, workshop):
    item = workshop(capacity=1)
    answers = [post(client, item.id, body(1)), post(client, item.id, body(2)),
               post(client, item.id, body(1)), post(client, item.id, body(2)),
               client.get("/api/v1/workshops"), client.get(f"/api/v1/workshops/{item.id}"),
               client.get("/api/v1/programme")]
    assert [a.status_code for a in answers] == [202, 202, 202, 202, 200, 200, 200]
    secrets = []
    for registration in db.session.scalars(select(Registration)):
        token = tokens.token_for(registration)
        secrets += [token, token.partition(".")[2], registration.token_salt]
    write_mails()
    mails = " ".join(db.session.scalars(select(OutboxMessage.body_text)))
    assert all(tokens.manage_url(r) in mails for r in db.session.scalars(select(Registration)))
    for answer in answers:
        text = answer.get_data(as_text=True) + str(answer.headers)
        assert not [secret for secret in secrets if secret in text]
        assert "/anmeldung/" not in text


@pytest.mark.parametrize("data, fields", INVALID_BODIES)
def test_invalid_body_422_names_every_bad_field_in_german(client, workshop, data, fields):
    item = workshop()
    error = assert_error(post(client, item.id, data), 422, "invalid_input")
    assert error["message"] == "Bitte prüfen Sie Ihre Angaben."
    assert set(error["fields"]) == set(fields)
    for name, words in fields.items():
        assert words in error["fields"][name], (name, error["fields"][name])
    assert count(Registration) == 0 and count(OutboxMessage) == 0


def test_json_null_body_is_422(client, workshop):
    item = workshop()
    response = client.post(f"/api/v1/workshops/{item.id}/registrations", data="null",
                           content_type="application/json")
    assert assert_error(response, 422, "invalid_input")["fields"] == {
        "body": "Erwartet wird ein JSON-Objekt."}


@pytest.mark.parametrize("state, fields, words", [
    pytest.param("cancelled", {"status": WorkshopStatus.cancelled}, "abgesagt", id="cancelled"),
    pytest.param("not_yet_open", {"registration_opens_at": upcoming(2)}, "beginnt am",
                 id="not-yet-open"),
    pytest.param("closed", {"registration_closes_at": utcnow() - timedelta(hours=1)},
                 "Anmeldefrist", id="closed"),
    pytest.param("past", {"starts_at": utcnow() - timedelta(hours=1)},
                 "bereits stattgefunden", id="past"),
])
@pytest.mark.backends
def test_registration_not_open_409(client, workshop, state, fields, words):
    item = workshop(**fields)
    assert client.get(f"/api/v1/workshops/{item.id}").json["registration_state"] == state
    error = assert_error(post(client, item.id, body(1)), 409, "registration_closed")
    assert words in error["message"]
    assert "fields" not in error
    assert count(Registration) == 0 and count(OutboxMessage) == 0


@pytest.mark.parametrize("which", ["unknown", "draft"])
def test_registration_404_for_unknown_and_draft(client, workshop, which):
    workshop_id = 987654 if which == "unknown" else workshop(status=WorkshopStatus.draft).id
    assert_error(post(client, workshop_id, body(1)), 404, "not_found")
    assert count(Registration) == 0


@pytest.mark.parametrize("kwargs", [
    pytest.param({"data": {"name": "Erika", "email": "e@kommune.example"}}, id="form-data"),
    pytest.param({"data": '{"name": "Erika"}', "content_type": "text/plain"}, id="text-plain"),
    pytest.param({"data": "<name>Erika</name>", "content_type": "application/xml"}, id="xml"),
    pytest.param({}, id="no-body"),
])
def test_body_that_is_not_json_415(client, workshop, kwargs):
    item = workshop()
    response = client.post(f"/api/v1/workshops/{item.id}/registrations", **kwargs)
    error = assert_error(response, 415, "unsupported_media_type")
    assert "JSON" in error["message"]
    assert count(Registration) == 0


@pytest.mark.parametrize("raw", ['{"name": "Erika"', "{'name': 'Erika'}", "", "nicht json"])
def test_malformed_json_400(client, workshop, raw):
    item = workshop()
    response = client.post(f"/api/v1/workshops/{item.id}/registrations", data=raw,
                           content_type="application/json")
    error = assert_error(response, 400, "invalid_json")
    assert "kein gültiges JSON" in error["message"]


@pytest.mark.parametrize("request_", [
    pytest.param(("get", "/api/v1/gibt-es-nicht"), id="unknown-path"),
    pytest.param(("delete", "/api/v1/programme"), id="wrong-method"),
    pytest.param(("get", "/api/v1/workshops/keine-zahl"), id="id-not-a-number"),
])
def test_other_api_errors_are_json_too(client, request_):
    method, path = request_
    response = getattr(client, method)(path)
    assert response.status_code in (404, 405)
    assert response.is_json and set(response.json["error"]) == {"code", "message"}


# --- rate limiting ----------------------------------------------------------------------

# memory:// : counters of this app alone, whatever RATELIMIT_STORAGE_URI the shell has
LIMITED = {"RATELIMIT_ENABLED": True, "RATELIMIT_REGISTRATION": "3 per minute",
           "RATELIMIT_STORAGE_URI": "memory://"}


@pytest.mark.parametrize("config_overrides", [LIMITED], ids=["limited"])
def test_registration_posts_are_rate_limited_per_address_429(client, workshop):
    item = workshop(capacity=10)
    answers = [post(client, item.id, body(n)).status_code for n in range(1, 5)]
    assert answers == [202, 202, 202, 429]
    limited = post(client, item.id, body(9))
    error = assert_error(limited, 429, "rate_limited")
    assert "zu viele" in error["message"].lower() or "viele Anfragen" in error["message"]
    assert int(limited.headers["Retry-After"]) > 0
    assert count(Registration) == 3  # the refused ones stored nothing
    # reading is not limited, and another address has its own budget
    assert client.get("/api/v1/workshops").status_code == 200
    other = post(client, item.id, body(10), environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 202


@pytest.mark.parametrize("config_overrides", [{**LIMITED, "RATELIMIT_ENABLED": False}],
                         ids=["disabled"])
def test_no_429_when_rate_limiting_is_disabled(client, workshop):
    item = workshop(capacity=10)
    answers = [post(client, item.id, body(n)).status_code for n in range(1, 8)]
    assert answers == [202] * 7
