"""Data-subject rights of submitters of contributions (Art. 15, 17, 20 DSGVO), reached
through the private link of one contribution.

``export``: the contribution as stored (submitter and contact data, texts, themes,
workshops, attachments' names and checksums, revisions) and the mails sent about it.
``erase``: the contribution goes with its files, revisions, search index entry and mails.
``anonymise`` (published examples only, the submitter's choice): the example stays
public; submitter and contact data, pending revisions, the moderators' comment and
the mails go, and the private link stops working (new salt).
Both remove the submitter's name and address from the audit log's entries about the
contribution. Nothing is committed here; files go once the caller commits.
Raise ``StateConflict`` when anonymising an example that is not published.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, select

from events.extensions import db
from events.models import AuditEntry, Contribution, OutboxMessage, utcnow
from events.services import attachments, contribution_search, tokens
from events.services.errors import StateConflict
from events.services.subject_rights import ERASED, iso, mail_row, scrub

FORMAT = "praxisaustausch-auskunft-praxisbeispiel/1"
FIELDS = ("title", "municipality", "federal_state", "summary", "description", "results",
          "partners", "links", "contact_name", "contact_email", "contact_phone",
          "contact_public", "submitter_name", "submitter_email", "moderation_comment",
          "featured", "language", "slug")


def _mails(contribution: Contribution):
    """The outbox rows about this contribution: addressed to the submitter, of a
    contribution kind, and carrying this contribution's private link."""
    return select(OutboxMessage).where(
        OutboxMessage.kind.startswith("contribution_"),
        OutboxMessage.recipient == contribution.submitter_email,
        OutboxMessage.body_text.contains(f"/praxisbeispiele/link/{contribution.id}.",
                                         autoescape=True))


def export(contribution: Contribution, now: datetime | None = None) -> dict:
    """Everything held about the submission, JSON-ready."""
    data = {name: getattr(contribution, name) for name in FIELDS}
    return {
        "format": FORMAT,
        "created_at": iso(now or utcnow()),
        "contribution": {
            "id": contribution.id, **data,
            "body_kind": contribution.body_kind.value,
            "state": contribution.state.value,
            "email_verified_at": iso(contribution.email_verified_at),
            "created_at": iso(contribution.created_at),
            "updated_at": iso(contribution.updated_at),
            "submitted_at": iso(contribution.submitted_at),
            "published_at": iso(contribution.published_at),
            "themes": [theme.name for theme in contribution.themes],
            "workshops": [workshop.title for workshop in contribution.workshops],
        },
        "attachments": [{"id": a.id, "filename": a.filename, "content_type": a.content_type,
                         "size": a.size, "sha256": a.sha256, "created_at": iso(a.created_at)}
                        for a in contribution.attachments],
        "revisions": [{"id": r.id, "state": r.state, "data": r.data,
                       "created_at": iso(r.created_at), "decided_at": iso(r.decided_at)}
                      for r in contribution.revisions],
        "mails": [mail_row(message) for message in
                  db.session.scalars(_mails(contribution).order_by(OutboxMessage.id))],
    }


def _forget_person(contribution: Contribution) -> None:
    """Mails about the contribution gone; audit entries without name and address."""
    words = tuple(word for word in (contribution.submitter_email, contribution.submitter_name,
                                    contribution.contact_email, contribution.contact_name,
                                    contribution.contact_phone) if word)
    ids = [message.id for message in db.session.scalars(_mails(contribution))]
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
    for entry in db.session.scalars(select(AuditEntry).where(
            AuditEntry.object_type == "contribution", AuditEntry.object_id == contribution.id)):
        entry.summary = scrub(entry.summary or "", words)
        entry.before = scrub(entry.before, words) if entry.before is not None else None
        entry.after = scrub(entry.after, words) if entry.after is not None else None


def erase(contribution: Contribution) -> int:
    """Delete the contribution and everything about it; returns its id."""
    contribution_id = contribution.id
    _forget_person(contribution)
    for attachment in contribution.attachments:
        attachments.delete_later(db.session, attachment.storage_key)
    contribution_search.forget(contribution_id)
    db.session.delete(contribution)
    db.session.flush()
    return contribution_id


def anonymise(contribution: Contribution) -> None:
    """Keep a published example without any data about its submitter or contact."""
    if not contribution.is_published:
        raise StateConflict(_("Nur veröffentlichte Praxisbeispiele können anonymisiert "
                              "werden; alle anderen werden gelöscht."))
    _forget_person(contribution)
    contribution.submitter_name = ERASED
    contribution.submitter_email = ""
    contribution.contact_name = contribution.contact_email = contribution.contact_phone = ""
    contribution.contact_public = False
    contribution.moderation_comment = ""
    contribution.revisions.clear()
    contribution.token_salt = tokens.new_salt()
    db.session.flush()
