"""Attendee lists and the organisers' seat actions, against the real seat services.

Lists: every column, search that knows umlauts on both databases, status filter, sort by
each column, pages of 50 with a fixed number of queries, hostile parameters. Actions:
each through the lock, audited, with its mails in the outbox, and the invariants after
it (no workshop over capacity unless an admin said so, never over the programme cap, the
waiting list moves up). CSRF is refused on every action.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from events.extensions import db
from events.models import (
    SEAT_HOLDING,
    AuditEntry,
    OutboxMessage,
    Participant,
    Registration,
    RegistrationStatus,
    Workshop,
)
from events.services import attendee_lists, seat_admin, seats
from events.services.attendee_lists import ListQuery
from events.services.errors import InvalidInput, StateConflict
from tests.conftest import applicant, confirmed
from tests.pages_support import dated_workshops, main

S = RegistrationStatus
HOSTILE = ["sort=;DROP TABLE registration", "page=-1", "page=99999999999999999999",
           "page=abc", "q=%00", "q=a%00b", "q=%F0%9F%98%80%F0%9D%94%98", "q=%25_%5C",
           "status=bogus", "dir=sideways", "sort=workshop", "q=" + "x" * 5000,
           "sort=position&dir=desc&page=2"]


@pytest.fixture
def workshop(make_workshop):
    return dated_workshops(make_workshop)


def _kinds(registration) -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.kind).where(
        OutboxMessage.registration_id == registration.id).order_by(OutboxMessage.id)))


def _audit(action: str) -> AuditEntry:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.id.desc())).first()


def _holding(workshop_id: int) -> int:
    return db.session.scalar(select(func.count(Registration.id)).where(
        Registration.workshop_id == workshop_id, Registration.status.in_(SEAT_HOLDING)))


def assert_invariants(programme, allowed_over: dict[int, int] | None = None) -> None:
    """No workshop above its capacity (unless an admin's override allows ``n`` more); never
    more distinct seat holders than the programme's cap."""
    db.session.expire_all()
    for w in db.session.scalars(select(Workshop).where(Workshop.programme_id == programme.id)):
        assert _holding(w.id) <= w.capacity + (allowed_over or {}).get(w.id, 0), w.title
    assert len(seats.seat_holders(programme.id)) <= programme.capacity


def _register(workshop, n, now, **fields):
    registration = seats.register(workshop.id, applicant(n, **fields), now=now).registration
    db.session.commit()
    return registration


# --- the list ---------------------------------------------------------------------------


def test_the_list_shows_every_column_and_marks_health_data(organiser_client, workshop):
    w = workshop(capacity=1, title="Ankommen in der Kommune")
    first = seats.register(w.id, applicant(1, name="Jürgen Öztürk-Weiß", role="Sozialamt",
                                           remarks="Komme mit dem Zug",
                                           accessibility_needs="Rollstuhlplatz",
                                           accessibility_consent=True)).registration
    db.session.commit()
    seats.confirm(first.id)
    db.session.commit()
    seats.register(w.id, applicant(2, name="Bea Beispiel", municipality="Kreis Lippe"))
    db.session.commit()
    page = organiser_client.get(f"/organiser/teilnehmende/workshop/{w.id}")
    assert page.status_code == 200
    text = main(page.data)
    for expected in ("Jürgen Öztürk-Weiß", "person1@kommune.example", "Stadt Köln",
                     "Sozialamt", "Bestätigt", "Komme mit dem Zug", "Rollstuhlplatz",
                     "Gesundheitsdaten (Art. 9 DSGVO)", "Bea Beispiel", "Kreis Lippe",
                     "Warteliste", "2 Anmeldungen"):
        assert expected in text
    html = page.get_data(as_text=True)
    assert f'href="/organiser/workshops/{w.id}"' in html  # the workshop's hub
    programme_page = main(organiser_client.get("/organiser/teilnehmende/").data)
    assert "Ankommen in der Kommune" in programme_page and "Bea Beispiel" in programme_page


@pytest.mark.backends
def test_search_ignores_case_and_knows_umlauts(app, make_workshop, now):
    w = make_workshop(capacity=5)
    _register(w, 1, now, name="Jürgen Öztürk-Weiß")
    _register(w, 2, now, name="Anna Schmidt", municipality="Übach-Palenberg")
    _register(w, 3, now, name="Karl 100%_Sicher")

    def names(q):
        result = attendee_lists.page(ListQuery.from_params({"q": q}, workshop_id=w.id))
        return sorted(row.name for row in result.rows)

    assert names("öztürk") == names("ÖZTÜRK") == names("jürgen ö") == ["Jürgen Öztürk-Weiß"]
    assert names("ÜBACH") == ["Anna Schmidt"]
    assert names("PERSON3@KOMMUNE") == ["Karl 100%_Sicher"]
    assert names("100%_") == ["Karl 100%_Sicher"]  # LIKE wildcards are plain text
    assert names("%") == ["Karl 100%_Sicher"]
    assert len(names("kommune.example")) == 3
    assert names("niemand") == []


def test_status_filter_and_sort_by_each_column(organiser_client, workshop):
    w = workshop(capacity=2)
    for n, name in enumerate(["Carla", "anton", "Berta", "Dora"], start=1):
        seats.register(w.id, applicant(n, name=name))
        db.session.commit()
    url = f"/organiser/teilnehmende/workshop/{w.id}"
    text = main(organiser_client.get(f"{url}?status=waitlisted").data)
    assert "Berta" in text and "Dora" in text and "Carla" not in text
    for key in attendee_lists.SORTS:
        for direction in ("asc", "desc"):
            assert organiser_client.get(f"{url}?sort={key}&dir={direction}").status_code == 200
    page = organiser_client.get(f"{url}?sort=name&dir=desc").get_data(as_text=True)
    order = [name for name in re.findall(r">(anton|Berta|Carla|Dora)</a>", page)]
    assert order == ["Dora", "Carla", "Berta", "anton"]  # case-insensitive order
    assert 'aria-sort="descending"' in page
    query = ListQuery.from_params({"sort": "position"}, workshop_id=w.id)
    positions = [row.waitlist_position for row in attendee_lists.page(query).rows]
    assert positions == [1, 2, None, None]


def _bulk(workshop, count: int, status=S.confirmed, start: int = 0) -> None:
    """Many registrations at once, straight into the tables (a read model test)."""
    base = workshop.starts_at - timedelta(days=10)
    for n in range(start, start + count):
        person = Participant(email=f"bulk{workshop.id}-{n}@kommune.example", name=f"Person {n:04d}",
                             municipality="Stadt Köln" if n % 2 else "Kreis Lippe")
        db.session.add(Registration(
            workshop=workshop, participant=person, status=status, token_salt=f"s{n}",
            consent_version="1", consent_at=base, requested_at=base + timedelta(seconds=n)))
    db.session.commit()


@pytest.mark.backends
def test_pages_of_fifty_with_a_fixed_number_of_queries(app, organiser_client, workshop):
    small = workshop(capacity=300)
    _bulk(small, 5)
    big = workshop(capacity=300)
    _bulk(big, 200)
    _bulk(big, 60, status=S.waitlisted, start=200)

    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    organiser_client.get("/organiser/teilnehmende/")  # warm: the same work before each
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        organiser_client.get(f"/organiser/teilnehmende/workshop/{small.id}")
        few = len(statements)
        statements.clear()
        page = organiser_client.get(f"/organiser/teilnehmende/workshop/{big.id}?page=2")
        many = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert many == few <= 6, ("queries grow with the rows (N+1)", statements)
    text = main(page.data)
    assert "260 Anmeldungen" in text and "Zeilen 51 bis 100" in text
    assert "Seite 2 von 6" in text
    last = attendee_lists.page(ListQuery.from_params({"page": "6"}, workshop_id=big.id))
    assert len(last.rows) == 10 and last.pages == 6
    assert [row.waitlist_position for row in last.rows] == list(range(51, 61))
    beyond = attendee_lists.page(ListQuery.from_params({"page": "99999999999999999999"},
                                                       workshop_id=big.id))
    assert beyond.query.page == 6 and len(beyond.rows) == 10
    filtered = attendee_lists.page(ListQuery.from_params({"q": "lippe", "status": "confirmed"},
                                                         workshop_id=big.id))
    assert filtered.total == 100
    assert len(attendee_lists.all_rows(filtered.query)) == 100  # every page, for exports
    programme = main(organiser_client.get("/organiser/teilnehmende/?sort=workshop").data)
    assert "265 Anmeldungen" in programme


@pytest.mark.backends
def test_hostile_parameters_never_fail(app, organiser_client, workshop):
    w = workshop(capacity=1)
    seats.register(w.id, applicant(1, name="Jürgen Öztürk-Weiß"))
    db.session.commit()
    seats.register(w.id, applicant(2))
    db.session.commit()
    lists = (f"/organiser/teilnehmende/workshop/{w.id}", "/organiser/teilnehmende/")
    for base in lists + tuple(url.rstrip("/") + "/export" for url in lists):
        for params in HOSTILE:
            response = organiser_client.get(f"{base}?{params}&format=xlsx")
            assert response.status_code == 200, (base, params, response.status_code)
    for url in ("/organiser/teilnehmende/workshop/99999999999999999999",
                "/organiser/teilnehmende/workshop/0", "/organiser/teilnehmende/workshop/-1",
                "/organiser/teilnehmende/workshop/2147483647",
                "/organiser/teilnehmende/workshop/99999999999999999999/export",
                "/organiser/teilnehmende/anmeldung/99999999999999999999",
                "/organiser/teilnehmende/anmeldung/2147483647",
                "/organiser/teilnehmende/workshop/2147483647/hinzufuegen"):
        assert organiser_client.get(url).status_code == 404, url


def test_anonymous_visitors_see_no_list(client, workshop):
    w = workshop()
    for url in ("/organiser/teilnehmende/", f"/organiser/teilnehmende/workshop/{w.id}",
                f"/organiser/teilnehmende/workshop/{w.id}/export?format=csv"):
        response = client.get(url)
        assert response.status_code == 303 and "/organiser/login" in response.headers["Location"]


# --- the actions, as services, on both databases ---------------------------------------------


@pytest.mark.backends
def test_add_by_hand_confirms_without_opt_in_or_waitlists(app, make_workshop, make_organiser,
                                                          programme, now):
    actor = make_organiser()
    w = make_workshop(capacity=1)
    with pytest.raises(InvalidInput) as refused:
        seat_admin.add_by_hand(w.id, applicant(1, email="kaputt"), " ", actor, now=now)
    assert set(refused.value.errors) == {"email", "reason"}
    db.session.rollback()
    added = seat_admin.add_by_hand(w.id, applicant(1, name="Jürgen Öztürk-Weiß"),
                                   "Telefonische Anmeldung", actor, now=now)
    db.session.commit()
    assert added.status == S.confirmed and added.source == "organiser"
    assert _kinds(added) == ["confirmed"]
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.registration_id == added.id))
    assert message.recipient == "person1@kommune.example" and message.ical_method == "REQUEST"
    entry = _audit("registration.add")
    assert entry.actor_id == actor.id and "Telefonische Anmeldung" in entry.summary
    assert entry.after["reason"] == "Telefonische Anmeldung" and entry.before is None
    with pytest.raises(StateConflict):
        seat_admin.add_by_hand(w.id, applicant(1), "noch einmal", actor, now=now)
    db.session.rollback()
    second = seat_admin.add_by_hand(w.id, applicant(2), "Nachmeldung", actor, now=now)
    db.session.commit()
    assert second.status == S.waitlisted and _kinds(second) == ["waitlisted"]
    assert_invariants(programme)


