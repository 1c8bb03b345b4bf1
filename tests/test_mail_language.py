"""Each person's language in every e-mail and .ics (issue 14).

The language is taken when the person registers or submits (the page's language, or
Accept-Language in the API), kept with the registration or the contribution, and every
message to that person is written in it — subject, text, HTML and calendar file — whoever
triggers it: the person, an organiser or the worker. Organisers' own text stays as written.
Mails are read back from a real SMTP server (aiosmtpd); calendar files are parsed with
``icalendar`` and with ``vobject``. SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from events.extensions import db
from events.mail import sender
from events.models import Contribution, OutboxMessage, Registration, Theme, utcnow
from events.services import jobs, seat_admin, seats, workshops
from tests.conftest import applicant, write_mails
from tests.ical_support import vobject_events
from tests.pages_support import dated_workshops, form_data, post_form

pytestmark = pytest.mark.backends

TITLE = "Übergänge gestalten – Integrationsmanagement"
#: "Tue 12 January 2027, 10:00" (English) and "Di., 12. Januar 2027, 10:00 Uhr" (German).
ENGLISH_DATE = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} (January|February|March|"
                          r"April|May|June|July|August|September|October|November|December) "
                          r"\d{4}, \d\d:\d\d")
GERMAN_DATE = re.compile(r"\b(Mo|Di|Mi|Do|Fr|Sa|So)\., \d{1,2}\. [A-ZÄ][a-zä]+ \d{4}, "
                         r"\d\d:\d\d")


@pytest.fixture
def config_overrides(smtp_config):
    return {**smtp_config}


@pytest.fixture
def workshop(make_workshop):
    """In three weeks, 10:00–16:00 in Berlin (one day, so each time range has one date)."""
    day = (utcnow() + timedelta(days=21)).replace(hour=9, minute=0, second=0, microsecond=0)
    return dated_workshops(make_workshop)(title=TITLE, venue_name="Rathaus",
                                          venue_address="Marktplatz 1, 50667 Köln",
                                          starts_at=day)


def outbox(kind: str | None = None) -> list[OutboxMessage]:
    """The mails, once the worker has written those the rush's path reserved."""
    write_mails()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def delivered(smtp) -> list:
    """Send what is due through the real SMTP server and return the parsed messages."""
    before = len(smtp.received)
    write_mails()
    sender.send_due()
    return [received.message for received in smtp.received[before:]]


def bodies(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.walk()
            if not part.is_multipart() and part.get_content_disposition() is None}


def description(ics: str) -> str:
    """The DESCRIPTION as icalendar reads it; vobject must read the same."""
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    text = str(event["DESCRIPTION"])
    [parsed] = vobject_events(ics)
    assert parsed.description == text
    return text


def confirmed(workshop, person) -> Registration:
    """Register ``person`` through the service and confirm (a commit after each step)."""
    registration = seats.register(workshop.id, person).registration
    db.session.commit()
    seats.confirm(registration.id)
    db.session.commit()
    return registration


def register_by_page(client, workshop, n: int, language: str | None) -> Registration:
    if language:
        client.set_cookie("sprache", language)
    answer = post_form(client, f"/workshops/{workshop.slug}", form_data(n))
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    client.delete_cookie("sprache")
    return db.session.scalars(select(Registration).order_by(Registration.id.desc())).first()


def test_the_english_page_gives_english_mails_and_calendar(client, smtp, workshop):
    registration = register_by_page(client, workshop, 1, "en")
    assert registration.language == "en" and registration.participant.language == "en"

    [request] = delivered(smtp)
    assert request["Subject"] == f"Please confirm: {TITLE}"
    assert request["Content-Language"] == "en"
    parts = bodies(request)
    assert list(parts) == ["text/plain", "text/html"]
    for body in parts.values():
        assert "Dear Erika Mustermann," in body
        assert "Please confirm your registration by" in body
        assert "View, confirm or cancel your registration:" in body
        assert "Kind regards" in body
        assert TITLE in body and "Marktplatz 1, 50667 Köln" in body  # data as entered
        assert ENGLISH_DATE.search(body) and " Uhr" not in body, body
        for german in ("Guten Tag", "Bitte", "Anmeldung", "Mit freundlichen Grüßen"):
            assert german not in body, german
    assert '<html lang="en">' in parts["text/html"]

    seats.confirm(registration.id)
    db.session.commit()
    [invitation] = delivered(smtp)
    assert invitation["Subject"] == f"Registration confirmed: {TITLE}"
    text = bodies(invitation)["text/plain"]
    assert "Thank you, your participation is confirmed." in text
    [ics] = [part.get_content() for part in invitation.walk()
             if part.get_content_type() == "text/calendar"
             and part.get_content_disposition() == "attachment"]
    words = description(ics)
    assert "View or cancel your registration: http://" in words
    assert "Workshop page: http://" in words
    assert "Ihre Anmeldung" not in words and "Workshop-Seite" not in words


