"""Messages from the organisers to a workshop's participants: check, preview, send.

A message goes to all confirmed, all waitlisted, or a selection of the workshop's
active registrations. Subject and text may hold the placeholders ``{name}`` and
``{link}`` (the person's own link); they are filled per person with a plain
search-and-replace, never ``str.format`` on what an organiser typed. Sending adds
one outbox row per person (kind ``broadcast``, no list of addresses anywhere in a
mail), a ``Broadcast`` row with the recipients at the time, and an audit entry,
all to the caller's transaction (no commit here).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from flask import current_app, render_template
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from events import formatting
from events.extensions import db
from events.locales import in_language
from events.mail.outbox import enqueue
from events.models import (
    Broadcast,
    Organiser,
    Participant,
    Registration,
    RegistrationStatus,
    Workshop,
)
from events.services import audit, tokens
from events.services.errors import InvalidInput, NotFound

S = RegistrationStatus
#: Placeholder → what it stands for (shown on the form).
PLACEHOLDERS = {"name": "Vor- und Nachname", "link": "persönlicher Link zur Anmeldung"}
#: Audiences an organiser may choose; other ``Broadcast.audience`` values (such as
#: ``certificates``) are written by other services.
AUDIENCES = ("confirmed", "waitlisted", "selection")
#: Registrations a message may go to (the "active" ones).
ACTIVE = (S.pending, S.confirmed, S.waitlisted)
SUBJECT_MAX = 200
BODY_MAX = 20_000
#: Largest id the database's integer column holds; bigger numbers cannot be ours.
MAX_ID = 2**31 - 1
_PLACEHOLDER = re.compile(r"\{([^{}\n]{0,60})\}")
KIND = "broadcast"


@dataclass(frozen=True)
class Draft:
    """What the organiser wrote, before sending."""

    workshop_id: int
    audience: str
    subject: str
    body: str
    selection: tuple[int, ...] = ()

    def digest(self) -> str:
        """A fingerprint of the draft: the send step must send what the preview showed."""
        data = json.dumps([self.workshop_id, self.audience, self.subject, self.body,
                           sorted(self.selection)], ensure_ascii=False)
        return hashlib.sha256(data.encode()).hexdigest()


@dataclass(frozen=True)
class Preview:
    workshop: Workshop
    recipients: list[Registration]
    subject: str
    body: str
    first: Registration = field(repr=False)

    @property
    def count(self) -> int:
        return len(self.recipients)


def parse_ids(values: list[str] | tuple[str, ...]) -> tuple[int, ...]:
    """Registration ids from form values; anything not a plausible id is dropped."""
    ids = set()
    for value in values:
        value = (value or "").strip()
        if value.isascii() and value.isdigit() and len(value) <= 10 and 0 < int(value) <= MAX_ID:
            ids.add(int(value))
    return tuple(sorted(ids))


def workshop_or_404(workshop_id: int) -> Workshop:
    """The workshop; ``NotFound`` for unknown (or absurdly large) ids."""
    workshop = db.session.get(Workshop, workshop_id) if 0 < workshop_id <= MAX_ID else None
    if workshop is None:
        raise NotFound()
    return workshop


def workshop_choices() -> list[tuple[Workshop, int, int]]:
    """Every workshop with its confirmed and waitlisted count (one query), by date."""
    confirmed = func.sum(case((Registration.status == S.confirmed, 1), else_=0))
    waiting = func.sum(case((Registration.status == S.waitlisted, 1), else_=0))
    rows = db.session.execute(
        select(Workshop, func.coalesce(confirmed, 0), func.coalesce(waiting, 0))
        .outerjoin(Registration, Registration.workshop_id == Workshop.id)
        .group_by(Workshop.id).order_by(Workshop.starts_at, Workshop.id))
    return [(workshop, int(c), int(w)) for workshop, c, w in rows]


def candidates(workshop_id: int) -> list[Registration]:
    """The workshop's active registrations (the selection's choices), by name."""
    return list(db.session.scalars(
        select(Registration).join(Participant, Participant.id == Registration.participant_id)
        .options(joinedload(Registration.participant))
        .where(Registration.workshop_id == workshop_id, Registration.status.in_(ACTIVE))
        .order_by(Participant.name, Registration.id)))


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders in ``text`` that we cannot fill, in order of appearance."""
    seen: list[str] = []
    for match in _PLACEHOLDER.finditer(text):
        if match.group(1) not in PLACEHOLDERS and match.group(0) not in seen:
            seen.append(match.group(0))
    return seen


def check(draft: Draft) -> None:
    """Raise ``InvalidInput`` (German, per field) for what cannot be sent as written."""
    errors: dict[str, str] = {}
    if draft.audience not in AUDIENCES:
        errors["audience"] = _("Bitte wählen Sie, wer die Nachricht erhält.")
    elif draft.audience == "selection" and not draft.selection:
        errors["selection"] = _("Bitte wählen Sie mindestens eine Person aus.")
    subject = draft.subject.strip()
    if not subject:
        errors["subject"] = _("Bitte geben Sie einen Betreff ein.")
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = _("Der Betreff darf höchstens %(n)d Zeichen lang sein.",
                              n=SUBJECT_MAX)
    elif "\r" in subject or "\n" in subject:
        errors["subject"] = _("Der Betreff muss in eine Zeile passen.")
    if not draft.body.strip():
        errors["body"] = _("Bitte geben Sie einen Text ein.")
    elif len(draft.body) > BODY_MAX:
        errors["body"] = _("Der Text darf höchstens %(n)s Zeichen lang sein (jetzt %(now)s).",
                           n=_thousands(BODY_MAX), now=_thousands(len(draft.body)))
    for key, text in (("subject", subject), ("body", draft.body)):
        if key not in errors and any(c < " " and c not in "\n\r\t" for c in text):
            errors[key] = _("Der Text enthält ein Steuerzeichen; bitte entfernen Sie es.")
        unknown = unknown_placeholders(text)
        if unknown and key not in errors:
            errors[key] = _("Unbekannter Platzhalter: %(found)s. Möglich sind nur {name} und "
                            "{link}.", found=", ".join(unknown))
    if errors:
        raise InvalidInput(errors)


