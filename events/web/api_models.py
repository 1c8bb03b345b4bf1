"""What every JSON API's pydantic models share: the strict answer base, date-time and
URI strings, the error body, and the dump that builds an answer through its model.

Answers are built as ``answer(Model, data)``: the data is validated against the very
model the OpenAPI document shows (``openapi_parts.components``), so an answer that does
not fit its documented schema fails loudly (in the tests) instead of drifting. A field
with a default is *optional in the answer*: it appears only when the builder set it
(``exclude_unset``), never as ``null`` nobody asked for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema


def _with_offset(value: str) -> str:
    """ISO 8601 with a UTC offset; ValueError otherwise."""
    if datetime.fromisoformat(value).utcoffset() is None:
        raise ValueError("date-time without UTC offset")
    return value


DateTime = Annotated[str, AfterValidator(_with_offset), Field(
    json_schema_extra={"format": "date-time"},
    description="ISO 8601 with the programme's UTC offset (Berlin: +01:00 or +02:00)")]
NullableDateTime = Annotated[DateTime | None, Field(
    description="ISO 8601 with the programme's UTC offset (Berlin: +01:00 or +02:00)")]
Uri = Annotated[str, Field(json_schema_extra={"format": "uri"})]
Email = Annotated[str, Field(json_schema_extra={"format": "email"})]
Position = Annotated[int, Field(ge=1)]
Count = Annotated[int, Field(ge=0)]


class Answer(BaseModel):
    """An answer body: exactly these fields (``additionalProperties: false``)."""

    model_config = ConfigDict(extra="forbid")


def answer(model: type[Answer], data: dict) -> dict:
    """``data`` validated by ``model`` and dumped as JSON values; fields with a default
    appear only when ``data`` has them. Raises ``pydantic.ValidationError`` when the
    answer does not fit its model (a bug: the document would lie)."""
    return model.model_validate(data).model_dump(mode="json", exclude_unset=True)


class ErrorDetail(Answer):
    code: str = Field(description="Stable, for programs", examples=["invalid_input"])
    message: str = Field(description="German, for people")
    fields: Annotated[dict[str, str], Field(min_length=1)] | SkipJsonSchema[None] = Field(
        None, description="Field name → German message (422 only)")


class Error(Answer):
    """Every error of every JSON API: ``{"error": {"code", "message", "fields"?}}``."""

    error: ErrorDetail