def test_the_german_page_gives_german_mails_and_calendar(client, smtp, workshop):
    registration = register_by_page(client, workshop, 2, None)
    assert registration.language == "de"
    [request] = delivered(smtp)
    assert request["Subject"] == f"Bitte bestätigen: {TITLE}"
    assert request["Content-Language"] == "de"
    for body in bodies(request).values():
        assert "Guten Tag Erika Mustermann," in body and "Mit freundlichen Grüßen" in body
        assert GERMAN_DATE.search(body) and " Uhr" in body
        assert "Please" not in body and "Dear" not in body
    seats.confirm(registration.id)
    db.session.commit()
    [invitation] = delivered(smtp)
    assert invitation["Subject"] == f"Anmeldung bestätigt: {TITLE}"
    ics = outbox("confirmed")[0].ical
    assert "Ihre Anmeldung ansehen oder stornieren: http://" in description(ics)


def test_registering_again_takes_the_latest_language(client, smtp, workshop):
    first = register_by_page(client, workshop, 3, None)
    again = register_by_page(client, workshop, 3, "en")
    assert again.id == first.id
    db.session.refresh(first)
    assert first.language == "en"
    [_, link] = delivered(smtp)
    assert link["Subject"] == f"Your personal link: {TITLE}"
    assert "You are already registered for this workshop." in bodies(link)["text/plain"]


