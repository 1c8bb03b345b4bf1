"""The worker's MIME policy (``events.mail.mime``) writes the bytes the standard library
writes, for every kind of message, only faster.

Each message is built twice with the same random boundary: once with our policy, once
with ``email.policy.SMTP`` / ``SMTPUTF8``; the bytes must be equal. Then once more with
ours, where the headers come from its caches. No database: the messages are not saved.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import random
from datetime import UTC, datetime

import pytest

from events.mail import mime
from events.models import OutboxMessage

SENDERS = [
    "Kompetenzteam Flüchtlingsmanagement <praxisaustausch@localhost>",
    ("Praxisaustausch", "noreply@praxis.example.de"),
    ("Kompetenzteam Flüchtlings- und Integrationsmanagement der Kommunalen "
     "Gemeinschaftsstelle für Verwaltungsmanagement", "team@kgst.de"),
    ('Müller, "Team" Köln', "team@koeln.de"),
]
REPLY_TO = [None, "Kompetenzteam Flüchtlings- und Integrationsmanagement <team@kgst.de>"]
RECIPIENTS = ["p1@example.de", "person@köln.de", "jürgen@example.de"]
SUBJECTS = (
    [
        "Bitte bestätigen: Unterbringung in Hamburg",
        "Einladung: Workshop Organisation",
        "  leading and trailing  ",
        "=?utf-8?q?looks_encoded?= but is not",
        "Tab\there",
        "Sehr langer Betreff mit Umlauten – Arbeitsmarktintegration, Kostenrechnung, "
        "Risikomanagement, interkulturelle Öffnung der Verwaltung in Mülheim an der Ruhr",
        "x" * 300,
    ]
    # ASCII subjects around the line length (78 with "Subject: "): the short cut's edge
    + ["s" * n for n in range(67, 72)]
    + ["word " * n for n in (13, 14)]
)
ICAL = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:{method}\r\nBEGIN:VEVENT\r\n"
        "SUMMARY:Workshop Köln\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def messages():
    bodies = [
        {"body_html": ""},
        {"body_html": "<p>Hallo Jürgen,</p>" * 40},
        {"body_html": "<p>Einladung</p>", "ical": ICAL.format(method="REQUEST"),
         "ical_method": "REQUEST"},
        {"body_html": "", "ical": ICAL.format(method="CANCEL"), "ical_method": "CANCEL"},
        {"body_html": "<p>Bescheinigung</p>", "attachment_name": "Teilnahmebescheinigung "
         "Jürgen Müller – Workshop Unterbringung in Crimmitschau.pdf",
         "attachment_type": "application/pdf", "attachment_data": b"%PDF-1.4 " * 50},
        {"body_html": "", "attachment_name": "liste.csv", "attachment_type": "text/csv",
         "attachment_data": "Name;Kommune\nJürgen;Köln\n".encode()},
    ]
    created = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    for n, (subject, body, recipient, language) in enumerate(itertools.product(
            SUBJECTS, bodies, RECIPIENTS, ["en"])):
        yield OutboxMessage(
            id=n, message_id=f"<{n}.abc@praxis.example.de>", kind="invitation",
            recipient=recipient, subject=subject, created_at=created, language=language,
            body_text=f"Guten Tag,\n\nÄnderung Nr. {n}: bitte prüfen.\n" + "Zeile\n" * 30,
            **body)


def raw(message, sender, reply_to, policies=None) -> bytes:
    saved = mime.SMTP, mime.SMTPUTF8
    if policies:
        mime.SMTP, mime.SMTPUTF8 = policies
    try:
        random.seed(f"{message.id}-{sender}-{reply_to}")  # the same MIME boundary
        return mime.envelope(message, sender, reply_to=reply_to).raw
    finally:
        mime.SMTP, mime.SMTPUTF8 = saved


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize("reply_to", REPLY_TO)
def test_the_same_bytes_as_the_standard_library(sender, reply_to):
    standard = (email.policy.SMTP, email.policy.SMTPUTF8)
    compared = 0
    for message in messages():
        expected = raw(message, sender, reply_to, standard)
        assert raw(message, sender, reply_to) == expected, message.subject
        assert raw(message, sender, reply_to) == expected  # from the caches now
        compared += 1
    assert compared == len(SUBJECTS) * 6 * len(RECIPIENTS)


def test_the_bytes_parse_back_to_what_was_queued():
    """Not only equal to the standard library's: they say what the row says."""
    message = next(m for m in messages() if m.ical and m.subject.startswith("Bitte bestätigen")
                   and m.recipient == "person@köln.de")
    parsed = email.message_from_bytes(raw(message, SENDERS[0], REPLY_TO[1]),
                                      policy=email.policy.default)
    assert parsed["Subject"] == message.subject
    assert parsed["From"].addresses[0].display_name == "Kompetenzteam Flüchtlingsmanagement"
    assert parsed["Reply-To"].addresses[0].display_name.startswith("Kompetenzteam Flücht")
    assert parsed["To"] == "person@xn--kln-sna.de"
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") \
        == message.body_text


def test_a_header_with_a_line_break_is_still_refused():
    with pytest.raises(ValueError):
        raw(OutboxMessage(id=1, message_id="<1@x>", kind="x", recipient="p@example.de",
                          subject="Betreff\r\nBcc: other@example.de", body_text="x",
                          body_html="", language="de",
                          created_at=datetime(2026, 12, 1, tzinfo=UTC)),
            SENDERS[1], None)