@pytest.mark.backends
def test_confirm_and_cancel_move_the_waiting_list_up(app, make_workshop, make_organiser,
                                                     programme, now):
    actor = make_organiser()
    w = make_workshop(capacity=1)
    pending = _register(w, 1, now)
    waiting = _register(w, 2, now)
    with pytest.raises(StateConflict):
        seat_admin.confirm(waiting.id, actor, now=now)
    db.session.rollback()
    seat_admin.confirm(pending.id, actor, now=now)
    db.session.commit()
    assert pending.status == S.confirmed and _kinds(pending)[-1] == "confirmed"
    assert _audit("registration.confirm").before["status"] == "pending"
    promoted = seat_admin.cancel(pending.id, actor, "Doppelt gebucht", now=now)
    db.session.commit()
    db.session.refresh(waiting)
    assert [r.id for r in promoted] == [waiting.id] and waiting.status == S.pending
    assert _kinds(pending)[-1] == "cancelled_by_organiser"
    cancel_mail = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "cancelled_by_organiser")).one()
    assert cancel_mail.ical_method == "CANCEL"
    assert _kinds(waiting)[-1] == "promoted"
    entry = _audit("registration.cancel")
    assert entry.before["status"] == "confirmed" and entry.after["status"] == "cancelled"
    assert entry.after["promoted"] == [waiting.id]
    with pytest.raises(StateConflict):
        seat_admin.cancel(pending.id, actor, now=now)
    db.session.rollback()
    assert_invariants(programme)