def test_the_api_takes_accept_language(client, smtp, workshop):
    body = {"name": "Ada Lovelace", "email": "ada@kommune.example",
            "municipality": "Stadt Köln", "consent": True}
    path = f"/api/v1/workshops/{workshop.id}/registrations"
    english = client.post(path, json=body, headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert english.status_code == 202
    assert english.json["message"].startswith("Thank you, we have received your registration.")
    german = client.post(path, json={**body, "email": "bob@kommune.example"},
                         headers={"Accept-Language": "fr"})
    assert german.status_code == 202
    assert german.json["message"].startswith("Vielen Dank, Ihre Anmeldung ist bei uns")
    languages = dict(db.session.execute(
        select(Registration.id, Registration.language).order_by(Registration.id)).all())
    assert list(languages.values()) == ["en", "de"]
    subjects = [message["Subject"] for message in delivered(smtp)]
    assert subjects == [f"Please confirm: {TITLE}", f"Bitte bestätigen: {TITLE}"]


def test_an_organiser_cancelling_writes_to_each_in_their_language(client, smtp, workshop):
    confirmed(workshop, applicant(4, language="en"))
    confirmed(workshop, applicant(5))
    delivered(smtp)

    workshops.cancel_workshop(workshop.id, reason="Die Referentin ist erkrankt.")
    db.session.commit()
    mails = {message["To"]: message for message in delivered(smtp)}
    to_english, to_german = mails["person4@kommune.example"], mails["person5@kommune.example"]
    assert to_english["Subject"] == f"Cancelled: {TITLE}"
    assert to_german["Subject"] == f"Abgesagt: {TITLE}"
    text = bodies(to_english)["text/plain"]
    assert "Unfortunately, we have to cancel the following workshop." in text
    assert "Reason: Die Referentin ist erkrankt." in text  # the organisers' words as written
    assert "leider" not in text
    assert "Grund: Die Referentin ist erkrankt." in bodies(to_german)["text/plain"]
    cancels = {row.recipient: row.ical for row in outbox("workshop_cancelled")}
    assert cancels["person4@kommune.example"].count("METHOD:CANCEL") == 1
    assert "View or cancel your registration" in description(cancels["person4@kommune.example"])
    assert "Ihre Anmeldung ansehen" in description(cancels["person5@kommune.example"])


def test_a_change_is_told_in_each_language_with_its_dates(client, workshop):
    confirmed(workshop, applicant(6, language="en"))
    seats.register(workshop.id, applicant(7))
    db.session.commit()
    told = workshops.update_workshop(workshop.id, starts_at=workshop.starts_at + timedelta(
        days=1), venue_name="Bürgerhaus")
    db.session.commit()
    assert told[0].startswith("Zeit: ") and "Ort: Bürgerhaus (bisher Rathaus)" in told
    mails = {row.recipient: row for row in outbox("workshop_changed")}
    mine = mails["person6@kommune.example"]
    assert mine.subject == f"Changed: {TITLE}"
    assert "- Venue: Bürgerhaus (previously Rathaus)" in mine.body_text
    [time_line] = [line for line in mine.body_text.splitlines() if line.startswith("- Time: ")]
    assert len(ENGLISH_DATE.findall(time_line)) == 2 and "Uhr" not in time_line
    theirs = mails["person7@kommune.example"]
    assert "- Ort: Bürgerhaus (bisher Rathaus)" in theirs.body_text
    assert " Uhr (bisher " in theirs.body_text


def test_the_worker_reminds_in_english(client, workshop):
    confirmed(workshop, applicant(8, language="en"))
    due = workshop.starts_at - timedelta(hours=1)
    assert jobs.run_due(due)["reminded"] == 1
    db.session.commit()
    [reminder] = outbox("reminder")
    assert reminder.subject == f"Reminder: {TITLE}"
    assert reminder.language == "en"
    assert "This is a reminder of your participation" in reminder.body_text
    assert ENGLISH_DATE.search(reminder.body_text)
    assert "Workshop page:" in description(reminder.ical)


def test_the_organisers_add_a_person_in_their_last_language(client, workshop, make_workshop,
                                                            make_organiser):
    other = dated_workshops(make_workshop)(title="Anderer Workshop")
    seats.register(other.id, applicant(9, language="en"))
    db.session.commit()
    added = seat_admin.add_by_hand(workshop.id, applicant(9), "Telefonisch angemeldet",
                                   make_organiser())
    db.session.commit()
    assert added.language == "en"
    [mail] = [row for row in outbox() if row.registration_id == added.id]
    assert mail.subject == f"Registration confirmed: {TITLE}"


def test_a_contribution_submitted_in_english_is_verified_in_english(client, smtp):
    theme = Theme(slug="wohnen", name="Wohnen", position=1)
    db.session.add(theme)
    db.session.commit()
    body = {"title": "Köln: Integrationsmanagement", "municipality": "Stadt Köln",
            "federal_state": "Nordrhein-Westfalen", "body_kind": "kreisfreie_stadt",
            "themes": [theme.id], "summary": "Fallmanagement für Geflüchtete.",
            "submitter_name": "Erika", "submitter_email": "erika@koeln.example",
            "consent": True}
    answer = client.post("/api/v1/contributions", json=body, headers={"Accept-Language": "en"})
    assert answer.status_code == 202, answer.json
    assert answer.json["message"].startswith("Thank you! Please confirm your e-mail address")
    assert db.session.get(Contribution, answer.json["id"]).language == "en"
    [mail] = delivered(smtp)
    assert mail["Subject"] == "Please confirm your practice example"
    assert mail["Content-Language"] == "en"
    for body_text in bodies(mail).values():
        assert "Dear Erika," in body_text
        assert "Thank you for your practice example" in body_text
        assert "“Confirm e-mail address”" in body_text  # the button's English name
        assert "Köln: Integrationsmanagement" in body_text
        assert "Bitte" not in body_text


def test_organiser_accounts_get_the_default_language(client, make_organiser):
    from events.services import accounts

    client.set_cookie("sprache", "en")
    with client:
        client.get("/")  # an English request around the service call
        accounts.send_password_mail(make_organiser(), "organiser_reset")
    db.session.commit()
    [mail] = outbox("organiser_reset")
    assert mail.subject == "Passwort für den Praxisaustausch neu setzen"
    assert mail.language == "de" and "Guten Tag" in mail.body_text


def test_the_personal_page_changes_the_language_of_further_mails(client, workshop):
    from urllib.parse import urlsplit

    from events.services import tokens
    from tests.pages_support import csrf_token

    registration = confirmed(workshop, applicant(10))
    path = urlsplit(tokens.manage_url(registration)).path
    client.set_cookie("sprache", "en")  # reading the page in English changes nothing stored
    page = client.get(path).get_data(as_text=True)
    assert "Language of e-mails" in page and "Receive e-mails in English" in page
    assert "<span>German</span>" in page
    db.session.refresh(registration)
    assert registration.language == "de"

    refused = client.post(f"{path}/sprache", data={"csrf_token": csrf_token(client, path),
                                                   "language": "fr"})
    assert refused.status_code == 303
    assert "Please choose German or English." in client.get(path).get_data(as_text=True)
    db.session.refresh(registration)
    assert registration.language == "de"

    chosen = client.post(f"{path}/sprache", data={"csrf_token": csrf_token(client, path),
                                                  "language": "en"})
    assert chosen.status_code == 303
    assert "From now on we will write to you in English." in client.get(path).get_data(
        as_text=True)
    db.session.refresh(registration)
    assert (registration.language, registration.participant.language) == ("en", "en")
    seats.cancel(registration.id)
    db.session.commit()
    [mail] = outbox("cancelled")
    assert mail.subject == f"Cancellation confirmed: {TITLE}"
    assert "The attached calendar entry removes the event" in mail.body_text
