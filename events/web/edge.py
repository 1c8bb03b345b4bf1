"""Checks at the edge, before any view: what no view can store or look up is refused here.

- Integers in URL paths are bounded to what the id columns hold: they are ``INTEGER``,
  32 bits on PostgreSQL (SQLite would take 64), so a larger number is simply a page that
  does not exist (404), never an overflow ("integer out of range") deep inside.
- Path segments with control characters (NUL above all: PostgreSQL refuses it in text)
  are 404. On the JSON API, query parameters with them are refused with a 422 naming the
  parameter, whatever the view would have done with them; the HTML pages' forms and
  filters explain such values next to their own fields.
"""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

from events.services.errors import InvalidInput
from events.services.text import UNSTORABLE
from events.services.text import UNSTORABLE_MESSAGE as MESSAGE

#: The largest id the id columns hold on both databases (PostgreSQL's INTEGER).
MAX_ID = 2**31 - 1


class BoundedInteger(IntegerConverter):
    """``<int:…>`` that matches only numbers a database id can be (else: 404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def install_converters(app: Flask) -> None:
    """Before any route is added: ``int`` in every rule becomes ``BoundedInteger``."""
    app.url_map.converters["int"] = BoundedInteger


def refuse_unstorable_text() -> None:
    """``before_request``: 404 for such path segments, 422 for such API query parameters."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and UNSTORABLE.search(value):
            abort(404)
    if not request.path.startswith("/api/"):
        return
    bad = sorted({name for name, value in request.args.items(multi=True)
                  if UNSTORABLE.search(value) or UNSTORABLE.search(name)})
    if bad:
        raise InvalidInput({UNSTORABLE.sub("?", name)[:60]: str(MESSAGE) for name in bad})
