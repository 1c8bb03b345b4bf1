"""The pydantic models of the organiser API (``organiser.api``): its query parameters and
every answer. ``openapi_organiser`` documents exactly these models.

The query's rules and German messages stay the service's
(``registration_queries.parse_filters``, from the same ``MAX_*`` constants); the
query models then take the parsed values, so a drift between the two fails loudly.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from events.models import RegistrationStatus, Role, WorkshopStatus
from events.services.registration_queries import (
    DEFAULT_PER_PAGE,
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_QUERY,
)
from events.web.api_models import Answer, Count, DateTime, Email, NullableDateTime, Position

Status = Literal[tuple(status.value for status in RegistrationStatus)]  # type: ignore[valid-type]

# --- the query --------------------------------------------------------------------------


class IncludeQuery(BaseModel):
    """``?include=`` of every registration list."""

    model_config = ConfigDict(extra="forbid")

    include: Literal["accessibility"] | SkipJsonSchema[None] = Field(
        None, description="`accessibility` adds each person's accessibility needs (health "
                          "data); any other value is a 422")


class RegistrationsQuery(IncludeQuery):
    """The filters and the page of the programme's registrations."""

    status: Status | SkipJsonSchema[None] = None
    q: str = Field("", max_length=MAX_QUERY, description="Part of the name, e-mail address "
                                                         "or municipality (any case)")
    page: int = Field(1, ge=1, le=MAX_PAGE)
    per_page: int = Field(DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)


# --- the answers ------------------------------------------------------------------------

_POSITION_RULE = {
    "if": {"properties": {"status": {"const": "waitlisted"}}},
    "then": {"properties": {"waitlist_position": {"type": "integer"}}},
    "else": {"properties": {"waitlist_position": {"type": "null"}}},
}


class OrganiserRegistration(Answer):
    model_config = ConfigDict(json_schema_extra=_POSITION_RULE)

    id: int
    workshop_id: int
    workshop_title: str
    name: str
    email: Email
    municipality: str
    role: str = Field(description="Department or role; may be empty")
    status: Status
    registered_at: DateTime = Field(description="When the person (last) asked for a place: "
                                                "the waiting list's order")
    confirmed_at: NullableDateTime
    waitlist_position: Position | None = Field(description="Place on the workshop's waiting "
                                                           "list; null for every other status")
    attended_at: NullableDateTime = Field(description="Check-in on the day")
    remarks: str
    source: Literal["public", "organiser"] = Field(
        description="The form or public API, or added by an organiser")
    accessibility_needs: str | None = Field(
        None, description="Only with include=accessibility. Health data (Art. 9 DSGVO): use "
                          "only to organise the participation")

    @model_validator(mode="after")
    def _position_when_waitlisted(self):
        if (self.status == "waitlisted") != (self.waitlist_position is not None):
            raise ValueError("a waitlist position exactly when waitlisted")
        return self


class HealthDataAnswer(Answer):
    """An answer that may hold accessibility needs says so, with a notice."""

    model_config = ConfigDict(
        json_schema_extra={"dependentRequired": {"health_data": ["health_data_notice"]}})

    health_data: Literal[True] | SkipJsonSchema[None] = Field(
        None, description="Present (true) when the answer holds accessibility needs: health "
                          "data, Art. 9 DSGVO")
    health_data_notice: str | SkipJsonSchema[None] = Field(None,
                                                           description="German, for people")

    @model_validator(mode="after")
    def _notice_with_health_data(self):
        if self.health_data and not self.health_data_notice:
            raise ValueError("health_data needs its notice")
        return self


class RegisteredWorkshop(Answer):
    id: int
    title: str
    starts_at: DateTime
    ends_at: DateTime
    status: Literal[tuple(status.value for status in WorkshopStatus)]  # type: ignore[valid-type]
    capacity: Count


class WorkshopRegistrations(HealthDataAnswer):
    workshop: RegisteredWorkshop
    registrations: list[OrganiserRegistration] = Field(
        description="Seats first (pending, confirmed), then the waiting list in order, then "
                    "cancelled and expired")


class RegistrationPage(HealthDataAnswer):
    registrations: list[OrganiserRegistration] = Field(
        description="By workshop start, then time of request")
    page: Annotated[int, Field(ge=1)]
    per_page: Annotated[int, Field(ge=1, le=MAX_PER_PAGE)]
    total: Count = Field(description="Matching registrations on all pages")
    pages: Annotated[int, Field(ge=1)]


class Account(Answer):
    id: int
    name: str
    email: Email
    role: Literal[tuple(role.value for role in Role)]  # type: ignore[valid-type]
    active: bool
    invitation_open: bool = Field(description="Invited; no password set yet")
    last_login_at: NullableDateTime


class AccountList(Answer):
    accounts: list[Account]
