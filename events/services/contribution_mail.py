"""The submitter's e-mails about a contribution: one function per message, each with a
text and an HTML template (``templates/mail/contribution_<kind>.txt|.html``).

Kept apart from ``notify`` (whose messages are about registrations). Nothing is
sent here: ``enqueue`` adds an outbox row to the caller's transaction. Logs name
contribution ids, never addresses. Each message is written in the submitter's language
(``Contribution.language``); the title and the moderators' comment stay as written.
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import gettext as _

from events.locales import in_language
from events.mail.outbox import enqueue
from events.models import Contribution
from events.services.contribution_links import private_url
from events.urls import base_url


def _send(kind: str, contribution: Contribution, subject, **extra) -> None:
    """``subject()`` is called in the submitter's language, like the templates."""
    config = current_app.config
    with in_language(contribution.language) as language:
        context = {
            "contribution": contribution, "subject": subject(), "language": language,
            "private_url": private_url(contribution), "base_url": base_url(mail=True),
            "contact_name": config["CONTACT_NAME"], "contact_email": config["CONTACT_EMAIL"],
            **extra,
        }
        enqueue(kind=f"contribution_{kind}", recipient=contribution.submitter_email,
                subject=context["subject"],
                body_text=render_template(f"mail/contribution_{kind}.txt", **context),
                body_html=render_template(f"mail/contribution_{kind}.html", **context))


def verify_request(contribution: Contribution) -> None:
    """After submitting: the private link, to confirm the address first."""
    _send("verify", contribution, lambda: _("Bitte bestätigen Sie Ihr Praxisbeispiel"))


def returned(contribution: Contribution, comment: str) -> None:
    """Moderation sent it back with a comment."""
    _send("returned", contribution,
          lambda: _("Rückfrage zu Ihrem Praxisbeispiel: %(title)s", title=contribution.title),
          comment=comment)


def published(contribution: Contribution) -> None:
    """It is public now (with the public address)."""
    _send("published", contribution,
          lambda: _("Veröffentlicht: %(title)s", title=contribution.title),
          public_url=f"{base_url(mail=True)}/praxisbeispiele/{contribution.slug}")
