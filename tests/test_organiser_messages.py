"""Messages to a workshop's participants: compose, preview, send through the outbox,
delivery state per recipient (against a real SMTP server), refusals."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from events.extensions import db
from events.mail import sender
from events.models import AuditEntry, Broadcast, OutboxMessage, OutboxStatus
from events.services import seats, tokens
from tests.conftest import applicant
from tests.pages_support import csrf_token, dated_workshops, main

DIGEST = re.compile(r'name="digest" type="hidden" value="([^"]*)"')


@pytest.fixture
def config_overrides(request):
    """Tests that ask for the ``smtp`` server send to it; the others write .eml files."""
    if "smtp" in request.fixturenames:
        return request.getfixturevalue("smtp_config")
    return {}


@pytest.fixture
def workshop(make_workshop):
    return dated_workshops(make_workshop)


def register(workshop, n, confirm=False, **fields):
    registration = seats.register(workshop.id, applicant(n, **fields)).registration
    db.session.commit()
    if confirm:
        seats.confirm(registration.id)
        db.session.commit()
    return registration


@pytest.fixture
def scene(workshop):
    """Capacity 3: persons 1 and 2 confirmed, 3 pending, 4 and 5 on the waiting list."""
    ws = workshop(capacity=3, title="Sprachkurse vor Ort")
    people = {1: register(ws, 1, True, name="Jürgen Öztürk-Weiß"), 2: register(ws, 2, True),
              3: register(ws, 3), 4: register(ws, 4), 5: register(ws, 5)}
    return ws, people


def url(ws):
    return f"/organiser/nachrichten/workshop/{ws.id}"


def post(client, ws, step="preview", **data):
    token = csrf_token(client, url(ws))
    fields = {"audience": "confirmed", "subject": "Raumänderung",
              "body": "Guten Tag {name},\n\nbitte beachten Sie den neuen Raum.\n\nIhr Link: {link}"}
    fields.update(data)
    return client.post(url(ws), data={"csrf_token": token, "step": step, **fields})


def preview_and_send(client, ws, **data):
    page = post(client, ws, **data)
    assert page.status_code == 200, main(page.data)
    digest = DIGEST.search(page.get_data(as_text=True)).group(1)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      page.get_data(as_text=True)).group(1)
    fields = {"audience": "confirmed", "subject": "Raumänderung",
              "body": "Guten Tag {name},\n\nbitte beachten Sie den neuen Raum.\n\nIhr Link: {link}"}
    fields.update(data)
    return client.post(url(ws), data={"csrf_token": token, "step": "send", "digest": digest,
                                      **fields})


def outbox(kind="broadcast"):
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                   .order_by(OutboxMessage.id)))


@pytest.mark.backends
def test_message_to_the_confirmed_reaches_each_confirmed_person_once_with_own_link(
        organiser_client, scene):
    ws, people = scene
    page = post(organiser_client, ws)
    text = main(page.data)
    assert "Diese Nachricht geht an 2 Personen" in text
    assert "So sieht die E-Mail für Jürgen Öztürk-Weiß aus" in text
    assert "Guten Tag Jürgen Öztürk-Weiß" in text
    assert outbox() == []  # the preview sends nothing

    response = preview_and_send(organiser_client, ws)
    assert response.status_code == 303
    broadcast = db.session.scalar(select(Broadcast))
    assert response.headers["Location"] == f"/organiser/nachrichten/{broadcast.id}"
    messages = outbox()
    assert sorted(m.recipient for m in messages) == ["person1@kommune.example",
                                                     "person2@kommune.example"]
    for message in messages:
        registration = people[1] if message.recipient.startswith("person1") else people[2]
        assert message.broadcast_id == broadcast.id
        assert message.registration_id == registration.id
        assert message.subject == "Raumänderung"
        assert f"Guten Tag {registration.participant.name}," in message.body_text
        assert tokens.manage_url(registration) in message.body_text
        assert f'href="{tokens.manage_url(registration)}"' in message.body_html
        others = {"person1@kommune.example", "person2@kommune.example"} - {message.recipient}
        assert not any(o in message.body_text + message.body_html for o in others)
    assert broadcast.audience == "confirmed" and broadcast.subject == "Raumänderung"
    assert "{name}" in broadcast.body  # kept as written
    assert sorted((r["registration_id"], r["email"]) for r in broadcast.recipients) == [
        (people[1].id, "person1@kommune.example"), (people[2].id, "person2@kommune.example")]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "message.send"))
    assert entry.object_id == broadcast.id and entry.actor_id == organiser_client.organiser.id
    assert entry.after["recipients"] == 2

    detail = main(organiser_client.get(response.headers["Location"]).data)
    assert "Jürgen Öztürk-Weiß" in detail and "in Warteschlange" in detail
    assert "2 insgesamt: 0 zugestellt, 2 in Warteschlange, 0 fehlgeschlagen" in detail
    listing = main(organiser_client.get("/organiser/nachrichten/").data)
    assert "Raumänderung" in listing and "Sprachkurse vor Ort" in listing


def test_waitlisted_and_a_selection(organiser_client, scene, workshop):
    ws, people = scene
    assert preview_and_send(organiser_client, ws, audience="waitlisted").status_code == 303
    assert [m.registration_id for m in outbox()] == [people[4].id, people[5].id]

    elsewhere = register(workshop(title="Anderer Workshop"), 9)
    hostile = ["99999999999999999999", "abc", "-1", "", str(elsewhere.id), "١٢"]
    response = preview_and_send(organiser_client, ws, audience="selection",
                                selection=[str(people[3].id), str(people[5].id), *hostile])
    assert response.status_code == 303
    second = db.session.scalars(select(Broadcast).order_by(Broadcast.id.desc())).first()
    assert sorted(r["registration_id"] for r in second.recipients) == sorted(
        [people[3].id, people[5].id])
    assert len([m for m in outbox() if m.broadcast_id == second.id]) == 2


def test_preselected_people_from_a_link(organiser_client, scene):
    ws, people = scene
    page = organiser_client.get(f"{url(ws)}?auswahl={people[4].id}&auswahl=x")
    html = page.get_data(as_text=True)
    assert re.search(rf'value="{people[4].id}" checked', html)
    assert re.search(r'id="audience-2"[^>]*value="selection"|value="selection"[^>]*checked', html)


@pytest.mark.parametrize(("data", "message"), [
    ({"body": "Hallo {vorname}, {link}"}, "Unbekannter Platzhalter: {vorname}. Möglich sind "
                                          "nur {name} und {link}."),
    ({"subject": "Zu {Name}"}, "Unbekannter Platzhalter: {Name}"),
    ({"subject": "x" * 201}, "Der Betreff darf höchstens 200 Zeichen lang sein."),
    ({"subject": "   "}, "Bitte geben Sie einen Betreff ein."),
    ({"body": "x" * 20_001}, "Der Text darf höchstens 20.000 Zeichen lang sein (jetzt 20.001)."),
    ({"body": ""}, "Bitte geben Sie einen Text ein."),
    ({"audience": "alle"}, "Bitte wählen Sie, wer die Nachricht erhält."),
    ({"audience": "selection"}, "Bitte wählen Sie mindestens eine Person aus."),
    ({"audience": "selection", "selection": ["99999999999999999999"]},
     "Bitte wählen Sie mindestens eine Person aus."),
    ({"subject": "Betreff\r\nBcc: alle@example.org"}, "Der Betreff muss in eine Zeile passen."),
])
def test_refused_drafts_say_why_keep_the_text_and_send_nothing(organiser_client, scene,
                                                                data, message):
    ws, _ = scene
    for step in ("preview", "send"):
        response = post(organiser_client, ws, step=step, **data)
        assert response.status_code == 422
        assert message in main(response.data)
    assert "Raumänderung" in response.get_data(as_text=True) or "subject" in data
    assert outbox() == [] and db.session.scalar(select(func.count(Broadcast.id))) == 0


def test_nobody_to_write_to(organiser_client, workshop):
    ws = workshop()
    response = post(organiser_client, ws)
    assert response.status_code == 422
    assert "Dieser Workshop hat keine bestätigten Teilnehmenden." in main(response.data)
    response = post(organiser_client, ws, audience="waitlisted")
    assert "Die Warteliste dieses Workshops ist leer." in main(response.data)


def test_send_only_what_was_previewed_and_only_once(organiser_client, scene):
    ws, _ = scene
    page = post(organiser_client, ws)
    digest = DIGEST.search(page.get_data(as_text=True)).group(1)
    token = csrf_token(organiser_client, url(ws))
    changed = organiser_client.post(url(ws), data={
        "csrf_token": token, "step": "send", "digest": digest, "audience": "confirmed",
        "subject": "Raumänderung", "body": "Ein anderer Text, {name}."})
    assert changed.status_code == 200
    assert "Nichts gesendet" in main(changed.data) and outbox() == []

    fields = {"audience": "confirmed", "subject": "Raumänderung", "body": "Hallo {name}"}
    page = post(organiser_client, ws, **fields)
    digest = DIGEST.search(page.get_data(as_text=True)).group(1)
    send = {"csrf_token": token, "step": "send", "digest": digest, **fields}
    assert organiser_client.post(url(ws), data=send).status_code == 303
    again = organiser_client.post(url(ws), data=send)  # reload / second click
    assert again.status_code == 200 and "Nichts gesendet" in main(again.data)
    assert len(outbox()) == 2


def test_edit_returns_to_the_form_with_the_text(organiser_client, scene):
    ws, _ = scene
    response = post(organiser_client, ws, step="edit", body="Mein Entwurf {name}")
    assert response.status_code == 200
    assert "Mein Entwurf {name}" in response.get_data(as_text=True)
    assert "Vorschau ansehen" in main(response.data)


def test_delivery_state_after_the_real_sender_ran(organiser_client, scene, smtp):
    ws, people = scene
    sender.send_due()  # the registration mails first
    smtp.handler.received.clear()
    response = preview_and_send(organiser_client, ws, audience="waitlisted")
    assert response.status_code == 303
    report = sender.send_due()
    assert report.sent == 2
    received = {r.rcpt_tos: r.message for r in smtp.received}
    assert set(received) == {("person4@kommune.example",), ("person5@kommune.example",)}
    for (address,), message in received.items():
        assert message["To"] == address  # one person per mail, nobody else in any header
        assert "Cc" not in message and "Bcc" not in message
        registration = people[4] if address.startswith("person4") else people[5]
        assert tokens.manage_url(registration) in message.get_body(("plain",)).get_content()
    assert {m.status for m in outbox()} == {OutboxStatus.sent}
    detail = main(organiser_client.get(response.headers["Location"]).data)
    assert "2 insgesamt: 2 zugestellt, 0 in Warteschlange, 0 fehlgeschlagen" in detail


def test_a_rejected_copy_shows_failed_with_the_error(organiser_client, scene, smtp):
    ws, _ = scene
    sender.send_due()
    smtp.handler.behaviour = "reject"
    smtp.handler.reject_reply = "550 5.1.1 Postfach unbekannt"
    response = preview_and_send(organiser_client, ws)
    sender.send_due()
    detail = main(organiser_client.get(response.headers["Location"]).data)
    assert "fehlgeschlagen" in detail and "Postfach unbekannt" in detail


def test_csrf_unknown_ids_and_hostile_urls(organiser_client, scene):
    ws, _ = scene
    refused = organiser_client.post(url(ws), data={"step": "send", "audience": "confirmed",
                                                   "subject": "x", "body": "y"})
    assert refused.status_code == 400 and outbox() == []
    for path in ("/organiser/nachrichten/workshop/99999999999999999999",
                 "/organiser/nachrichten/workshop/0", "/organiser/nachrichten/12345",
                 "/organiser/nachrichten/99999999999999999999"):
        assert organiser_client.get(path).status_code == 404, path
    for query in ("?seite=99999999999999999999", "?seite=-3", "?seite=%00", "?seite=２"):
        assert organiser_client.get("/organiser/nachrichten/" + query).status_code == 200


def test_anonymous_is_sent_to_the_login(client, scene):
    ws, _ = scene
    assert client.get(url(ws)).status_code == 303
    assert client.get("/organiser/nachrichten/").status_code == 303


@pytest.mark.backends
def test_control_characters_are_refused_not_a_database_error(organiser_client, scene):
    ws, _ = scene
    for data in ({"subject": "Raum\x00"}, {"body": "Hallo\x00 {name}"}):
        for step in ("preview", "send", "edit"):
            response = post(organiser_client, ws, step=step, **data)
            assert response.status_code in (200, 422), (data, step)
    assert "Steuerzeichen" in main(post(organiser_client, ws, body="a\x00").data)
    assert outbox() == []


def test_a_copy_purged_after_the_storage_period_shows_as_deleted(organiser_client, scene):
    ws, _ = scene
    response = preview_and_send(organiser_client, ws)
    db.session.delete(outbox()[0])  # what the retention purge does with sent mail
    db.session.commit()
    detail = main(organiser_client.get(response.headers["Location"]).data)
    assert "gelöscht (Speicherfrist)" in detail
    assert "1 nach Ablauf der Speicherfrist gelöscht." in detail
