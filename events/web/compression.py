"""gzip for large text answers (HTML, JSON, calendars, feeds), when the client accepts it.

The catalogue of 500 workshops is some 400 KiB of HTML, the programme feed as much
iCalendar: compressed they are a tenth of that, which counts on slow municipal lines.
Bodies below ``MIN_SIZE`` (kept answers) or ``PER_REQUEST_MIN_SIZE`` (answers built
per request) are sent as they are (gzip would gain little), as are
downloads (files are passed through untouched) and answers already encoded. A
compressed answer says ``Vary: Accept-Encoding``, and its ETag becomes weak (the same
content in another encoding; conditional GETs compare weakly anyway).

Answers from the page cache (``events.web.page_cache``) are compressed once, when
they are kept; this hook compresses the rest.
"""

from __future__ import annotations

import gzip

from flask import Response, request
from werkzeug.http import parse_accept_header

MIN_SIZE = 1024
#: Answers built on every request are compressed from this size on: below it gzip costs
#: more time than the bytes it saves take on the wire (a workshop page with its form).
PER_REQUEST_MIN_SIZE = 32 * 1024
#: Kept answers are compressed once, thoroughly; the others on every request, quickly.
LEVEL = 6
FAST_LEVEL = 1
TEXT_TYPES = frozenset({"application/json", "application/xml", "application/atom+xml",
                        "application/javascript", "image/svg+xml"})


def worth_compressing(mimetype: str | None, size: int) -> bool:
    return size >= MIN_SIZE and bool(mimetype) and (
        mimetype.startswith("text/") or mimetype in TEXT_TYPES or mimetype.endswith("+json"))


def accepts_gzip(header: str | None = None) -> bool:
    """Whether the client takes gzip (``header``: Accept-Encoding, else the request's)."""
    if header is None:
        header = request.headers.get("Accept-Encoding", "")
    if "gzip" not in header:
        return False
    if "q=" not in header:  # the usual "gzip, deflate, br": no need to parse
        return True
    return parse_accept_header(header).quality("gzip") > 0


def compress(response: Response) -> Response:
    """``after_request``: gzip the body when it is large, textual and welcome."""
    if (response.status_code < 200 or response.status_code in (204, 206, 304)
            or response.direct_passthrough or response.is_streamed
            or "Content-Encoding" in response.headers
            or (response.content_length or 0) < PER_REQUEST_MIN_SIZE
            or not worth_compressing(response.mimetype, response.content_length or 0)
            or not accepts_gzip()):
        return response
    response.set_data(gzip.compress(response.get_data(), FAST_LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)
    return response
