"""What a contribution consists of, and the checks (one place for form, API and edits).

``check`` cleans a ``Submission`` and raises ``InvalidInput`` with a German message
per field (keys are the form's field names); ``check_files`` does the same for
the attachments. ``apply`` writes cleaned values onto a contribution;
``revision_data`` keeps them as JSON for a revision of a published one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select

from events.extensions import db
from events.models import (
    FEDERAL_STATES,
    BodyKind,
    Contribution,
    Theme,
    Workshop,
    WorkshopStatus,
)
from events.services import attachments, text
from events.services.applicants import add_length_problems, email_problem
from events.services.errors import InvalidInput

LIMITS = {"title": 200, "municipality": 200, "summary": 600, "description": 20_000,
          "results": 5_000, "partners": 2_000, "links": 5_000, "contact_name": 200,
          "contact_email": 254, "contact_phone": 60, "submitter_name": 200}
MAX_LINKS = 20
SINGLE_LINE = ("title", "municipality", "federal_state", "contact_name", "contact_email",
               "contact_phone", "submitter_name", "submitter_email")
MULTI_LINE = ("summary", "description", "results", "partners", "links")
#: Columns a submitter's edit (and a revision) may change.
EDITABLE = ("title", "municipality", "federal_state", "body_kind", "summary", "description",
            "results", "partners", "links", "contact_name", "contact_email", "contact_phone",
            "contact_public")
PHONE_CHARACTERS = set("0123456789 +-/()")


def choices() -> tuple[list[Theme], list[Workshop]]:
    """The themes and the published workshops a submitter may choose from."""
    themes = db.session.scalars(select(Theme).order_by(Theme.position, Theme.id)).all()
    workshops = db.session.scalars(select(Workshop).where(
        Workshop.status == WorkshopStatus.published).order_by(Workshop.starts_at)).all()
    return list(themes), list(workshops)


def body_kind_labels() -> dict[str, str]:
    """German labels of the kinds of body, in the order of the select."""
    return {
        BodyKind.stadt.value: _("Stadt"),
        BodyKind.kreisfreie_stadt.value: _("kreisfreie Stadt"),
        BodyKind.landkreis.value: _("Landkreis"),
        BodyKind.gemeinde.value: _("Gemeinde"),
        BodyKind.kommunaler_verband.value: _("kommunaler Verband"),
        BodyKind.freier_traeger.value: _("freier Träger"),
        BodyKind.partner.value: _("Partner"),
    }


@dataclass
class Submission:
    title: str = ""
    municipality: str = ""
    federal_state: str = ""
    body_kind: str = ""
    theme_ids: list[int] = field(default_factory=list)
    summary: str = ""
    description: str = ""
    results: str = ""
    partners: str = ""
    links: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    contact_public: bool = False
    workshop_ids: list[int] = field(default_factory=list)
    submitter_name: str = ""
    submitter_email: str = ""
    consent: bool = False
    #: The language of the submitter's mails (the page's, or Accept-Language in the API).
    language: str = ""


def _ids(values) -> list[int]:
    """Whole numbers in a sane range, once each; anything else is dropped."""
    seen: list[int] = []
    for value in values or []:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number < 2**31 and number not in seen:
            seen.append(number)
    return seen


def cleaned(submission: Submission) -> Submission:
    values = {name: text.line(getattr(submission, name)) for name in SINGLE_LINE}
    values.update({name: text.text(getattr(submission, name)) for name in MULTI_LINE})
    values["links"] = "\n".join(line.strip() for line in values["links"].splitlines()
                                if line.strip())
    values["results"] = "\n".join(line.strip() for line in values["results"].splitlines()
                                  if line.strip())
    return replace(submission, **values, body_kind=text.line(submission.body_kind),
                   theme_ids=_ids(submission.theme_ids), workshop_ids=_ids(
                       submission.workshop_ids),
                   contact_public=bool(submission.contact_public),
                   consent=bool(submission.consent))


def link_problem(url: str) -> str | None:
    """A German message when ``url`` is no http(s) address (``javascript:``, ``data:``…)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(
            c.isspace() for c in url):
        return _("„%(url)s“ ist keine Webadresse. Erlaubt sind Adressen, die mit http:// "
                 "oder https:// beginnen, eine je Zeile.", url=url[:80])
    if len(url) > 500:
        return _("Eine Adresse darf höchstens 500 Zeichen lang sein.")
    return None


