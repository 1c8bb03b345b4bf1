"""``GET /api/v1/contributions`` and ``GET /api/v1/contributions/{id}``: the published examples.

The query is validated by the pydantic model ``ContributionQuery`` and the answers are
built through the pydantic models below; ``openapi_contributions`` documents exactly
these models, so the document, the validation and the answers cannot drift apart.
``state`` is the **federal state** (Bundesland) filter — named as the issue asked; the
moderation state is never exposed: only published examples exist here. Errors are
``{"error": {"code", "message", "fields"?}}``; 422 names each bad parameter in German.
"""

from __future__ import annotations

from typing import Annotated, Literal

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as SchemaError

from events import formatting
from events.extensions import csrf
from events.models import FEDERAL_STATES, BodyKind
from events.search_index import MAX_QUERY_CHARS
from events.services import contribution_catalogue, contribution_search, markdown
from events.services.contribution_input import body_kind_labels
from events.services.contribution_search import MAX_PAGE, PER_PAGE, Filters
from events.services.errors import InvalidInput, NotFound
from events.urls import base_url
from events.web.api_common import OTHER_PROBLEM, json_errors, schema_fields

bp = json_errors(Blueprint("api_contributions", __name__, url_prefix="/api"))
csrf.exempt(bp)  # read only, no cookie-based authority

DateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Uri = Annotated[str, Field(json_schema_extra={"format": "uri"})]
Kind = Literal[tuple(kind.value for kind in BodyKind)]  # type: ignore[valid-type]
State = Literal[FEDERAL_STATES]  # type: ignore[valid-type]


class ContributionQuery(BaseModel):
    """Parameters of the list; unknown parameters are ignored, as on /api/v1/workshops."""

    model_config = ConfigDict(extra="ignore", title="ContributionQuery")

    q: str = Field("", max_length=MAX_QUERY_CHARS,
                   description="Search words (German-aware: umlauts, word forms by prefix); "
                               "all must occur. Best hits first; without words newest first")
    theme: str | None = Field(None, max_length=100, description="A theme's slug")
    state: State | None = Field(None, description="Federal state (Bundesland), e.g. "
                                                  "Nordrhein-Westfalen — not a moderation "
                                                  "state: only published examples are listed")
    kind: Kind | None = Field(None, description="Kind of body")
    page: int = Field(1, ge=1, le=MAX_PAGE, description=f"{PER_PAGE} per page")


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ThemeRef(_Answer):
    slug: str
    name: str


class ContributionSummary(_Answer):
    id: int
    slug: str
    title: str
    municipality: str
    federal_state: State | None
    body_kind: Kind
    body_kind_label: str = Field(description="German")
    themes: list[ThemeRef]
    summary: str
    published_at: DateTime
    url: Uri


class FacetCount(_Answer):
    value: str
    label: str
    count: int = Field(ge=1)


class Facets(_Answer):
    """Hits per value; each facet counted with the other filters (not its own) applied."""

    theme: list[FacetCount]
    state: list[FacetCount]
    kind: list[FacetCount]


class ContributionList(_Answer):
    contributions: list[ContributionSummary]
    total: int = Field(ge=0)
    page: int = Field(ge=1)
    per_page: int = Field(ge=1)
    facets: Facets


class Contact(_Answer):
    name: str | None
    email: str | None
    phone: str | None


class AttachmentRef(_Answer):
    id: int
    filename: str
    content_type: str
    size: int = Field(ge=0, description="Bytes")
    url: Uri


class WorkshopRef(_Answer):
    id: int
    slug: str
    title: str
    starts_at: DateTime
    status: Literal["published", "cancelled"]
    url: Uri


class ContributionDetail(ContributionSummary):
    description: str = Field(description="Markdown as written")
    description_html: str = Field(description="The description rendered and sanitised")
    results: list[str] = Field(description="Results and figures, one per entry")
    partners: str
    links: list[str]
    contact: Contact | None = Field(description="Only with the contact person's consent")
    attachments: list[AttachmentRef]
    workshops: list[WorkshopRef] = Field(description="Where it was presented")