def recipients(draft: Draft) -> list[Registration]:
    """Who gets the message now; ``InvalidInput`` when nobody would."""
    query = (select(Registration).join(Participant, Participant.id == Registration.participant_id)
             .options(joinedload(Registration.participant))
             .where(Registration.workshop_id == draft.workshop_id))
    if draft.audience == "confirmed":
        query = query.where(Registration.status == S.confirmed).order_by(Participant.name)
    elif draft.audience == "waitlisted":
        query = query.where(Registration.status == S.waitlisted).order_by(
            Registration.requested_at, Registration.id)
    else:
        query = query.where(Registration.status.in_(ACTIVE),
                            Registration.id.in_(draft.selection or (0,))
                            ).order_by(Participant.name)
    found = list(db.session.scalars(query.order_by(Registration.id)))
    if not found:
        field_name = "selection" if draft.audience == "selection" else "audience"
        raise InvalidInput({field_name: {
            "confirmed": _("Dieser Workshop hat keine bestätigten Teilnehmenden."),
            "waitlisted": _("Die Warteliste dieses Workshops ist leer."),
        }.get(draft.audience, _("Keine der ausgewählten Personen ist (noch) angemeldet."))})
    return found


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def fill(text: str, registration: Registration) -> str:
    """``text`` with ``{name}`` and ``{link}`` filled for this person."""
    values = {"name": registration.participant.name, "link": tokens.manage_url(registration)}
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def preview(draft: Draft) -> Preview:
    """Check the draft and render it for its first recipient.

    Raises ``NotFound`` (workshop) or ``InvalidInput`` (fields, no recipients).
    """
    workshop = workshop_or_404(draft.workshop_id)
    check(draft)
    found = recipients(draft)
    first = found[0]
    return Preview(workshop, found, _subject(draft, first), fill(draft.body, first), first)


def _subject(draft: Draft, registration: Registration) -> str:
    return " ".join(fill(draft.subject.strip(), registration).split())[:300]


def html_body(text: str, link: str) -> Markup:
    """The text escaped, paragraphs and line breaks kept, the personal link clickable."""
    def line(value: str) -> Markup:
        parts = [escape(part) for part in value.split(link)] if link else [escape(value)]
        anchor = Markup('<a href="{0}">{0}</a>').format(link)
        return anchor.join(parts)

    paragraphs = [p for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()) if p]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(line(row) for row in p.split("\n")))
        for p in paragraphs)


def send(actor: Organiser | None, draft: Draft) -> Broadcast:
    """Queue one mail per recipient and keep the message with its recipients.

    Raises like ``preview``. Adds to the session only: the caller commits.
    """
    result = preview(draft)
    workshop = result.workshop
    broadcast = Broadcast(workshop_id=workshop.id, author_id=actor.id if actor else None,
                          audience=draft.audience, subject=draft.subject.strip(),
                          body=draft.body, recipients=[])
    db.session.add(broadcast)
    db.session.flush()
    config = current_app.config
    contact_name = workshop.programme.contact_name or config["CONTACT_NAME"]
    contact_email = workshop.programme.contact_email or config["CONTACT_EMAIL"]
    queued = []
    for registration in result.recipients:
        link = tokens.manage_url(registration)
        text = fill(draft.body, registration)
        # the organisers' subject and text stay as written; the frame is the person's
        with in_language(registration.language) as language:
            context = {
                "text": text, "html_text": html_body(text, link), "link": link,
                "link_in_text": "{link}" in draft.body, "workshop": workshop,
                "when": formatting.format_range(workshop.starts_at, workshop.ends_at),
                "subject": _subject(draft, registration), "language": language,
                "contact_name": contact_name, "contact_email": contact_email,
            }
            message = enqueue(kind=KIND, recipient=registration.participant.email,
                              subject=context["subject"],
                              body_text=render_template("mail/broadcast.txt", **context),
                              body_html=render_template("mail/broadcast.html", **context),
                              registration_id=registration.id)
        message.broadcast_id = broadcast.id
        queued.append((registration, message))
    db.session.flush()  # the outbox ids, kept with each recipient
    kept = [{"registration_id": registration.id, "name": registration.participant.name,
             "email": registration.participant.email, "outbox_id": message.id}
            for registration, message in queued]
    broadcast.recipients = kept
    audit.record(actor, "message.send", "message", broadcast.id,
                 f"Nachricht „{broadcast.subject}“ an {len(kept)} "
                 f"{'Person' if len(kept) == 1 else 'Personen'} ({workshop.title})",
                 after={"workshop_id": workshop.id, "audience": draft.audience,
                        "subject": broadcast.subject, "recipients": len(kept)})
    return broadcast

