"""Invitations, updates and cancellations as real e-mails, captured from aiosmtpd on loopback.

The participant's copy of the event keeps one UID for ever; every new version
(update, cancellation, a new confirmation after one) has a higher SEQUENCE.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from events.extensions import db
from events.mail import sender
from events.models import Programme, Registration, Workshop
from events.models import RegistrationStatus as S
from events.services import seats, workshops
from events.services.errors import InvalidInput, StateConflict
from tests.conftest import applicant
from tests.ical_support import (
    calendar_parts,
    calendar_text,
    icaljs,
    unfolded_lines,
    vobject_events,
)
from tests.smtp_support import SmtpServer

pytestmark = pytest.mark.backends


@pytest.fixture
def config_overrides(smtp_config):
    return smtp_config


class Mailbox:
    """What the SMTP server received, read after each delivery round."""

    def __init__(self, smtp: SmtpServer):
        self.smtp = smtp
        self.seen = 0

    def deliver(self) -> list:
        report = sender.send_due()
        assert not report.errors, report.errors
        new = [item.message for item in self.smtp.received[self.seen:]]
        self.seen = len(self.smtp.received)
        return new

    def one(self, subject_start: str, to: str | None = None):
        matches = [m for m in (item.message for item in self.smtp.received)
                   if m["Subject"].startswith(subject_start) and (to is None or m["To"] == to)]
        assert len(matches) == 1, [m["Subject"] for m in matches]
        return matches[0]


@pytest.fixture
def mailbox(smtp):
    return Mailbox(smtp)


def register(workshop, n, now):
    result = seats.register(workshop.id, applicant(n), now=now)
    db.session.commit()
    return result.registration


def confirm(registration, now):
    seats.confirm(registration.id, now=now)
    db.session.commit()


def calendar_of(message, method: str) -> str:
    """The calendar of a meeting e-mail; inline part and attachment are the same text."""
    inline, attachment = calendar_parts(message, method)
    text = calendar_text(inline)
    assert calendar_text(attachment) == text
    assert f"METHOD:{method}" in unfolded_lines(text)
    return text


def method_of(message) -> str:
    """The method= parameter of the e-mail's text/calendar part."""
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"
               and p.get_content_disposition() is None]
    return part.get_param("method")


def event_of(text: str):
    (event,) = vobject_events(text)
    return event


def test_confirmation_sends_a_meeting_request(make_workshop, now, mailbox):
    workshop = make_workshop()
    registration = register(workshop, 1, now)
    confirm(registration, now)
    messages = mailbox.deliver()
    assert [m["Subject"].split(":")[0] for m in messages] == ["Bitte bestätigen",
                                                              "Anmeldung bestätigt"]
    request_mail = messages[0]
    assert request_mail.get_content_type() == "multipart/alternative"  # no calendar yet
    invitation = messages[1]
    text = calendar_of(invitation, "REQUEST")
    _, attachment = calendar_parts(invitation, "REQUEST")
    assert attachment.get_filename() == "invite.ics"
    event = event_of(text)
    assert (event.method, event.uid, event.status) == (
        "REQUEST", f"registration-{registration.id}@praxis.test", "CONFIRMED")
    assert event.attendees[0][0] == "mailto:person1@kommune.example"
    assert event.attendees[0][1]["RSVP"] == ["FALSE"]
    assert "Kalendereintrag" in invitation.get_body(("plain",)).get_content()


