"""Turn an outbox row into the exact bytes we hand to the SMTP server.

Plain messages are ``multipart/alternative`` (text, HTML). With a calendar the
structure is the one Outlook needs to show a meeting request::

    multipart/mixed
      multipart/alternative
        text/plain
        text/html
        text/calendar; method=REQUEST; charset=UTF-8
      text/calendar (attachment invite.ics)
"""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime as rfc2822_date

from events.models import OutboxMessage, utcnow


def build(message: OutboxMessage, sender: str, reply_to: str | None = None) -> EmailMessage:
    mime = EmailMessage(policy=SMTP)
    mime["From"] = sender
    mime["To"] = message.recipient
    if reply_to:
        mime["Reply-To"] = reply_to
    mime["Subject"] = message.subject
    mime["Date"] = rfc2822_date(message.created_at or utcnow())
    mime["Message-ID"] = message.message_id
    mime["Auto-Submitted"] = "auto-generated"
    mime["Content-Language"] = "de"
    mime.set_content(message.body_text, subtype="plain", charset="utf-8")
    if message.body_html:
        mime.add_alternative(message.body_html, subtype="html", charset="utf-8")
    if message.ical:
        method = (message.ical_method or "PUBLISH").upper()
        if not message.body_html:
            mime.make_alternative()
        mime.add_alternative(message.ical, subtype="calendar", charset="utf-8",
                             params={"method": method})
        mime.make_mixed()
        mime.add_attachment(message.ical.encode("utf-8"), maintype="text", subtype="calendar",
                            filename="invite.ics" if method != "CANCEL" else "cancel.ics",
                            params={"method": method, "charset": "UTF-8"})
    return mime
