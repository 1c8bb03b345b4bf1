"""``POST /api/v1/contributions``: the same submission as the form, as JSON.

The body is checked by the pydantic model ``ContributionRequest`` (types; unknown
fields refused), whose JSON schema is also what the OpenAPI document shows
(``openapi_contributions_submit``), so the two cannot drift apart. Content rules
are the service's (``contribution_input.check``), as for the form. Answers 202:
the contribution exists but waits for the e-mail to be verified (double opt-in)
and for moderation; the private link only travels by e-mail. Files are only
taken by the form.
"""

from __future__ import annotations

from typing import Literal

from flask import Blueprint, jsonify
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr
from pydantic import ValidationError as SchemaError

from events import locales
from events.extensions import csrf, db, limiter
from events.services import contributions
from events.services.contribution_input import Submission
from events.services.errors import InvalidInput
from events.web.api_common import NOT_AN_OBJECT, json_body, json_errors, schema_fields
from events.web.api_models import Answer, answer
from events.web.common import registration_limit

bp = json_errors(Blueprint("api_contributions_submit", __name__, url_prefix="/api"))
csrf.exempt(bp)  # no cookie-based authority here; the body is JSON, not a form

ACCEPTED_MESSAGE = _l("Vielen Dank! Bitte bestätigen Sie Ihre E-Mail-Adresse über den Link in "
                    "unserer E-Mail; erst danach prüfen wir das Praxisbeispiel.")


class ContributionRequest(BaseModel):
    """A practice example to submit (German messages for refused content)."""

    model_config = ConfigDict(extra="forbid", title="ContributionRequest")

    title: StrictStr = Field(max_length=1000)
    municipality: StrictStr = Field(max_length=1000)
    federal_state: StrictStr = Field("", description="One of the 16 federal states, or empty")
    body_kind: StrictStr = Field(description="stadt, kreisfreie_stadt, landkreis, gemeinde, "
                                             "kommunaler_verband, freier_traeger or partner")
    themes: list[StrictInt] = Field(min_length=1, max_length=50,
                                    description="Ids of the programme's themes")
    summary: StrictStr = Field(max_length=5000, description="At most 600 characters")
    description: StrictStr = Field("", max_length=100_000, description="Markdown, at most "
                                                                        "20,000 characters")
    results: StrictStr = Field("", max_length=20_000, description="One result per line")
    partners: StrictStr = Field("", max_length=20_000)
    links: list[StrictStr] = Field([], max_length=20, description="http(s) addresses")
    contact_name: StrictStr = ""
    contact_email: StrictStr = ""
    contact_phone: StrictStr = ""
    contact_public: StrictBool = Field(False, description="The contact person agreed to be "
                                                          "shown publicly")
    workshops: list[StrictInt] = Field([], max_length=50, description="Ids of workshops where "
                                                                      "it was presented")
    submitter_name: StrictStr = Field(max_length=1000)
    submitter_email: StrictStr = Field(max_length=1000)
    consent: StrictBool = Field(description="Consent to processing; must be true")

    def submission(self) -> Submission:
        data = self.model_dump()
        return Submission(**{k: v for k, v in data.items()
                             if k not in ("themes", "workshops", "links")},
                          theme_ids=data["themes"], workshop_ids=data["workshops"],
                          links="\n".join(data["links"]),
                          language=locales.current())  # Accept-Language


class ContributionAccepted(Answer):
    """202: the contribution waits for its e-mail address to be confirmed."""

    id: int
    state: Literal["submitted"]
    verified: Literal[False] = Field(description="The e-mail address still has to be "
                                                 "confirmed through the mailed link")
    message: str = Field(description="German, for people")


def parse(data) -> ContributionRequest:
    """The body as a ``ContributionRequest``; ``InvalidInput`` naming every bad field."""
    if not isinstance(data, dict):
        raise InvalidInput({"body": NOT_AN_OBJECT})
    try:
        return ContributionRequest.model_validate(data)
    except SchemaError as error:
        raise InvalidInput(schema_fields(error)) from None


@bp.post("/v1/contributions")
@limiter.limit(registration_limit)
def submit():
    """202 accepted (verify by e-mail), 400 bad JSON, 415 not JSON, 422 fields, 429."""
    contribution = contributions.submit(parse(json_body()).submission())
    db.session.commit()
    return jsonify(answer(ContributionAccepted, {
        "id": contribution.id, "state": contribution.state.value, "verified": False,
        "message": str(ACCEPTED_MESSAGE)})), 202
