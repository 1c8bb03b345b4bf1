"""Moderation of contributions in the back office: the queue and every decision.

Each decision calls ``audit.record`` with before/after in the caller's
transaction (the view commits once). Raises ``NotFound`` for an unknown id and
``StateConflict`` when the state does not allow the action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import selectinload

from events.extensions import db
from events.models import Contribution, ContributionRevision, ContributionState, Organiser, utcnow
from events.services import audit, contribution_mail, contribution_search
from events.services.contribution_input import (
    EDITABLE,
    Submission,
    apply,
    check,
    submission_from,
)
from events.services.errors import InvalidInput, NotFound, StateConflict

FIELDS = ("state", "title", "municipality", "federal_state", "body_kind", "summary",
          "description", "results", "partners", "links", "contact_name", "contact_email",
          "contact_phone", "contact_public", "featured", "moderation_comment",
          "published_at")
#: Queue filters: "" (waiting: verified submissions and pending revisions) or a state.
FILTERS = ("", "submitted", "published", "returned", "withdrawn", "unverified", "all")


class ContributionNotFound(NotFound):
    default_message = _l("Dieses Praxisbeispiel gibt es nicht (mehr).")


@dataclass(frozen=True)
class QueueItem:
    contribution: Contribution
    pending_revision: ContributionRevision | None


def _state(contribution: Contribution) -> dict:
    data = audit.snapshot(contribution, FIELDS)
    data["themes"] = [t.slug for t in contribution.themes]
    data["workshops"] = [w.id for w in contribution.workshops]
    return data


def get(contribution_id: int) -> Contribution:
    contribution = db.session.get(Contribution, contribution_id) if 0 < contribution_id < 2**31 \
        else None
    if contribution is None:
        raise ContributionNotFound()
    return contribution


def queue(state: str = "") -> list[QueueItem]:
    """Newest first. ``""``: what waits for a decision (verified submissions and published
    ones with a pending revision); ``unverified``: address not yet confirmed; ``all``."""
    pending = exists().where(ContributionRevision.contribution_id == Contribution.id,
                             ContributionRevision.state == "pending")
    query = select(Contribution).options(selectinload(Contribution.revisions),
                                         selectinload(Contribution.themes))
    verified = Contribution.email_verified_at.is_not(None)
    if state == "":
        query = query.where(verified, or_(Contribution.state == ContributionState.submitted,
                                          pending))
    elif state == "unverified":
        query = query.where(Contribution.email_verified_at.is_(None))
    elif state in ContributionState.__members__:
        query = query.where(verified, Contribution.state == ContributionState(state))
    query = query.order_by(Contribution.submitted_at.desc().nulls_last(),
                           Contribution.created_at.desc(), Contribution.id.desc())
    items = []
    for contribution in db.session.scalars(query).all():
        revision = next((r for r in contribution.revisions if r.state == "pending"), None)
        items.append(QueueItem(contribution, revision))
    if state == "":  # a pending revision is as new as the revision
        items.sort(key=lambda i: (i.pending_revision.created_at if i.pending_revision
                                  else i.contribution.submitted_at or i.contribution.created_at),
                   reverse=True)
    return items


def _decide(actor: Organiser, contribution: Contribution, action: str, summary: str,
            change) -> None:
    before = _state(contribution)
    change()
    contribution.updated_at = utcnow()
    after = _state(contribution)
    old, new = audit.changed(before, after)
    audit.record(actor, f"contribution.{action}", "contribution", contribution.id,
                 summary, before=old, after=new)


def _require_verified(contribution: Contribution) -> None:
    if not contribution.is_verified:
        raise StateConflict(_l("Die E-Mail-Adresse ist noch nicht bestätigt."))


def publish(actor: Organiser, contribution_id: int, *, now: datetime | None = None) -> None:
    """Make it public; the submitter gets an e-mail. Not for withdrawn or unverified ones."""
    contribution = get(contribution_id)
    _require_verified(contribution)
    if contribution.state == ContributionState.published:
        raise StateConflict(_l("Das Praxisbeispiel ist bereits veröffentlicht."))
    if contribution.state == ContributionState.withdrawn:
        raise StateConflict(_l("Die Einreichenden haben das Praxisbeispiel zurückgezogen."))

    def change():
        contribution.state = ContributionState.published
        contribution.published_at = contribution.published_at or now or utcnow()
        contribution.moderation_comment = ""
    _decide(actor, contribution, "publish", f"Praxisbeispiel veröffentlicht: "
            f"{contribution.title}", change)
    contribution_mail.published(contribution)


def return_to_submitter(actor: Organiser, contribution_id: int, comment: str) -> None:
    """Send it back with ``comment`` (mailed with the private link); also unpublishes.

    Raises ``InvalidInput`` on ``comment`` when it is empty or longer than 5,000 characters.
    """
    comment = (comment or "").strip()
    if not comment:
        raise InvalidInput({"comment": _l("Bitte schreiben Sie, was geändert werden soll.")})
    if len(comment) > 5000:
        raise InvalidInput({"comment": _l("Bitte höchstens 5000 Zeichen.")})
    contribution = get(contribution_id)
    _require_verified(contribution)
    if contribution.state == ContributionState.withdrawn:
        raise StateConflict(_l("Die Einreichenden haben das Praxisbeispiel zurückgezogen."))

    def change():
        contribution.state = ContributionState.returned
        contribution.moderation_comment = comment
        contribution.featured = False
    _decide(actor, contribution, "return", f"Praxisbeispiel zurückgegeben: "
            f"{contribution.title}", change)
    contribution_mail.returned(contribution, comment)


def unpublish(actor: Organiser, contribution_id: int) -> None:
    """Take it off the public pages; it waits in the queue again (state submitted)."""
    contribution = get(contribution_id)
    if contribution.state != ContributionState.published:
        raise StateConflict(_l("Das Praxisbeispiel ist nicht veröffentlicht."))

    def change():
        contribution.state = ContributionState.submitted
        contribution.featured = False
    _decide(actor, contribution, "unpublish", f"Veröffentlichung zurückgenommen: "
            f"{contribution.title}", change)


def set_featured(actor: Organiser, contribution_id: int, featured: bool) -> None:
    """Show it on the home page (only published ones) or stop showing it."""
    contribution = get(contribution_id)
    if featured and contribution.state != ContributionState.published:
        raise StateConflict(_l("Nur veröffentlichte Praxisbeispiele können auf der "
                               "Startseite erscheinen."))

    def change():
        contribution.featured = featured
    _decide(actor, contribution, "feature" if featured else "unfeature",
            ("Auf der Startseite: " if featured else "Nicht mehr auf der Startseite: ")
            + contribution.title, change)


def update(actor: Organiser, contribution_id: int, submission: Submission) -> None:
    """The organiser edits the fields, themes and workshops; raises ``InvalidInput``."""
    contribution = get(contribution_id)
    clean = check(submission, submitter=False)
    _decide(actor, contribution, "update", f"Praxisbeispiel bearbeitet: {clean.title}",
            lambda: apply(contribution, clean, EDITABLE))
    contribution_search.reindex(contribution)


def set_workshops(actor: Organiser, contribution_id: int, workshop_ids: list[int]) -> None:
    """Link it to the workshops where it was presented (replaces the list)."""
    from events.models import Workshop

    contribution = get(contribution_id)
    ids = [i for i in workshop_ids if 0 < i < 2**31]
    found = list(db.session.scalars(select(Workshop).where(Workshop.id.in_(ids))
                                    .order_by(Workshop.starts_at)).all())
    if len(found) != len(set(ids)):
        raise InvalidInput({"workshops": _l("Bitte wählen Sie Workshops aus der Liste.")})

    def change():
        contribution.workshops = found
    _decide(actor, contribution, "workshops", f"Workshops verknüpft: {contribution.title}",
            change)


def _revision(contribution_id: int, revision_id: int) -> tuple[Contribution,
                                                                ContributionRevision]:
    contribution = get(contribution_id)
    revision = next((r for r in contribution.revisions if r.id == revision_id), None)
    if revision is None:
        raise ContributionNotFound()
    if revision.state != "pending":
        raise StateConflict(_l("Über diese Änderung wurde bereits entschieden."))
    return contribution, revision


def accept_revision(actor: Organiser, contribution_id: int, revision_id: int) -> None:
    """Apply the submitter's changes to the published contribution.

    Raises ``InvalidInput`` when a theme or workshop named in it is gone.
    """
    contribution, revision = _revision(contribution_id, revision_id)
    clean = check(submission_from(revision.data), submitter=False)

    def change():
        apply(contribution, clean, EDITABLE)
        revision.state, revision.decided_at, revision.decided_by = "accepted", utcnow(), actor
    _decide(actor, contribution, "revision.accept", f"Änderung übernommen: {clean.title}",
            change)
    contribution_search.reindex(contribution)


def reject_revision(actor: Organiser, contribution_id: int, revision_id: int) -> None:
    contribution, revision = _revision(contribution_id, revision_id)
    revision.state, revision.decided_at, revision.decided_by = "rejected", utcnow(), actor
    audit.record(actor, "contribution.revision.reject", "contribution", contribution.id,
                 f"Änderung abgelehnt: {contribution.title}",
                 before={"revision": revision.id}, after={"revision_state": "rejected"})