@pytest.mark.backends
def test_only_an_admin_with_a_reason_exceeds_a_workshop_never_the_programme(
        app, make_workshop, make_organiser, make_programme, programme, now):
    organiser, admin = make_organiser("organiser"), make_organiser("admin")
    w = make_workshop(capacity=1)
    confirmed(w, 1, now)
    waiting = _register(w, 2, now)
    with pytest.raises(StateConflict, match="voll"):
        seat_admin.seat(waiting.id, organiser, now=now)
    db.session.rollback()
    with pytest.raises(StateConflict, match="Nur Administratorinnen"):
        seat_admin.seat(waiting.id, organiser, "bitte", exceed=True, now=now)
    db.session.rollback()
    with pytest.raises(InvalidInput) as no_reason:
        seat_admin.seat(waiting.id, admin, "", exceed=True, now=now)
    assert "reason" in no_reason.value.errors
    db.session.rollback()
    seat_admin.seat(waiting.id, admin, "Referentin der Stadt", exceed=True, now=now)
    db.session.commit()
    assert waiting.status == S.pending and _holding(w.id) == 2
    assert _kinds(waiting)[-1] == "promoted"
    entry = _audit("registration.seat")
    assert entry.after["exceeded_capacity"] is True and entry.actor_id == admin.id
    assert_invariants(programme, allowed_over={w.id: 1})

    small = make_programme(capacity=1)
    a = make_workshop(capacity=5, programme_=small)
    b = make_workshop(capacity=1, programme_=small)
    confirmed(a, 10, now)  # the one person the cap allows
    blocked = _register(a, 12, now)
    assert blocked.status == S.waitlisted
    with pytest.raises(StateConflict, match="Obergrenze des Programms"):
        seat_admin.seat(blocked.id, admin, "trotzdem", exceed=True, now=now)
    db.session.rollback()
    with pytest.raises(StateConflict, match="Obergrenze"):
        seat_admin.move(blocked.id, b.id, admin, now=now)
    db.session.rollback()
    assert_invariants(small)


