"""Data-subject rights (DSGVO Art. 15, 17, 20): the export holds what the database holds;
erasure leaves no trace of the person in any table and keeps the programme's cap count;
organisers do the same on request (audited, reason required); submitters of
contributions export, erase or anonymise; every form refuses a missing CSRF token.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from events.extensions import db
from events.models import (
    AuditEntry,
    Broadcast,
    Certificate,
    OutboxMessage,
    OutboxStatus,
    Participant,
    Programme,
    Registration,
    RegistrationStatus,
    utcnow,
)
from events.services import attendance, broadcasts, certificates, seat_admin, seats, tokens
from events.services import subject_rights as rights
from tests.conftest import applicant
from tests.pages_support import csrf_token, main

S = RegistrationStatus
EMAIL = "zacharias.quernheim@kommune.example"
NAME = "Zacharias Quernheim-Ødegård"


@pytest.fixture
def config_overrides(request):
    if "smtp" in request.fixturenames:
        return request.getfixturevalue("smtp_config")
    return {}


def person(**fields):
    return applicant("z", name=NAME, email=EMAIL, municipality="Gemeinde Quernheim",
                     remarks="Bitte vegetarisch", **fields)


def register(workshop, who, confirm=False, when=None):
    registration = seats.register(workshop.id, who, now=when).registration
    db.session.commit()
    if confirm:
        seats.confirm(registration.id, now=when)
        db.session.commit()
    return registration


@pytest.fixture
def scene(app, make_programme, make_workshop, make_organiser):
    """The person: attended a past workshop (certificate, check-in by an organiser) in
    programme A; holds the last seat of a full future workshop in programme A (someone
    waits for it); waits for a seat in programme B; got an organiser's message."""
    now = utcnow()
    orga = make_organiser("admin")
    a, b = make_programme(capacity=50), make_programme(capacity=50)
    past = make_workshop(5, programme_=a, starts_at=now - timedelta(days=10))
    full = make_workshop(1, programme_=a, starts_at=now + timedelta(days=20))
    other = make_workshop(0, programme_=b, starts_at=now + timedelta(days=30))
    db.session.commit()
    when = now - timedelta(days=12)
    attended = seat_admin.add_by_hand(past.id, person(), "Telefonische Anmeldung", orga,
                                      now=when)
    db.session.commit()
    attendance.check_in(past.id, attended.id, orga, now=past.starts_at)
    db.session.commit()
    certificates.issue(attended.id, now=now, actor=orga)
    db.session.commit()
    seat = register(full, person(accessibility_needs="Rollstuhl", accessibility_consent=True),
                    confirm=True)
    waiting = register(full, applicant("w"))
    waitlisted = register(other, person())
    sent = broadcasts.send(orga, broadcasts.Draft(full.id, "confirmed", "Hinweis {name}",
                                                  "Hallo {name}, bis bald. {link}"))
    db.session.commit()
    return {"orga": orga, "a": a, "b": b, "past": past, "full": full, "other": other,
            "attended": attended, "seat": seat, "waiting": waiting, "waitlisted": waitlisted,
            "broadcast": sent}


def cap_count(programme: Programme) -> int:
    return len(seats.seat_holders(programme.id)) + db.session.get(
        Programme, programme.id).deleted_participants


# --- export -----------------------------------------------------------------------------


@pytest.mark.backends
def test_export_holds_what_the_database_holds(scene):
    participant = db.session.scalar(select(Participant).where(Participant.email == EMAIL))
    data = rights.export(participant.id)
    assert data["participant"]["email"] == EMAIL and data["participant"]["name"] == NAME
    ids = sorted(db.session.scalars(select(Registration.id).where(
        Registration.participant_id == participant.id)))
    assert [r["id"] for r in data["registrations"]] == ids
    by_id = {r["id"]: r for r in data["registrations"]}
    for registration in db.session.scalars(select(Registration).where(
            Registration.id.in_(ids))):
        row = by_id[registration.id]
        assert row["status"] == registration.status.value
        assert row["workshop"]["title"] == registration.workshop.title
        assert row["consent"]["version"] == registration.consent_version
        assert row["remarks"] == registration.remarks
    seat = by_id[scene["seat"].id]
    assert seat["accessibility_needs"] == "Rollstuhl"
    assert seat["consent"]["text"] == rights.consent_text("2026-11")
    assert "Ich bin mit der Verarbeitung meiner Angaben" in seat["consent"]["text"]
    assert by_id[scene["attended"].id]["consent"]["version"] == "organiser"
    assert set(data["consent_texts"]) == {"2026-11", "organiser"}

    mails = db.session.scalars(select(OutboxMessage).where(
        (OutboxMessage.registration_id.in_(ids)) | (OutboxMessage.recipient == EMAIL))
        .order_by(OutboxMessage.id)).all()
    assert [m["id"] for m in data["mails"]] == [m.id for m in mails]
    assert {m["kind"] for m in data["mails"]} >= {"confirmed", "waitlisted", "broadcast"}
    assert all(m["body_text"] for m in data["mails"])
    assert data["mails"][0]["subject"] == mails[0].subject

    certificate = db.session.scalar(select(Certificate))
    assert [c["code"] for c in data["certificates"]] == [certificate.code]
    assert data["check_ins"] == [{"registration_id": scene["attended"].id,
                                  "workshop_id": scene["past"].id,
                                  "attended_at": scene["attended"].attended_at.isoformat()}]
    assert data["calendar_feed"]["confirmed_workshops"] == [scene["past"].id, scene["full"].id]
    assert data["calendar_feed"]["url"].endswith(".ics")
    actions = {entry["action"] for entry in data["audit_log"]}
    assert {"registration.add", "registration.check_in"} <= actions
    json.dumps(data)  # all of it serialisable


