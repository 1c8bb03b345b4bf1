"""Pieces of the OpenAPI document shared by its modules (``openapi`` and the
``openapi_*`` modules of each API): the components and parameters generated from the
pydantic models, and the builders of answers."""

from __future__ import annotations

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from events.web.api_models import Error

REF = "#/components/schemas/{model}"


class AnswerSchema(GenerateJsonSchema):
    """JSON schema without ``default``: in an answer a field with a default is one the
    answer may leave out (``api_models.answer``); in a request the document says what
    is required, and the service fills in the rest."""

    def default_schema(self, schema):
        return self.generate_inner(schema["schema"])


def components(*models: type[BaseModel], mode: str = "serialization") -> dict:
    """Each model's JSON schema (and its nested models') as ``components/schemas``,
    named by class; the same name twice with different schemas is a ValueError.
    ``mode="validation"`` for a request body's model."""
    schemas: dict = {}
    for model in models:
        schema = model.model_json_schema(ref_template=REF, mode=mode,
                                         schema_generator=AnswerSchema)
        for name, part in {**schema.pop("$defs", {}), model.__name__: schema}.items():
            if schemas.setdefault(name, part) != part:
                raise ValueError(f"two schemas named {name}")
    return schemas


def merge_components(*groups: dict) -> dict:
    """The components of several modules; one name with two schemas is a ValueError."""
    merged: dict = {}
    for group in groups:
        for name, schema in group.items():
            if merged.setdefault(name, schema) != schema:
                raise ValueError(f"two schemas named {name}")
    return merged


def query_parameters(model: type[BaseModel]) -> list[dict]:
    """The query parameters a model validates: its fields, with their constraints."""
    schema = model.model_json_schema()
    parameters = []
    for name, prop in schema["properties"].items():
        parameter = {"name": name, "in": "query", "required": name in schema.get("required", ())}
        if "description" in prop:
            parameter["description"] = prop.pop("description")
        parameter["schema"] = {key: value for key, value in prop.items()
                               if key != "title" and not (key == "default" and value is None)}
        parameters.append(parameter)
    return parameters


def ref(model: type[BaseModel] | str) -> dict:
    name = model if isinstance(model, str) else model.__name__
    return {"$ref": REF.format(model=name)}


def _json(description: str, schema: dict, headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        answer["headers"] = headers
    return answer


def _error(description: str, code: str, *, fields: bool = False,
           headers: dict | None = None) -> dict:
    """An ``Error`` answer whose ``error.code`` is exactly ``code``."""
    detail = {"properties": {"code": {"const": code}}}
    if fields:
        detail["required"] = ["fields"]
    schema = {"allOf": [ref(Error), {"properties": {"error": detail}}]}
    return _json(description, schema, headers)


#: The request header that chooses the language of the answer's messages and, kept with
#: the registration or contribution, of every e-mail and calendar file to the person.
ACCEPT_LANGUAGE = {
    "name": "Accept-Language", "in": "header", "required": False,
    "schema": {"type": "string", "examples": ["en", "de-DE,de;q=0.9"]},
    "description": "de or en, else German: the language of the messages in the answer and, "
                   "stored with the registration or contribution, of every e-mail (and "
                   "calendar file) the person receives. Registering again takes the new "
                   "choice."}

RETRY_AFTER = {"Retry-After": {"description": "Seconds until the next attempt may succeed",
                               "schema": {"type": "integer"}}}


def unavailable() -> dict:
    """503: the database does not answer (restart, failover); nothing was saved."""
    return _error("The database does not answer for a moment; nothing was saved. No details "
                  "are given out", "database_unavailable", headers=RETRY_AFTER)