@pytest.mark.backends
def test_move_frees_the_old_seat_and_sends_cancel_and_invitation(
        app, make_workshop, make_organiser, make_programme, programme, now):
    actor = make_organiser()
    old = make_workshop(capacity=1, title="Alt")
    new = make_workshop(capacity=1, title="Neu", starts_in=timedelta(days=30))
    person = confirmed(old, 1, now)
    waiting = _register(old, 2, now)
    other = make_workshop(capacity=5, programme_=make_programme())
    with pytest.raises(InvalidInput):
        seat_admin.move(person.id, other.id, actor, now=now)
    db.session.rollback()
    with pytest.raises(InvalidInput):
        seat_admin.move(person.id, old.id, actor, now=now)
    db.session.rollback()
    with pytest.raises(InvalidInput):
        seat_admin.move(person.id, 99999999999999999999, actor, now=now)
    db.session.rollback()
    moved = seat_admin.move(person.id, new.id, actor, "Terminwunsch", now=now)
    db.session.commit()
    db.session.refresh(person)
    db.session.refresh(waiting)
    assert person.status == S.cancelled
    assert moved.workshop_id == new.id and moved.status == S.confirmed
    assert moved.participant_id == person.participant_id
    assert _kinds(person)[-1] == "moved" and _kinds(moved) == ["confirmed"]
    methods = dict(db.session.execute(select(OutboxMessage.kind, OutboxMessage.ical_method)
                                      .where(OutboxMessage.kind.in_(["moved"]))).all())
    assert methods == {"moved": "CANCEL"}
    assert waiting.status == S.pending  # the freed seat went to the waiting list
    entry = _audit("registration.move")
    assert entry.after["new_registration_id"] == moved.id and entry.after["reason"]
    # the new workshop is full now: nobody else moves in
    third = confirmed(make_workshop(capacity=3), 3, now)
    with pytest.raises(StateConflict, match="kein Platz"):
        seat_admin.move(third.id, new.id, actor, now=now)
    db.session.rollback()
    assert_invariants(programme)