def test_invite_update_cancel_same_uid_rising_sequence(make_workshop, now, mailbox, tmp_path):
    workshop = make_workshop(starts_at=datetime(2027, 3, 2, 9, tzinfo=timezone.utc))
    registration = register(workshop, 1, now)
    confirm(registration, now)
    mailbox.deliver()
    invite = calendar_of(mailbox.one("Anmeldung bestätigt"), "REQUEST")

    changes = workshops.update_workshop(
        workshop.id, starts_at=datetime(2027, 3, 3, 12, tzinfo=timezone.utc),
        venue_name="Bürgerhaus Süd", now=now)
    db.session.commit()
    assert changes[0].startswith("Zeit: Mi., 3. März 2027, 13:00–19:00 Uhr (bisher Di., "
                                 "2. März 2027, 10:00–16:00 Uhr)")
    assert "Ort: Bürgerhaus Süd (bisher Rathaus)" in changes
    mailbox.deliver()
    update_mail = mailbox.one("Geändert")
    update = calendar_of(update_mail, "REQUEST")
    body = update_mail.get_body(("plain",)).get_content()
    assert "Zeit: Mi., 3. März 2027, 13:00–19:00 Uhr" in body
    assert "Ort: Bürgerhaus Süd (bisher Rathaus)" in body
    assert "aktualisierten Kalendereintrag" in body

    seats.cancel(registration.id, now=now)
    db.session.commit()
    mailbox.deliver()
    cancel_mail = mailbox.one("Abmeldung bestätigt")
    cancel = calendar_of(cancel_mail, "CANCEL")
    assert calendar_parts(cancel_mail, "CANCEL")[1].get_filename().endswith(".ics")

    events = [event_of(text) for text in (invite, update, cancel)]
    assert len({event.uid for event in events}) == 1
    assert events[0].sequence < events[1].sequence < events[2].sequence
    assert [event.method for event in events] == ["REQUEST", "REQUEST", "CANCEL"]
    assert [event.status for event in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert events[1].location.startswith("Bürgerhaus Süd")
    parsed = icaljs({"invite": invite, "update": update, "cancel": cancel}, tmp_path)
    assert [parsed[n]["method"] for n in ("invite", "update", "cancel")] == [
        "REQUEST", "REQUEST", "CANCEL"]
    assert [parsed[n]["events"][0]["sequence"] for n in ("invite", "update", "cancel")] == [
        event.sequence for event in events]
    assert parsed["update"]["events"][0]["start"]["local"] == "2027-03-03T13:00:00"


def test_workshop_cancellation_withdraws_confirmed_copies(make_workshop, now, mailbox):
    workshop = make_workshop(capacity=2)
    confirmed = register(workshop, 1, now)
    confirm(confirmed, now)
    register(workshop, 2, now)  # pending
    register(workshop, 3, now)  # waitlisted
    mailbox.deliver()
    workshops.cancel_workshop(workshop.id, "Die Referentin ist erkrankt.", now=now)
    db.session.commit()
    mailbox.deliver()
    first = mailbox.one("Abgesagt", to="person1@kommune.example")
    event = event_of(calendar_of(first, "CANCEL"))
    assert event.uid == confirmed.ical_uid and event.status == "CANCELLED"
    assert "Kalender" in first.get_body(("plain",)).get_content()
    for n in (2, 3):  # never invited: nothing to withdraw
        other = mailbox.one("Abgesagt", to=f"person{n}@kommune.example")
        assert other.get_content_type() == "multipart/alternative"
        assert "Die Referentin ist erkrankt." in other.get_body(("plain",)).get_content()


def test_promoted_person_is_invited_when_confirming(make_workshop, now, mailbox):
    workshop = make_workshop(capacity=1)
    first = register(workshop, 1, now)
    second = register(workshop, 2, now + timedelta(seconds=1))
    seats.cancel(first.id, now=now)  # pending: no calendar to withdraw
    db.session.commit()
    mailbox.deliver()
    promoted = mailbox.one("Ein Platz ist frei geworden")
    assert promoted.get_content_type() == "multipart/alternative"
    assert mailbox.one("Abmeldung bestätigt").get_content_type() == "multipart/alternative"
    confirm(second, now)
    mailbox.deliver()
    invite = mailbox.one("Anmeldung bestätigt", to="person2@kommune.example")
    assert event_of(calendar_of(invite, "REQUEST")).uid == second.ical_uid


def test_registering_again_after_cancelling_keeps_uid_with_higher_sequence(
        make_workshop, now, mailbox):
    workshop = make_workshop()
    registration = register(workshop, 1, now)
    confirm(registration, now)
    seats.cancel(registration.id, now=now)
    db.session.commit()
    again = register(workshop, 1, now + timedelta(minutes=1))
    assert again.id == registration.id
    confirm(again, now + timedelta(minutes=1))
    mailbox.deliver()
    invites = [event_of(calendar_of(m, method_of(m)))
               for m in (item.message for item in mailbox.smtp.received)
               if m.get_content_type() == "multipart/mixed"]
    assert [(e.method, e.uid) for e in invites] == [
        ("REQUEST", registration.ical_uid), ("CANCEL", registration.ical_uid),
        ("REQUEST", registration.ical_uid)]
    assert invites[0].sequence < invites[1].sequence < invites[2].sequence


def test_update_tells_pending_and_waitlisted_without_calendar_and_link(make_workshop, now,
                                                                        mailbox):
    workshop = make_workshop(capacity=2, venue_name="", venue_address="",
                             online_url="https://konferenz.example/alt")
    confirm(register(workshop, 1, now), now)
    register(workshop, 2, now)
    register(workshop, 3, now)
    mailbox.deliver()
    workshops.update_workshop(workshop.id, starts_at=workshop.starts_at + timedelta(hours=1),
                              online_url="https://konferenz.example/neu", now=now)
    db.session.commit()
    mailbox.deliver()
    confirmed_mail = mailbox.one("Geändert", to="person1@kommune.example")
    update = calendar_of(confirmed_mail, "REQUEST")
    assert "https://konferenz.example/neu" in update.replace("\r\n ", "")
    assert "https://konferenz.example/neu" in confirmed_mail.get_body(("plain",)).get_content()
    for n in (2, 3):
        other = mailbox.one("Geändert", to=f"person{n}@kommune.example")
        assert other.get_content_type() == "multipart/alternative"
        body = other.get_body(("plain",)).get_content()
        assert "Zeit:" in body and "konferenz.example" not in body


def test_update_bumps_versions_and_rearms_reminders(app, make_workshop, now):
    workshop = make_workshop()
    registration = register(workshop, 1, now)
    confirm(registration, now)
    registration.reminder_sent_at = now
    db.session.commit()
    programme = db.session.get(Programme, workshop.programme_id)
    version, sequence = programme.feed_version, workshop.sequence
    workshops.update_workshop(workshop.id, starts_at=workshop.starts_at + timedelta(days=7))
    db.session.commit()
    db.session.refresh(programme)
    db.session.refresh(workshop)
    assert programme.feed_version == version + 1 and workshop.sequence == sequence + 1
    assert db.session.get(Registration, registration.id).reminder_sent_at is None
    assert workshop.ends_at - workshop.starts_at == timedelta(hours=6)  # duration kept


def test_description_alone_bumps_the_feed_but_mails_nobody(make_workshop, now, mailbox):
    workshop = make_workshop()
    confirm(register(workshop, 1, now), now)
    mailbox.deliver()
    version = db.session.get(Programme, workshop.programme_id).feed_version
    assert workshops.update_workshop(workshop.id, description="Neu") == ["Beschreibung geändert"]
    db.session.commit()
    assert mailbox.deliver() == []
    assert db.session.get(Programme, workshop.programme_id).feed_version == version + 1
    # nothing changed at all: nothing bumped
    assert workshops.update_workshop(workshop.id, description="Neu", venue_name="Rathaus") == []


@pytest.mark.parametrize("fields, key", [
    ({"starts_at": datetime(2027, 3, 2, 10)}, "starts_at"),
    ({"ends_at": datetime(2027, 1, 1, tzinfo=timezone.utc)}, "ends_at"),
    ({"title": "  "}, "title"),
])
def test_update_rejects_bad_input(make_workshop, fields, key):
    workshop = make_workshop()
    with pytest.raises(InvalidInput) as caught:
        workshops.update_workshop(workshop.id, **fields)
    db.session.rollback()
    assert key in caught.value.errors


def test_cancelled_workshop_cannot_be_updated(make_workshop, now):
    workshop = make_workshop()
    workshops.cancel_workshop(workshop.id, now=now)
    db.session.commit()
    with pytest.raises(StateConflict):
        workshops.update_workshop(workshop.id, venue_name="Anderswo")
    db.session.rollback()


def test_cli_update_reads_naive_times_as_berlin_and_mails(runner, make_workshop, now, mailbox):
    workshop = make_workshop()
    confirm(register(workshop, 1, now), now)
    mailbox.deliver()
    result = runner.invoke(args=["workshop", "update", str(workshop.id), "--starts-at",
                                 "2027-07-13T09:30", "--ends-at", "2027-07-13T15:00",
                                 "--venue", "Neues Rathaus"])
    assert result.exit_code == 0, result.output
    assert "Zeit: Di., 13. Juli 2027, 09:30–15:00 Uhr" in result.output
    stored = db.session.execute(select(Workshop).where(Workshop.id == workshop.id)
                                .execution_options(populate_existing=True)).scalar_one()
    assert stored.starts_at == datetime(2027, 7, 13, 7, 30, tzinfo=timezone.utc)  # CEST
    result = runner.invoke(args=["workshop", "update", str(workshop.id), "--starts-at",
                                 "2027-01-20T09:30"])
    assert result.exit_code == 0, result.output
    db.session.refresh(stored)
    assert stored.starts_at == datetime(2027, 1, 20, 8, 30, tzinfo=timezone.utc)  # CET
    assert stored.ends_at - stored.starts_at == timedelta(hours=5, minutes=30)
    mailbox.deliver()
    sequences = [event_of(calendar_of(m, "REQUEST")).sequence
                 for m in (item.message for item in mailbox.smtp.received)
                 if m["Subject"].startswith(("Anmeldung bestätigt", "Geändert"))]
    assert len(sequences) == 3 and sequences == sorted(set(sequences))


def test_cli_update_refuses_bad_times_in_german(runner, make_workshop):
    workshop = make_workshop()
    result = runner.invoke(args=["workshop", "update", str(workshop.id), "--starts-at",
                                 "nächsten Dienstag"])
    assert result.exit_code != 0 and "keine Zeit im Format" in result.output
    result = runner.invoke(args=["workshop", "update", str(workshop.id), "--starts-at",
                                 "2027-01-20T10:00", "--ends-at", "2027-01-20T09:00"])
    assert result.exit_code == 1 and "Das Ende muss nach dem Beginn liegen." in result.output


def test_cli_cancel_withdraws_the_invitations(runner, make_workshop, now, mailbox):
    workshop = make_workshop()
    registration = register(workshop, 1, now)
    confirm(registration, now)
    result = runner.invoke(args=["workshop", "cancel", str(workshop.id), "--reason",
                                 "Raum nicht verfügbar"])
    assert result.exit_code == 0, result.output
    mailbox.deliver()
    event = event_of(calendar_of(mailbox.one("Abgesagt"), "CANCEL"))
    assert event.uid == registration.ical_uid and event.status == "CANCELLED"
    assert db.session.get(Registration, registration.id).status == S.cancelled
