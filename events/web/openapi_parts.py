"""Pieces of the OpenAPI document shared by its modules (``openapi`` and the
``openapi_*`` modules of each API): common schemas and the builders of answers."""

from __future__ import annotations

NULLABLE_STRING = {"type": ["string", "null"]}
DATETIME = {"type": "string", "format": "date-time",
            "description": "ISO 8601 with the programme's UTC offset (Berlin: +01:00 or +02:00)"}
TEXT = {"type": "string", "pattern": r"\S"}  # not empty, not only white space


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


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
    schema = {"allOf": [_ref("Error"), {"properties": {"error": detail}}]}
    return _json(description, schema, headers)


RETRY_AFTER = {"Retry-After": {"description": "Seconds until the next attempt may succeed",
                               "schema": {"type": "integer"}}}


def unavailable() -> dict:
    """503: the database does not answer (restart, failover); nothing was saved."""
    return _error("The database does not answer for a moment; nothing was saved. No details "
                  "are given out", "database_unavailable", headers=RETRY_AFTER)