@pytest.mark.backends
def test_link_and_invitation_again(app, make_workshop, make_organiser, now):
    actor = make_organiser()
    w = make_workshop(capacity=1)
    seated = confirmed(w, 1, now)
    waiting = _register(w, 2, now)
    seat_admin.resend_link(waiting.id, actor, now=now)
    seat_admin.resend_invitation(seated.id, actor)
    db.session.commit()
    assert _kinds(waiting)[-1] == "link_again" and _kinds(seated)[-1] == "confirmed"
    with pytest.raises(StateConflict):
        seat_admin.resend_invitation(waiting.id, actor)
    db.session.rollback()
    assert _audit("registration.resend_link").object_id == waiting.id
    assert _audit("registration.resend_invitation").object_id == seated.id


# --- the actions through the pages ---------------------------------------------------------


def _token(client, url):
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get(url).get_data(as_text=True))
    assert match, url
    return match.group(1)


def test_every_action_refuses_a_post_without_csrf_token(organiser_client, workshop):
    w = workshop(capacity=1)
    registration = seats.register(w.id, applicant(1)).registration
    db.session.commit()
    base = f"/organiser/teilnehmende/anmeldung/{registration.id}"
    for path in ("/bestaetigen", "/stornieren", "/platz", "/verlegen", "/link", "/einladung"):
        assert organiser_client.post(base + path, data={}).status_code == 400, path
    add = f"/organiser/teilnehmende/workshop/{w.id}/hinzufuegen"
    assert organiser_client.post(add, data={"name": "X", "email": "x@y.example",
                                            "municipality": "K", "reason": "r"}).status_code == 400
    db.session.refresh(registration)
    assert registration.status == S.pending
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action.like("registration.%"))) == 0


def test_add_page_shows_errors_at_the_fields_then_adds(organiser_client, workshop):
    w = workshop(capacity=3)
    url = f"/organiser/teilnehmende/workshop/{w.id}/hinzufuegen"
    token = _token(organiser_client, url)
    refused = organiser_client.post(url, data={"csrf_token": token, "name": "Jürgen",
                                               "email": "nein", "municipality": ""})
    assert refused.status_code == 422
    text = main(refused.data)
    assert "gültige E-Mail-Adresse" in text and "Begründung" in text
    assert 'value="Jürgen"' in refused.get_data(as_text=True)  # what was typed stays
    done = organiser_client.post(url, data={
        "csrf_token": token, "name": "Jürgen Öztürk-Weiß", "email": "jw@kommune.example",
        "municipality": "Stadt Köln", "reason": "Anmeldung per Telefon"})
    assert done.status_code == 303
    page = main(organiser_client.get(done.headers["Location"]).data)
    assert "Jürgen Öztürk-Weiß ist hinzugefügt: Bestätigt." in page
    again = organiser_client.post(url, data={
        "csrf_token": token, "name": "Jürgen Öztürk-Weiß", "email": "JW@kommune.example",
        "municipality": "Stadt Köln", "reason": "doppelt"})
    assert again.status_code == 409 and "schon angemeldet" in main(again.data)


