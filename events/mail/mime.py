"""Turn an outbox row into the exact bytes and envelope we hand to the SMTP server.

Plain messages are ``multipart/alternative`` (text, HTML). With a calendar the
structure is the one Outlook needs to show a meeting request::

    multipart/mixed
      multipart/alternative
        text/plain
        text/html
        text/calendar; method=REQUEST; charset=UTF-8
      text/calendar (attachment invite.ics)

A file attachment (a certificate PDF: ``attachment_name``/``_type``/``_data``)
makes the message ``multipart/mixed`` with the file, base64-encoded, after the
text parts.

Everything is 7-bit clean (quoted-printable bodies, RFC 2047 headers): we never
ask the server for 8BITMIME, and a relay that lacks it must not mangle umlauts.
A domain with umlauts (``person@köln.de``) goes out as its ASCII form
(``xn--kln-sna.de``); only a local part with umlauts needs the server's
SMTPUTF8 extension, and then the headers are UTF-8 as RFC 6532 allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime as rfc2822_date
from email.utils import formataddr, parseaddr
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from events.models import OutboxMessage, utcnow

TEXT_CTE = "quoted-printable"


class _SMTPPolicy(EmailPolicy):
    """``email.policy.SMTP``, faster for the worker (issue 15), with the same bytes.

    The standard library parses every header value when it is set and folds it through
    that parse tree when the message is written, even ``MIME-Version: 1.0``; a sender
    name with umlauts (``Kompetenzteam Flüchtlingsmanagement``, as RFC 2047 encoded
    words) took ~1 ms of it per header. Here a header value is parsed once per process
    (most repeat in every mail: From, Reply-To, the content types) and its folded form
    kept with the parsed header; a header that is ASCII and fits on one line is written
    as it is. ``tests/test_mime.py`` builds every kind of message both ways and
    compares the bytes."""

    def header_store_parse(self, name, value):
        if type(value) is str and "\n" not in value and "\r" not in value:
            return name, _parsed_header(self.header_factory, name, value)
        return super().header_store_parse(name, value)

    def _fold(self, name, value, refold_binary=False):
        if not hasattr(value, "name"):
            return super()._fold(name, value, refold_binary)
        key = (name, self.utf8, self.max_line_length, self.linesep)
        folded = value.__dict__.setdefault("_folded", {})
        if key not in folded:
            text = str(value)
            if (text.isascii() and len(name) + 2 + len(text) <= self.max_line_length
                    and text == text.strip()):
                folded[key] = f"{name}: {text}{self.linesep}"
            else:
                folded[key] = super()._fold(name, value, refold_binary)
        return folded[key]


@lru_cache(maxsize=1024)
def _parsed_header(factory, name: str, value: str):
    """The parsed header of ``name: value``; the same object for the same text (headers
    are immutable)."""
    return factory(name, value)


SMTP = _SMTPPolicy(linesep="\r\n")
SMTPUTF8 = SMTP.clone(utf8=True)


class UnsendableAddress(ValueError):
    """The recipient address cannot be put on the wire (a permanent failure)."""


@dataclass(frozen=True)
class Envelope:
    """What ``sendmail`` needs: envelope addresses, ESMTP options and the bytes."""

    mail_from: str
    rcpt_to: str
    mail_options: tuple[str, ...]
    raw: bytes


def address_of(sender: str | tuple[str, str]) -> str:
    """The bare address of ``"Name <addr>"`` or Flask-Mail's ``(name, addr)``."""
    if isinstance(sender, tuple):
        return sender[1]
    return parseaddr(sender)[1]


def header_of(sender: str | tuple[str, str]) -> str:
    return formataddr(sender) if isinstance(sender, tuple) else sender


def wire_address(address: str) -> tuple[str, bool]:
    """Return the address as it goes on the wire and whether it needs SMTPUTF8.

    Raises ``UnsendableAddress`` for an address that is not valid at all.
    """
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise UnsendableAddress(f"ungültige Empfängeradresse: {exc}") from None
    if checked.ascii_email:
        return checked.ascii_email, False
    return checked.normalized, True


def build(message: OutboxMessage, sender: str | tuple[str, str],
          reply_to: str | None = None, *,
          wire: tuple[str, bool] | None = None) -> EmailMessage:
    """The MIME message for ``message`` (headers and parts; the same bytes on every retry).
    ``wire``: ``wire_address(message.recipient)`` if the caller has it already."""
    rcpt, smtputf8 = wire or wire_address(message.recipient)
    mime = EmailMessage(policy=SMTPUTF8 if smtputf8 else SMTP)
    mime["From"] = header_of(sender)
    mime["To"] = rcpt
    if reply_to:
        mime["Reply-To"] = reply_to
    mime["Subject"] = message.subject
    # The time it was queued, not sent: a retry must produce the same message.
    mime["Date"] = rfc2822_date(message.created_at or utcnow())
    mime["Message-ID"] = message.message_id
    mime["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    mime.set_content(message.body_text, subtype="plain", charset="utf-8", cte=TEXT_CTE)
    if message.body_html:
        mime.add_alternative(message.body_html, subtype="html", charset="utf-8", cte=TEXT_CTE)
    if message.ical:
        method = (message.ical_method or "PUBLISH").upper()
        if not message.body_html:
            mime.make_alternative()
        mime.add_alternative(message.ical, subtype="calendar", charset="utf-8", cte=TEXT_CTE,
                             params={"method": method})
        mime.make_mixed()
        mime.add_attachment(message.ical.encode("utf-8"), maintype="text", subtype="calendar",
                            filename="invite.ics" if method != "CANCEL" else "cancel.ics",
                            params={"method": method, "charset": "UTF-8"})
    if message.attachment_data:
        # ``add_attachment`` turns the message into multipart/mixed when it is not yet;
        # the file goes out base64-encoded, so the message stays 7-bit clean.
        maintype, _, subtype = (message.attachment_type or "application/octet-stream"
                                ).partition("/")
        mime.add_attachment(bytes(message.attachment_data), maintype=maintype,
                            subtype=subtype or "octet-stream",
                            filename=message.attachment_name or "anhang")
    # Last: making a message multipart moves every Content-* header into its first part.
    mime["Content-Language"] = message.language or "de"
    return mime


def envelope(message: OutboxMessage, sender: str | tuple[str, str],
             reply_to: str | None = None) -> Envelope:
    """Build the message and its envelope; raises ``UnsendableAddress`` (permanent)."""
    rcpt, smtputf8 = wire = wire_address(message.recipient)
    raw = build(message, sender, reply_to, wire=wire).as_bytes()
    options = ("SMTPUTF8", "BODY=8BITMIME") if smtputf8 else ()
    return Envelope(mail_from=address_of(sender), rcpt_to=rcpt, mail_options=options, raw=raw)