# --- answers --------------------------------------------------------------------------------


def _url(path: str) -> str:
    return f"{base_url()}{path}"


def summary(c, labels: dict[str, str]) -> dict:
    return {
        "id": c.id, "slug": c.slug, "title": c.title, "municipality": c.municipality,
        "federal_state": c.federal_state or None, "body_kind": c.body_kind.value,
        "body_kind_label": labels.get(c.body_kind.value, c.body_kind.value),
        "themes": [{"slug": t.slug, "name": t.name} for t in c.themes],
        "summary": c.summary, "published_at": formatting.isoformat_local(c.published_at),
        "url": _url(f"/praxisbeispiele/{c.slug}"),
    }


def detail(c, labels: dict[str, str]) -> dict:
    return {
        **summary(c, labels),
        "description": c.description or "",
        "description_html": str(markdown.render(c.description)),
        "results": c.result_lines, "partners": c.partners or "",
        "links": contribution_catalogue.public_links(c),
        "contact": contribution_catalogue.public_contact(c),
        "attachments": [{"id": a.id, "filename": a.filename, "content_type": a.content_type,
                         "size": a.size,
                         "url": _url(f"/praxisbeispiele/{c.slug}/anhang/{a.id}")}
                        for a in c.attachments],
        "workshops": [{"id": w.id, "slug": w.slug, "title": w.title,
                       "starts_at": formatting.isoformat_local(w.starts_at),
                       "status": w.status.value, "url": _url(f"/workshops/{w.slug}")}
                      for w in contribution_catalogue.public_workshops(c)],
    }


QUERY_MESSAGES = {
    "q": f"Höchstens {MAX_QUERY_CHARS} Zeichen.",
    "theme": "Dieses Thema gibt es nicht.",
    "state": "Erwartet wird eines der 16 Bundesländer, zum Beispiel Nordrhein-Westfalen.",
    "kind": "Erwartet wird eine dieser Arten: "
            + ", ".join(kind.value for kind in BodyKind) + ".",
    "page": f"Erwartet wird eine ganze Zahl von 1 bis {MAX_PAGE}.",
}


def parse_query(args) -> ContributionQuery:
    """The query string as a ``ContributionQuery``; ``InvalidInput`` naming each bad one."""
    values = {name: args.get(name) for name in ContributionQuery.model_fields
              if args.get(name) not in (None, "")}
    try:
        query = ContributionQuery.model_validate(values)
    except SchemaError as error:
        fields = schema_fields(error,
                               lambda name, _kind: QUERY_MESSAGES.get(name, OTHER_PROBLEM))
        raise InvalidInput(dict(sorted(fields.items()))) from None
    if query.theme and not contribution_catalogue.theme_exists(query.theme):
        raise InvalidInput({"theme": QUERY_MESSAGES["theme"]})
    return query


@bp.get("/v1/contributions")
def list_contributions():
    """Published examples matching the query, one page; 422 for bad parameters."""
    query = parse_query(request.args)
    labels = body_kind_labels()
    result = contribution_search.search(
        query.q.replace("\x00", ""),
        Filters(theme=query.theme, federal_state=query.state, kind=query.kind),
        page=query.page, kind_labels=labels)
    facets = {api: [{"value": f.value, "label": f.label, "count": f.count}
                    for f in result.facets[key]]
              for api, key in (("theme", "theme"), ("state", "federal_state"), ("kind", "kind"))}
    body = ContributionList.model_validate({
        "contributions": [summary(c, labels) for c in result.items], "total": result.total,
        "page": result.page, "per_page": result.per_page, "facets": facets})
    return jsonify(body.model_dump(mode="json"))


@bp.get("/v1/contributions/<int:contribution_id>")
def get_contribution(contribution_id: int):
    """One published example; 404 for every other id."""
    contribution = contribution_catalogue.get_published_by_id(contribution_id)
    if contribution is None:
        raise NotFound("Dieses Praxisbeispiel gibt es nicht oder es ist nicht veröffentlicht.")
    body = ContributionDetail.model_validate(detail(contribution, body_kind_labels()))
    return jsonify(body.model_dump(mode="json"))
