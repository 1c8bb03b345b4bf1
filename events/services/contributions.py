"""Submitting a contribution, its private link, and what the submitter does with it.

Floor 4: no request, no commit (the caller commits once). ``submit`` checks every
field and every file first and raises ``InvalidInput`` with German messages
before anything is added, so a refused submission leaves no row and no file.
The private link is an HMAC under ``SECRET_KEY`` over the id and the row's salt
(as ``services.tokens`` does for registrations). Moderation is in
``contribution_moderation``; the rules for fields in ``contribution_input``.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from events.extensions import db
from events.locales import known
from events.models import (
    Attachment,
    Contribution,
    ContributionRevision,
    ContributionState,
    utcnow,
)
from events.services import (
    attachments,
    contribution_links,
    contribution_mail,
    contribution_search,
    text,
)
from events.services.contribution_input import (
    EDITABLE,
    Submission,
    apply,
    check,
    check_files,
    revision_data,
)
from events.services.errors import InvalidInput, StateConflict

UNVERIFIED_DAYS = 7

# the private link (re-exported: views and tests call ``contributions.by_token`` etc.)
by_token = contribution_links.by_token
token_for = contribution_links.token_for
private_url = contribution_links.private_url
InvalidContributionLink = contribution_links.InvalidContributionLink


# --- submit and verify ---------------------------------------------------------------


def unique_slug(title: str, exclude_id: int | None = None) -> str:
    base = text.slugify(title, 140, "praxisbeispiel")
    slug, n = base, 1
    while True:
        query = select(Contribution.id).where(Contribution.slug == slug)
        found = db.session.scalar(query)
        if found is None or found == exclude_id:
            return slug
        n += 1
        slug = f"{base}-{n}"


def submit(submission: Submission, uploads: list[attachments.Upload] = (), *,
           now: datetime | None = None) -> Contribution:
    """Check everything, then add the contribution and its files and mail the private link.

    Raises ``InvalidInput`` (field → German message; files under ``attachments``)
    before anything is stored. The contribution waits for the e-mail to be
    verified before moderation sees it.
    """
    now = now or utcnow()
    errors: dict[str, str] = {}
    try:
        clean = check(submission, submitter=True)
    except InvalidInput as error:
        errors.update(error.errors)
    try:
        checked = check_files(uploads)
    except InvalidInput as error:
        errors.update(error.errors)
    if errors:  # every problem at once, fields and files
        raise InvalidInput(errors)
    contribution = Contribution(
        slug=unique_slug(clean.title), state=ContributionState.submitted,
        submitter_name=clean.submitter_name, submitter_email=clean.submitter_email,
        token_salt=secrets.token_hex(16), language=known(submission.language),
        created_at=now, updated_at=now)
    apply(contribution, clean)
    db.session.add(contribution)
    for item in checked:
        contribution.attachments.append(Attachment(
            filename=item.filename, content_type=item.content_type, size=item.size,
            sha256=item.sha256, storage_key=attachments.stage(db.session, item)))
    contribution_search.reindex(contribution)  # flushes
    contribution_mail.verify_request(contribution)
    return contribution


def verify(contribution: Contribution, *, now: datetime | None = None) -> bool:
    """The submitter confirmed the address: the contribution joins the moderation queue.

    Returns False when it was verified before (nothing changes).
    """
    if contribution.email_verified_at is not None:
        return False
    if contribution.state == ContributionState.withdrawn:
        raise StateConflict(_l("Dieses Praxisbeispiel wurde zurückgezogen."))
    now = now or utcnow()
    contribution.email_verified_at = now
    contribution.submitted_at = now
    return True


# --- the submitter's edits -----------------------------------------------------------


def pending_revision(contribution: Contribution) -> ContributionRevision | None:
    return next((r for r in contribution.revisions if r.state == "pending"), None)


def edit(contribution: Contribution, submission: Submission, *,
         now: datetime | None = None) -> ContributionRevision | None:
    """The submitter's change.

    While submitted or returned it applies at once (a returned one goes back to the
    queue); once published it becomes a revision that moderation accepts or rejects
    (a second edit replaces the waiting revision). Returns that revision, else None.
    Raises ``InvalidInput``, or ``StateConflict`` when withdrawn or not yet verified.
    """
    now = now or utcnow()
    if contribution.state == ContributionState.withdrawn:
        raise StateConflict(_l("Ein zurückgezogenes Praxisbeispiel kann nicht mehr "
                               "bearbeitet werden."))
    if not contribution.is_verified:
        raise StateConflict(_l("Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse."))
    clean = check(submission, submitter=False)
    if contribution.state == ContributionState.published:
        revision = pending_revision(contribution)
        if revision is None:
            revision = ContributionRevision(contribution=contribution, state="pending")
            db.session.add(revision)
        revision.data = revision_data(clean)
        revision.created_at = now
        return revision
    apply(contribution, clean, fields=EDITABLE)
    contribution_search.reindex(contribution)
    if contribution.state == ContributionState.returned:
        contribution.state = ContributionState.submitted
        contribution.submitted_at = now
    contribution.updated_at = now
    return None


def withdraw(contribution: Contribution, *, now: datetime | None = None) -> None:
    """The submitter takes it back: not public any more, out of the queue.

    Raises ``StateConflict`` when it is withdrawn already.
    """
    if contribution.state == ContributionState.withdrawn:
        raise StateConflict(_l("Dieses Praxisbeispiel ist bereits zurückgezogen."))
    contribution.state = ContributionState.withdrawn
    contribution.featured = False
    contribution.updated_at = now or utcnow()
    for revision in contribution.revisions:
        if revision.state == "pending":
            revision.state = "rejected"


# --- retention -------------------------------------------------------------------------


def purge_unverified(now: datetime | None = None) -> int:
    """Delete submissions whose address was not verified within 7 days, files included.

    The files go once the caller commits (``attachments.delete_later``). Returns the count.
    """
    cutoff = (now or utcnow()) - timedelta(days=UNVERIFIED_DAYS)
    stale = db.session.scalars(select(Contribution).where(
        Contribution.email_verified_at.is_(None), Contribution.created_at < cutoff)).all()
    for contribution in stale:
        for attachment in contribution.attachments:
            attachments.delete_later(db.session, attachment.storage_key)
        db.session.delete(contribution)
    if stale:
        db.session.flush()
    return len(stale)