def test_seat_override_through_the_page_follows_the_role(app, organiser_client, admin_client,
                                                          workshop):
    w = workshop(capacity=1)
    seats.register(w.id, applicant(1))
    db.session.commit()
    waiting = seats.register(w.id, applicant(2)).registration
    db.session.commit()
    url = f"/organiser/teilnehmende/anmeldung/{waiting.id}"
    page = organiser_client.get(url).get_data(as_text=True)
    assert "Kapazität des Workshops überschreiten" not in page  # no box for the role
    token = _token(organiser_client, url)
    refused = organiser_client.post(url + "/platz", data={
        "csrf_token": token, "platz-exceed": "y", "platz-reason": "bitte"})
    assert refused.status_code == 303
    assert "Nur Administratorinnen" in main(organiser_client.get(url).data)
    assert "Kapazität des Workshops überschreiten" in admin_client.get(url).get_data(
        as_text=True)
    token = _token(admin_client, url)
    no_reason = admin_client.post(url + "/platz", data={"csrf_token": token,
                                                        "platz-exceed": "y"})
    assert no_reason.status_code == 422 and "Begründung" in main(no_reason.data)
    done = admin_client.post(url + "/platz", data={
        "csrf_token": token, "platz-exceed": "y", "platz-reason": "Referent"})
    assert done.status_code == 303
    db.session.refresh(waiting)
    assert waiting.status == S.pending and _holding(w.id) == 2


def test_confirm_move_resend_and_cancel_through_the_pages(organiser_client, workshop):
    a = workshop(capacity=2, title="Erster Termin")
    b = workshop(capacity=2, title="Zweiter Termin", starts_in=timedelta(days=40))
    registration = seats.register(a.id, applicant(1)).registration
    db.session.commit()
    url = f"/organiser/teilnehmende/anmeldung/{registration.id}"
    token = _token(organiser_client, url)
    assert organiser_client.post(url + "/bestaetigen",
                                 data={"csrf_token": token}).status_code == 303
    assert "Die Anmeldung ist bestätigt" in main(organiser_client.get(url).data)
    for path in ("/link", "/einladung"):
        assert organiser_client.post(url + path, data={"csrf_token": token}).status_code == 303
    bad = organiser_client.post(url + "/verlegen", data={
        "csrf_token": token, "verlegen-target": "99999999999999999999"})
    assert bad.status_code == 422 and "Bitte wählen Sie" in main(bad.data)
    moved = organiser_client.post(url + "/verlegen", data={
        "csrf_token": token, "verlegen-target": str(b.id), "verlegen-reason": "Wunsch"})
    assert moved.status_code == 303
    new_url = moved.headers["Location"]
    assert new_url != url
    text = main(organiser_client.get(new_url).data)
    assert "Zweiter Termin" in text and "Bestätigt" in text
    token = _token(organiser_client, new_url)
    assert organiser_client.post(new_url + "/stornieren", data={
        "csrf_token": token, "storno-reason": "abgesagt"}).status_code == 303
    assert "storniert" in main(organiser_client.get(new_url).data)
    again = organiser_client.post(new_url + "/stornieren", data={"csrf_token": token})
    assert again.status_code == 303
    assert "bereits beendet" in main(organiser_client.get(new_url).data)


def test_pages_have_no_inline_code_and_sort_statuses_by_meaning(organiser_client, workshop):
    """Strict CSP: no inline script, style or handler on any attendee page."""
    from tests.pages_support import scan

    w = workshop(capacity=1)
    waiting_first = seats.register(w.id, applicant(1)).registration
    db.session.commit()
    seats.cancel(waiting_first.id)
    db.session.commit()
    seats.register(w.id, applicant(2))
    db.session.commit()
    waiting = seats.register(w.id, applicant(3)).registration
    db.session.commit()
    for url in ("/organiser/teilnehmende/", f"/organiser/teilnehmende/workshop/{w.id}",
                f"/organiser/teilnehmende/workshop/{w.id}/hinzufuegen",
                f"/organiser/teilnehmende/anmeldung/{waiting.id}",
                f"/organiser/teilnehmende/anmeldung/{waiting_first.id}"):
        page = organiser_client.get(url)
        assert page.status_code == 200, url
        assert scan(page.data).problems == [], url
    query = ListQuery.from_params({"sort": "status"}, workshop_id=w.id)
    assert [row.status for row in attendee_lists.page(query).rows] == [
        S.pending, S.waitlisted, S.cancelled]