def test_consent_file_holds_the_texts_the_form_shows(app):
    from events.web.forms import RegistrationForm

    text = rights.consent_text(app.config["CONSENT_VERSION"])
    assert text, "events/consent/<CONSENT_VERSION>.txt is missing"
    with app.test_request_context():
        form = RegistrationForm(meta={"csrf": False})
        for field in (form.consent, form.accessibility_consent):
            assert str(field.label.text) in text
    for odd in ("../config", "", None, "2026-11/../../x", "a" * 100, "\x00"):
        assert rights.consent_text(odd) is None


# --- erasure ----------------------------------------------------------------------------


def every_row_text() -> list[tuple[str, str, dict]]:
    """Every row of every table, as (table, text of the row, row)."""
    rows = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).mappings():
            values = {key: (value.decode("latin-1") if isinstance(value, bytes) else value)
                      for key, value in row.items()}
            rows.append((table.name, json.dumps(values, default=str, ensure_ascii=False),
                         dict(row)))
    return rows


def traces(*words: str) -> list[tuple[str, dict]]:
    return [(table, row) for table, text, row in every_row_text()
            if any(word in text or json.dumps(word)[1:-1] in text for word in words)]


@pytest.mark.backends
def test_erasure_leaves_no_personal_data_and_keeps_the_cap(scene):
    a, b = scene["a"], scene["b"]
    participant_id = scene["seat"].participant_id
    cap_a, cap_b = cap_count(a), cap_count(b)
    assert traces(EMAIL) and traces(NAME)

    done = rights.erase(participant_id)
    db.session.commit()

    assert sorted(done.cancelled) == sorted([scene["seat"].id, scene["waitlisted"].id])
    assert done.counted_in == [a.id]
    # A keeps counting the person (past seat), minus nothing: the freed seat went to the
    # waiting person, who now holds one; B never counted the waiting person.
    assert cap_count(a) == cap_a + 1 and cap_count(b) == cap_b
    assert db.session.get(Programme, a.id).deleted_participants == 1
    waiting = db.session.get(Registration, scene["waiting"].id)
    assert waiting.status == S.pending  # the waiting list moved up

    left = traces(EMAIL, NAME, "Gemeinde Quernheim", "Rollstuhl", "Bitte vegetarisch")
    # only the cancellation mails, unlinked, waiting to be sent
    assert left and all(table == "outbox_message" for table, _ in left), left
    for _, row in left:
        assert row["status"] == OutboxStatus.queued.value
        assert row["registration_id"] is None and row["kind"] == "cancelled"
    assert {row["ical_method"] for _, row in left} == {"CANCEL", None}
    assert db.session.scalar(select(func.count()).select_from(Participant).where(
        Participant.id == participant_id)) == 0
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
    # what the organisers wrote stays, without the person
    broadcast = db.session.get(Broadcast, scene["broadcast"].id)
    assert len(broadcast.recipients) == 1 and broadcast.recipients[0]["email"] == rights.ERASED
    check_in = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "registration.check_in"))
    assert check_in.summary.startswith(f"Check-in: {rights.ERASED}")

    with pytest.raises(Exception) as raised:
        rights.erase(participant_id)
    assert getattr(raised.value, "status", None) == 404
    db.session.rollback()


def test_cancellation_mails_go_out_after_the_person_is_gone(scene, smtp):
    from events.mail import sender

    sender.send_due()
    smtp.handler.received.clear()
    rights.erase(scene["seat"].participant_id)
    db.session.commit()
    report = sender.send_due()
    mails = [r for r in smtp.received if r.rcpt_tos == (EMAIL,)]
    assert report.sent >= 2 and len(mails) == 2
    subjects = sorted(m.message["Subject"] for m in mails)
    assert all(s.startswith("Abmeldung bestätigt") for s in subjects)


