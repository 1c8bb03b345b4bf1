"""The pydantic models of the workshops API (``api``) and of ``/healthz``: the request
body of a registration and every answer. ``openapi`` documents exactly these models.

The registration body's model checks *types* and refuses unknown fields; the content
rules stay the service's (``applicants.validate``: required, e-mail, lengths, consent),
and the document shows them from the same constants (``applicants.LIMITS``).
"""

from __future__ import annotations

from typing import Literal

from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from events.services.applicants import LIMITS, Applicant
from events.web.api_models import Answer, Count, DateTime, NullableDateTime, Uri

# --- the request ------------------------------------------------------------------------

Text = StrictStr | None  # null counts as empty, as in the form


def _rules(**rules) -> dict:
    """Content rules for the document only: ``applicants.validate`` enforces them."""
    return {"json_schema_extra": rules}


def _required_rules(schema: dict) -> None:
    schema["required"] = ["name", "email", "municipality", "consent"]
    for name in schema["required"]:  # required: a text, never null
        prop = schema["properties"][name]
        if "anyOf" in prop:
            prop.update(prop.pop("anyOf")[0])
    schema["dependentSchemas"] = {"accessibility_needs": {
        "if": {"properties": {"accessibility_needs": {"type": "string", "pattern": r"\S"}}},
        "then": {"required": ["accessibility_consent"],
                 "properties": {"accessibility_consent": {"const": True}}},
    }}


class RegistrationRequest(BaseModel):
    """A seat to reserve (German messages for every refused field)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_required_rules)

    name: Text = Field(None, **_rules(pattern=r"\S", maxLength=LIMITS["name"]))
    email: Text = Field(None, **_rules(format="email", maxLength=LIMITS["email"],
                                       pattern=r"^\s*[^@\s]+@[^@\s]+\s*$"))
    municipality: Text = Field(None, description="Kommune or Landkreis",
                               **_rules(pattern=r"\S", maxLength=LIMITS["municipality"]))
    role: Text = Field(None, description="Department or role",
                       **_rules(maxLength=LIMITS["role"]))
    consent: StrictBool = Field(False, description="Consent to the processing; must be true",
                                **_rules(const=True))
    remarks: Text = Field(None, **_rules(maxLength=LIMITS["remarks"]))
    accessibility_needs: Text = Field(
        None, description="Health data (Art. 9 DSGVO): stored only with "
                          "accessibility_consent",
        **_rules(maxLength=LIMITS["accessibility_needs"]))
    accessibility_consent: StrictBool = False

    def applicant(self) -> Applicant:
        texts = {name: getattr(self, name) or "" for name in
                 ("name", "email", "municipality", "role", "remarks", "accessibility_needs")}
        return Applicant(**texts, consent=self.consent,
                         accessibility_consent=self.accessibility_consent)


# --- the answers ------------------------------------------------------------------------


class Theme(Answer):
    slug: str
    name: str


class Venue(Answer):
    name: str | None
    address: str | None
    online: bool = Field(description="Online workshop; the link goes only to confirmed "
                                     "participants, by e-mail")


class Workshop(Answer):
    id: int
    slug: str
    title: str
    description: str
    theme: Theme
    starts_at: DateTime
    ends_at: DateTime
    venue: Venue
    capacity: Count
    seats_left: Count = Field(description="Capacity minus pending and confirmed seats")
    waitlist_length: Count
    registration_open: bool = Field(description="True also when full: new people then join "
                                                "the waiting list")
    registration_state: Literal["open", "not_yet_open", "closed", "past", "cancelled"]
    registration_opens_at: NullableDateTime
    registration_closes_at: DateTime
    status: Literal["published", "cancelled"]
    url: Uri


class WorkshopList(Answer):
    workshops: list[Workshop]


class Programme(Answer):
    name: str
    capacity: Count
    participants: Count = Field(description="Distinct people (by e-mail) holding a seat")
    places_left: Count


#: In the language of ``Accept-Language`` (German by default); per language the same bytes
#: for every address.
ACCEPTED_MESSAGE = _l("Vielen Dank, Ihre Anmeldung ist bei uns eingegangen. Alles Weitere "
                    "erfahren Sie per E-Mail: ob Ihr Platz reserviert ist (dann bestätigen "
                    "Sie ihn bitte über den Link in der E-Mail) oder ob Sie auf der "
                    "Warteliste stehen. Waren Sie schon angemeldet, schicken wir Ihnen "
                    "Ihren persönlichen Link. Bitte sehen Sie auch im Spam-Ordner nach.")


class RegistrationAccepted(Answer):
    """202, always the same body: new, pending, confirmed or waitlisted (issue 13).

    What happened reaches only the mailbox's owner, by e-mail and behind the
    personal link; the answer does not tell whether the address was known.
    """

    status: Literal["accepted"]
    message: str = Field(description="For people, in the language of Accept-Language (German "
                         "by default); the same for every address")


class Health(Answer):
    status: Literal["ok", "error"]
    database: Literal["ok", "unreachable"]
