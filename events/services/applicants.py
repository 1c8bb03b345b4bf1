"""What a person submits to register, and its validation (one place for form and API)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from events.locales import known
from events.services.text import add_unstorable_problems

LIMITS = {"name": 200, "email": 254, "municipality": 200, "role": 200, "remarks": 2000,
          "accessibility_needs": 2000}


@dataclass
class Applicant:
    name: str
    email: str
    municipality: str
    role: str = ""
    consent: bool = False
    remarks: str = ""
    accessibility_needs: str = ""
    accessibility_consent: bool = False
    #: The language the person's mails and calendar files are written in: the page's when
    #: registering, Accept-Language in the API; empty means the default language.
    language: str = ""

    def cleaned(self) -> Applicant:
        """Strip surrounding white space from every text field."""
        return Applicant(
            name=" ".join((self.name or "").split()),
            email=(self.email or "").strip(),
            municipality=" ".join((self.municipality or "").split()),
            role=" ".join((self.role or "").split()),
            consent=bool(self.consent),
            remarks=(self.remarks or "").strip(),
            accessibility_needs=(self.accessibility_needs or "").strip(),
            accessibility_consent=bool(self.accessibility_consent),
            language=known(self.language),
        )


def email_problem(email: str) -> str | None:
    """A German message when ``email`` is empty or not an address; None when it is fine."""
    if not email:
        return _("Bitte geben Sie Ihre E-Mail-Adresse an.")
    if len(email) > LIMITS["email"]:
        return _("Bitte höchstens %(n)d Zeichen.", n=LIMITS["email"])
    if not _is_address(email):
        return _("Bitte geben Sie eine gültige E-Mail-Adresse an, z. B. name@kommune.de.")
    return None


@lru_cache(maxsize=1024)
def _is_address(email: str) -> bool:
    """Whether ``email`` is an address (syntax only). Kept for the last addresses: the API
    checks a registration and the service checks it again before it writes, and the
    check is a fifth of the request's own work (issue 15)."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def validate(applicant: Applicant) -> dict[str, str]:
    """Return field → German message for every problem; empty when all is well."""
    errors: dict[str, str] = {}
    if not applicant.name:
        errors["name"] = _("Bitte geben Sie Ihren Namen an.")
    problem = email_problem(applicant.email)
    if problem:
        errors["email"] = problem
    if not applicant.municipality:
        errors["municipality"] = _("Bitte geben Sie Ihre Kommune oder Ihren Landkreis an.")
    if not applicant.consent:
        errors["consent"] = _(
            "Bitte stimmen Sie der Verarbeitung Ihrer Daten zu; ohne sie ist keine "
            "Anmeldung möglich."
        )
    if applicant.accessibility_needs and not applicant.accessibility_consent:
        errors["accessibility_consent"] = _(
            "Angaben zur Barrierefreiheit speichern wir nur mit Ihrer ausdrücklichen "
            "Einwilligung. Bitte willigen Sie ein oder lassen Sie das Feld leer."
        )
    add_unstorable_problems(errors, applicant, LIMITS)
    add_length_problems(errors, applicant, LIMITS)
    return errors


def add_length_problems(errors: dict[str, str], value, limits: dict[str, int]) -> None:
    """Add "at most n characters" to ``errors`` for each attribute of ``value`` longer
    than its limit, unless that field already has a message."""
    for field, limit in limits.items():
        if len(getattr(value, field) or "") > limit and field not in errors:
            errors[field] = _("Bitte höchstens %(n)d Zeichen.", n=limit)