def check(submission: Submission, *, submitter: bool) -> Submission:
    """The cleaned submission; raises ``InvalidInput`` naming every problem.

    ``submitter``: also check the submitter's name, address and consent (a new
    submission); edits keep the submitter as they are.
    """
    value = cleaned(submission)
    errors: dict[str, str] = {}
    required = {"title": _("Bitte geben Sie einen Titel an."),
                "municipality": _("Bitte nennen Sie die Kommune oder Einrichtung."),
                "summary": _("Bitte fassen Sie das Praxisbeispiel kurz zusammen.")}
    for name, message in required.items():
        if not getattr(value, name):
            errors[name] = message
    if value.federal_state and value.federal_state not in FEDERAL_STATES:
        errors["federal_state"] = _("Bitte wählen Sie ein Bundesland aus der Liste.")
    if value.body_kind not in body_kind_labels():
        errors["body_kind"] = _("Bitte wählen Sie die Art der Einrichtung.")
    known_themes = set(db.session.scalars(select(Theme.id).where(
        Theme.id.in_(value.theme_ids))).all()) if value.theme_ids else set()
    if not value.theme_ids or known_themes != set(value.theme_ids):
        errors["themes"] = _("Bitte wählen Sie mindestens ein Thema.")
    if value.workshop_ids:
        known = set(db.session.scalars(select(Workshop.id).where(
            Workshop.id.in_(value.workshop_ids))).all())
        if known != set(value.workshop_ids):
            errors["workshops"] = _("Bitte wählen Sie Workshops aus der Liste.")
    links = value.links.splitlines()
    if len(links) > MAX_LINKS:
        errors["links"] = _("Bitte höchstens %(n)d Links.", n=MAX_LINKS)
    for link in links:
        problem = link_problem(link)
        if problem:
            errors["links"] = problem
            break
    if value.contact_email:
        problem = email_problem(value.contact_email)
        if problem:
            errors["contact_email"] = problem
    if value.contact_phone and not set(value.contact_phone) <= PHONE_CHARACTERS:
        errors["contact_phone"] = _("Bitte nur Ziffern, Leerzeichen und + - / ( ).")
    if value.contact_public and not value.contact_name:
        errors["contact_name"] = _("Bitte nennen Sie die Kontaktperson, die gezeigt werden "
                                   "darf, oder entfernen Sie das Häkchen.")
    if submitter:
        if not value.submitter_name:
            errors["submitter_name"] = _("Bitte geben Sie Ihren Namen an.")
        problem = email_problem(value.submitter_email)
        if problem:
            errors["submitter_email"] = problem
        if not value.consent:
            errors["consent"] = _("Bitte stimmen Sie der Verarbeitung Ihrer Angaben zu; ohne "
                                  "sie können wir das Praxisbeispiel nicht annehmen.")
    add_length_problems(errors, value, LIMITS)
    if errors:
        raise InvalidInput(errors)
    return value


def check_files(uploads) -> list[attachments.Checked]:
    """Every upload checked (``attachments.inspect``); ``InvalidInput`` on ``attachments``."""
    uploads = [u for u in uploads or [] if u.filename or u.data]
    if len(uploads) > attachments.MAX_FILES:
        raise InvalidInput({"attachments": _("Bitte höchstens %(n)d Dateien.",
                                             n=attachments.MAX_FILES)})
    checked, problems = [], []
    for upload in uploads:
        try:
            checked.append(attachments.inspect(upload))
        except attachments.Refused as refused:
            problems.append(str(refused))
    if problems:
        raise InvalidInput({"attachments": " ".join(problems)})
    return checked


def apply(contribution: Contribution, value: Submission, fields=EDITABLE,
          *, workshops: bool = True) -> None:
    """Write the cleaned values, the themes and (``workshops``) the workshops."""
    for name in fields:
        setattr(contribution, name, BodyKind(value.body_kind) if name == "body_kind"
                else getattr(value, name))
    contribution.themes = list(db.session.scalars(select(Theme).where(
        Theme.id.in_(value.theme_ids)).order_by(Theme.position, Theme.id)).all())
    if workshops:
        contribution.workshops = list(db.session.scalars(select(Workshop).where(
            Workshop.id.in_(value.workshop_ids)).order_by(Workshop.starts_at)).all())


def revision_data(value: Submission) -> dict:
    data = {name: getattr(value, name) for name in EDITABLE}
    data["theme_ids"] = value.theme_ids
    data["workshop_ids"] = value.workshop_ids
    return data


def submission_from(data: dict) -> Submission:
    """A ``Submission`` from a revision's JSON (unknown keys ignored)."""
    known = {name: data[name] for name in Submission.__dataclass_fields__ if name in data}
    return Submission(**known)


def submission_of(contribution: Contribution) -> Submission:
    """The contribution's current values, e.g. to fill an edit form."""
    return Submission(
        **{name: getattr(contribution, name) for name in EDITABLE if name != "body_kind"},
        body_kind=contribution.body_kind.value,
        theme_ids=[t.id for t in contribution.themes],
        workshop_ids=[w.id for w in contribution.workshops],
        submitter_name=contribution.submitter_name,
        submitter_email=contribution.submitter_email, consent=True)