# --- the personal page ------------------------------------------------------------------


@pytest.mark.backends
def test_participant_downloads_and_erases_from_the_personal_page(client, scene):
    token = tokens.token_for(scene["seat"])
    page = main(client.get(f"/anmeldung/{token}").data)
    assert "Meine Daten herunterladen (JSON)" in page and "Alle meine Angaben löschen" in page

    download = client.get(f"/anmeldung/{token}/meine-daten.json")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"
    assert json.loads(download.data)["participant"]["email"] == EMAIL

    url = f"/anmeldung/{token}/loeschen"
    assert "Alle meine Angaben löschen" in main(client.get(url).data)
    assert client.post(url, data={"confirm": "y"}).status_code == 400  # no CSRF token
    unticked = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert unticked.status_code == 422
    assert "Bitte bestätigen Sie" in main(unticked.data)
    assert db.session.scalar(select(func.count()).select_from(Participant)) == 2

    done = client.post(url, data={"csrf_token": csrf_token(client, url), "confirm": "y"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/anmeldung/geloescht")
    assert "Ihre Angaben sind gelöscht" in main(client.get(done.headers["Location"]).data)
    db.session.expire_all()
    assert db.session.scalar(select(Participant).where(Participant.email == EMAIL)) is None
    assert client.get(f"/anmeldung/{token}").status_code == 404
    assert client.get(f"/anmeldung/{token}/meine-daten.json").status_code == 404
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "participant.erase"))
    assert entry.actor_id is None and EMAIL not in entry.summary + json.dumps(entry.after)


@pytest.mark.parametrize("token", ["99999999999999999999.abc", "1.x", "%00", "ä.ö"])
def test_hostile_tokens_are_404(client, scene, token):
    assert client.get(f"/anmeldung/{token}/meine-daten.json").status_code == 404
    assert client.get(f"/anmeldung/{token}/loeschen").status_code == 404


# --- the back office, on the person's request -------------------------------------------


@pytest.mark.backends
def test_organiser_exports_and_erases_on_request(organiser_client, scene):
    client, registration_id = organiser_client, scene["seat"].id
    page_url = f"/organiser/teilnehmende/anmeldung/{registration_id}"
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    assert "Anfrage der Person zu ihren Daten" in main(page.data)
    export_url, erase_url = page_url + "/auskunft", page_url + "/loeschen"
    assert client.post(export_url, data={"datenschutz-reason": "x"}).status_code == 400
    assert client.post(erase_url, data={"datenschutz-reason": "x",
                                        "datenschutz-confirm": "y"}).status_code == 400
    token = csrf_token(client, page_url)
    no_reason = client.post(export_url, data={"csrf_token": token})
    assert no_reason.status_code == 422 and "Bitte nennen Sie den Anlass" in main(no_reason.data)

    answer = client.post(export_url, data={"csrf_token": token,
                                           "datenschutz-reason": "Anfrage per E-Mail"})
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert json.loads(answer.data)["participant"]["email"] == EMAIL
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "participant.export"))
    assert entry.actor_id == client.organiser.id and "Anfrage per E-Mail" in entry.summary

    unticked = client.post(erase_url, data={"csrf_token": token,
                                            "datenschutz-reason": "Anfrage per Brief"})
    assert unticked.status_code == 422
    assert "Bitte bestätigen Sie die Löschung" in main(unticked.data)
    done = client.post(erase_url, data={"csrf_token": token, "datenschutz-confirm": "y",
                                        "datenschutz-reason": "Anfrage per Brief"})
    assert done.status_code == 303, main(done.data)
    db.session.expire_all()
    assert db.session.scalar(select(Participant).where(Participant.email == EMAIL)) is None
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action.like("participant.%")).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["participant.export", "participant.erase"]
    assert entries[1].actor_id == client.organiser.id
    assert all(EMAIL not in e.summary + json.dumps(e.after) and NAME not in e.summary
               for e in entries)
    assert client.post(erase_url, data={"csrf_token": token, "datenschutz-confirm": "y",
                                        "datenschutz-reason": "nochmal"}).status_code == 404


# --- submitters of contributions --------------------------------------------------------


SUBMITTER = "Quirina Ödland-Zwetschke"
SUBMITTER_EMAIL = "q.oedland@landkreis.example"


