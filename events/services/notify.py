"""One function per message; each renders a text and an HTML template and enqueues it.

Nothing is sent here: the outbox row joins the caller's transaction, so a
rolled-back change leaves no mail. Logs name registration ids, never addresses.

Messages about a confirmed place carry the participant's copy of the event
(``events.ical``): REQUEST on confirmation, on every change of the workshop and
with the reminder; CANCEL when the place ends. Each new version raises
``Registration.ical_sequence`` here, where it is sent, so the SEQUENCE a client
sees always rises (a reminder re-sends the current version unchanged).

Each message is written in the registration's language (``Registration.language``,
the person's choice when registering): subject, text, HTML and calendar file are made
inside ``locales.in_language``, whoever triggers the message (the person, an organiser,
the worker). Titles, reasons and other text the organisers wrote stay as written.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import current_app, render_template
from flask_babel import gettext as _

from events import formatting, ical, locales
from events.mail.outbox import enqueue
from events.models import Registration, RegistrationStatus
from events.services import tokens, workshop_changes
from events.urls import base_url

format_datetime = formatting.format_datetime
#: Where a written message goes instead of a new outbox row (see ``_send``).
Writer = Callable[..., None]


def in_their_language(message):
    """``message(registration, …)`` written in the registration's language."""
    @wraps(message)
    def written(registration: Registration, *args, **kwargs):
        with locales.in_language(registration.language):
            return message(registration, *args, **kwargs)
    return written


def _context(registration: Registration, **extra) -> dict:
    workshop = registration.workshop
    config = current_app.config
    return {
        "language": locales.current(),
        "registration": registration,
        "participant": registration.participant,
        "workshop": workshop,
        "when": formatting.format_range(workshop.starts_at, workshop.ends_at),
        "deadline": formatting.format_datetime(registration.expires_at)
        if registration.expires_at else None,
        "manage_url": tokens.manage_url(registration),
        "base_url": base_url(mail=True),
        "contact_name": config["CONTACT_NAME"],
        "contact_email": config["CONTACT_EMAIL"],
        **extra,
    }


def _render(kind: str, registration: Registration, subject: str, **extra) -> tuple[str, str]:
    """The text and HTML body of a message of ``kind`` to the registration's person."""
    context = _context(registration, subject=subject, **extra)
    return (render_template(f"mail/{kind}.txt", **context),
            render_template(f"mail/{kind}.html", **context))


def _send(kind: str, registration: Registration, subject: str, *, ical: str | None = None,
          ical_method: str | None = None, into: Writer | None = None, **extra) -> None:
    """Render and enqueue; the caller (``in_their_language``) chose the language.

    ``into``: the message goes there (``into(subject=…, body_text=…, body_html=…,
    language=…)``)
    instead of into a new outbox row: ``unwritten_mail`` writes it into the row that
    ``seat_pipeline`` reserved with the registration."""
    body_text, body_html = _render(kind, registration, subject, **extra)
    if into is not None:
        into(subject=subject, body_text=body_text, body_html=body_html,
             language=locales.current())
        return
    enqueue(
        kind=kind,
        recipient=registration.participant.email,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        registration_id=registration.id,
        ical=ical,
        ical_method=ical_method,
    )


def _calendar(registration: Registration, method: str, *, new_version: bool = True) -> dict:
    """The ``ical``/``ical_method`` arguments of ``_send``; a new version raises SEQUENCE."""
    if new_version:
        registration.ical_sequence = (registration.ical_sequence or 0) + 1
    return {"ical": ical.invitation(registration, method,
                                    manage_url=tokens.manage_url(registration)),
            "ical_method": method}


@in_their_language
def confirm_request(registration: Registration, *, into: Writer | None = None) -> None:
    _send("confirm_request", registration,
          _("Bitte bestätigen: %(title)s", title=registration.workshop.title), into=into)


@in_their_language
def waitlisted(registration: Registration, position: int | None, *,
               into: Writer | None = None) -> None:
    _send("waitlisted", registration,
          _("Warteliste: %(title)s", title=registration.workshop.title), position=position,
          into=into)


def _link_subject(registration: Registration) -> str:
    return _("Ihr persönlicher Link: %(title)s", title=registration.workshop.title)


@in_their_language
def link_again(registration: Registration, position: int | None, *,
               into: Writer | None = None) -> None:
    _send("link_again", registration, _link_subject(registration), position=position,
          into=into)


@in_their_language
def link_again_unsent(registration: Registration, position: int | None) -> None:
    """The work of ``link_again`` without the mail: a repeated registration within
    ``LINK_RESEND_MINUTES`` takes as long as one that mails (no enumeration by timing)."""
    _render("link_again", registration, _link_subject(registration), position=position)


