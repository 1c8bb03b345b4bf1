"""The submitter's e-mails about a contribution: one function per message, each with a
text and an HTML template (``templates/mail/contribution_<kind>.txt|.html``).

Kept apart from ``notify`` (whose messages are about registrations). Nothing is
sent here: ``enqueue`` adds an outbox row to the caller's transaction. Logs name
contribution ids, never addresses.
"""

from __future__ import annotations

from flask import current_app, render_template

from events.mail.outbox import enqueue
from events.models import Contribution
from events.services.contribution_links import private_url
from events.urls import base_url


def _send(kind: str, contribution: Contribution, subject: str, **extra) -> None:
    config = current_app.config
    context = {
        "contribution": contribution, "subject": subject,
        "private_url": private_url(contribution), "base_url": base_url(mail=True),
        "contact_name": config["CONTACT_NAME"], "contact_email": config["CONTACT_EMAIL"],
        **extra,
    }
    enqueue(kind=f"contribution_{kind}", recipient=contribution.submitter_email,
            subject=subject,
            body_text=render_template(f"mail/contribution_{kind}.txt", **context),
            body_html=render_template(f"mail/contribution_{kind}.html", **context))


def verify_request(contribution: Contribution) -> None:
    """After submitting: the private link, to confirm the address first."""
    _send("verify", contribution, "Bitte bestätigen Sie Ihr Praxisbeispiel")


def returned(contribution: Contribution, comment: str) -> None:
    """Moderation sent it back with a comment."""
    _send("returned", contribution,
          f"Rückfrage zu Ihrem Praxisbeispiel: {contribution.title}", comment=comment)


def published(contribution: Contribution) -> None:
    """It is public now (with the public address)."""
    _send("published", contribution,
          f"Veröffentlicht: {contribution.title}",
          public_url=f"{base_url(mail=True)}/praxisbeispiele/{contribution.slug}")