@pytest.fixture
def submission(app, make_organiser):
    from events.models import ContributionState
    from events.services import contribution_mail, contribution_moderation
    from tests.contribution_support import new_contribution

    contribution = new_contribution(
        state=ContributionState.submitted, published_at=None, submitter_name=SUBMITTER,
        submitter_email=SUBMITTER_EMAIL, contact_name=SUBMITTER,
        contact_email=SUBMITTER_EMAIL, contact_phone="0221 4711", contact_public=True)
    contribution.email_verified_at = utcnow()
    contribution_mail.verify_request(contribution)
    db.session.commit()
    contribution_moderation.publish(make_organiser(), contribution.id)
    db.session.commit()
    return contribution


def private_url(contribution) -> str:
    from events.services.contribution_links import token_for

    return f"/praxisbeispiele/link/{token_for(contribution)}"


@pytest.mark.backends
def test_submitter_exports_the_contribution(client, submission):
    url = private_url(submission)
    assert "Meine Daten herunterladen (JSON)" in main(client.get(url).data)
    answer = client.get(url + "/meine-daten.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    data = json.loads(answer.data)
    assert data["contribution"]["submitter_email"] == SUBMITTER_EMAIL
    assert data["contribution"]["contact_phone"] == "0221 4711"
    assert data["contribution"]["state"] == "published"
    kinds = [m["kind"] for m in data["mails"]]
    assert kinds == ["contribution_verify", "contribution_published"]
    assert client.get("/praxisbeispiele/link/1.falsch/meine-daten.json").status_code == 404


@pytest.mark.backends
def test_submitter_erases_the_contribution(client, submission):
    url = private_url(submission) + "/loeschen"
    assert "Anonymisieren, Beispiel behalten" in main(client.get(url).data)
    assert client.post(url, data={"confirm": "y"}).status_code == 400
    assert client.post(url, data={"csrf_token": csrf_token(client, url)}).status_code == 422
    done = client.post(url, data={"csrf_token": csrf_token(client, url), "confirm": "y"})
    assert done.status_code == 303
    assert "ist gelöscht" in main(client.get(done.headers["Location"]).data)
    db.session.expire_all()
    assert traces(SUBMITTER, SUBMITTER_EMAIL, "0221 4711") == []
    assert client.get(f"/praxisbeispiele/{submission.slug}").status_code == 404
    assert client.get(private_url(submission)).status_code == 404


@pytest.mark.backends
def test_submitter_anonymises_a_published_example(client, submission):
    slug, url = submission.slug, private_url(submission)
    form = url + "/loeschen"
    done = client.post(url + "/anonymisieren",
                       data={"csrf_token": csrf_token(client, form), "confirm": "y"})
    assert done.status_code == 303
    assert "anonymisiert" in main(client.get(done.headers["Location"]).data)
    db.session.expire_all()
    assert traces(SUBMITTER, SUBMITTER_EMAIL, "0221 4711") == []
    public = client.get(f"/praxisbeispiele/{slug}")
    assert public.status_code == 200 and SUBMITTER not in main(public.data)
    assert client.get(url).status_code == 404  # the private link ends with the person
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "contribution.anonymise"))
    assert entry is not None and entry.actor_id is None


def test_only_a_published_example_can_be_anonymised(client, submission):
    from events.models import ContributionState
    from events.services import subject_rights_contributions as contribution_rights

    submission.state = ContributionState.returned
    db.session.commit()
    url = private_url(submission)
    refused = client.post(url + "/anonymisieren",
                          data={"csrf_token": csrf_token(client, url + "/loeschen"),
                                "confirm": "y"})
    assert refused.status_code == 409
    assert "Nur veröffentlichte" in main(refused.data)
    from events.services.errors import StateConflict

    with pytest.raises(StateConflict):
        contribution_rights.anonymise(submission)


# --- the privacy page -------------------------------------------------------------------


@pytest.mark.parametrize("config_overrides", [{"RETENTION_DAYS": 90,
                                                "CONSENT_VERSION": "2026-11"}])
def test_privacy_page_lists_every_purpose_from_the_configuration(client):
    page = main(client.get("/datenschutz").data)
    for purpose in ("Anmeldungen zu Workshops", "Angaben zur Barrierefreiheit",
                    "E-Mails an Sie", "Persönlicher Kalender", "Teilnahmebescheinigungen",
                    "Praxisbeispiele und Anhänge", "Konten des Organisationsteams und Protokoll",
                    "Server-Logs"):
        assert purpose in page, purpose
    assert "90 Tage nach dem Workshop" in page and "Fassung 2026-11" in page
    assert "Art. 9 Abs. 2 lit. a DSGVO" in page and "Art. 6 Abs. 1 lit. f DSGVO" in page
    assert "persönlichen Link" in page and "vollständig löschen" in page