@in_their_language
def confirmed(registration: Registration) -> None:
    """The invitation: METHOD:REQUEST, also after a promotion (the same path)."""
    _send("confirmed", registration,
          _("Anmeldung bestätigt: %(title)s", title=registration.workshop.title),
          **_calendar(registration, "REQUEST"))


@in_their_language
def promoted(registration: Registration) -> None:
    deadline = formatting.format_datetime(registration.expires_at)
    _send("promoted", registration,
          _("Ein Platz ist frei geworden – bitte bis %(deadline)s bestätigen",
            deadline=deadline))


@in_their_language
def cancelled(registration: Registration, was_confirmed: bool) -> None:
    """A confirmed participant's copy is withdrawn with METHOD:CANCEL."""
    calendar = _calendar(registration, "CANCEL") if was_confirmed else {}
    _send("cancelled", registration,
          _("Abmeldung bestätigt: %(title)s", title=registration.workshop.title),
          was_confirmed=was_confirmed, **calendar)


@in_their_language
def expired(registration: Registration) -> None:
    _send("expired", registration,
          _("Reservierung abgelaufen: %(title)s", title=registration.workshop.title))


@in_their_language
def workshop_cancelled(registration: Registration, reason: str,
                       was_confirmed: bool = False) -> None:
    """``reason`` is the organisers' text and stays as written."""
    calendar = _calendar(registration, "CANCEL") if was_confirmed else {}
    _send("workshop_cancelled", registration,
          _("Abgesagt: %(title)s", title=registration.workshop.title),
          reason=reason, was_confirmed=was_confirmed, **calendar)


@in_their_language
def workshop_changed(registration: Registration,
                     changes: list[workshop_changes.Change]) -> None:
    """Time, place or title changed; each change becomes a line "Zeit: … (bisher …)" in
    the person's language.

    A confirmed participant gets the updated REQUEST (same UID, higher SEQUENCE).
    """
    confirmed = registration.status == RegistrationStatus.confirmed
    calendar = _calendar(registration, "REQUEST") if confirmed else {}
    _send("workshop_changed", registration,
          _("Geändert: %(title)s", title=registration.workshop.title),
          changes=workshop_changes.lines(changes), has_calendar=confirmed, **calendar)


@in_their_language
def reminder(registration: Registration) -> None:
    """The reminder before the workshop, with the current calendar version again."""
    _send("reminder", registration, _("Erinnerung: %(title)s", title=registration.workshop.title),
          **_calendar(registration, "REQUEST", new_version=False))


# --- seat actions of the organisers (services.seat_admin) --------------------------------


@in_their_language
def cancelled_by_organiser(registration: Registration, was_confirmed: bool) -> None:
    """The organisers ended the place; a confirmed copy is withdrawn with METHOD:CANCEL."""
    calendar = _calendar(registration, "CANCEL") if was_confirmed else {}
    _send("cancelled_by_organiser", registration,
          _("Anmeldung storniert: %(title)s", title=registration.workshop.title),
          was_confirmed=was_confirmed, **calendar)


@in_their_language
def moved(old: Registration, new: Registration, was_confirmed: bool) -> None:
    """The old place ended because the organisers moved it to ``new`` (mailed separately)."""
    calendar = _calendar(old, "CANCEL") if was_confirmed else {}
    _send("moved", old, _("Workshop gewechselt: %(old)s → %(new)s", old=old.workshop.title,
                          new=new.workshop.title),
          new_workshop=new.workshop,
          new_when=formatting.format_range(new.workshop.starts_at, new.workshop.ends_at),
          was_confirmed=was_confirmed, **calendar)


#: What the kept copy of a certificate mailing says (``Broadcast.body``); each mail is
#: ``mail/certificate.txt|.html`` with the person's PDF attached.
CERTIFICATE_BODY = ("Teilnahmebescheinigung als PDF im Anhang, mit Prüfcode und der Adresse, "
                    "unter der sie geprüft werden kann (Text: mail/certificate.txt).")


def certificate_subject(title: str) -> str:
    """The subject of a certificate mailing, in the current language."""
    return _("Ihre Teilnahmebescheinigung: %(title)s", title=title)


@in_their_language
def certificate(registration: Registration, certificate, pdf: bytes, filename: str, *,
                verify_url: str):
    """The certificate of attendance, the PDF attached; returns the outbox row (the caller
    ties it to its ``Broadcast``)."""
    subject = certificate_subject(registration.workshop.title)
    context = _context(registration, subject=subject, certificate=certificate,
                       verify_url=verify_url)
    message = enqueue(
        kind="certificate",
        recipient=registration.participant.email,
        subject=subject,
        body_text=render_template("mail/certificate.txt", **context),
        body_html=render_template("mail/certificate.html", **context),
        registration_id=registration.id,
    )
    message.attachment_name = filename
    message.attachment_type = "application/pdf"
    message.attachment_data = pdf
    return message
