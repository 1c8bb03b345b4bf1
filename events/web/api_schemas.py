"""The pydantic models of the workshops API (``api``) and of ``/healthz``: the request
body of a registration and every answer. ``openapi`` documents exactly these models.

The registration body's model checks *types* and refuses unknown fields; the content
rules stay the service's (``applicants.validate``: required, e-mail, lengths, consent),
and the document shows them from the same constants (``applicants.LIMITS``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, model_validator

from events.services.applicants import LIMITS, Applicant
from events.web.api_models import Answer, Count, DateTime, NullableDateTime, Position, Uri

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


_STATUS_RULES = [
    {"if": {"properties": {"status": {"const": "waitlisted"}}},
     "then": {"properties": {"waitlist_position": {"type": "integer"}}},
     "else": {"properties": {"waitlist_position": {"type": "null"}}}},
    {"if": {"properties": {"status": {"const": "pending"}}},
     "then": {"required": ["confirm_by"]},
     "else": {"not": {"required": ["confirm_by"]}}},
]


class RegistrationStatus(Answer):
    """The status of a registration after a POST (the personal link is never here)."""

    model_config = ConfigDict(json_schema_extra={"allOf": _STATUS_RULES})

    status: Literal["pending", "confirmed", "waitlisted"]
    waitlist_position: Position | None = Field(description="Place on the waiting list; "
                                                           "null otherwise")
    created: bool
    message: str = Field(description="German, for people")
    confirm_by: DateTime = Field(None, description="Deadline of a pending reservation")

    @model_validator(mode="after")
    def _consistent(self):
        """The ``allOf`` rules above, for the answers this code builds."""
        if (self.status == "waitlisted") != (self.waitlist_position is not None):
            raise ValueError("a waitlist position exactly when waitlisted")
        if (self.status == "pending") != ("confirm_by" in self.model_fields_set):
            raise ValueError("confirm_by exactly when pending")
        return self


class NewRegistration(RegistrationStatus):
    """201: a new registration, pending (an e-mail asks to confirm) or waitlisted."""

    status: Literal["pending", "waitlisted"]
    created: Literal[True]


class RepeatedRegistration(RegistrationStatus):
    """200: already registered; the current status."""

    created: Literal[False]


class Health(Answer):
    status: Literal["ok", "error"]
    database: Literal["ok", "unreachable"]
