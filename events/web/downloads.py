"""Sending a stored attachment: always as a download, never sniffed or shown inline."""

from __future__ import annotations

import json

from flask import Response, abort, send_file

from events.models import Attachment
from events.services import attachments


def download(item: Attachment):
    """``send_file`` with a safe ``Content-Disposition`` and ``nosniff``; 404 when missing."""
    try:
        path = attachments.path_for(item.storage_key)
    except FileNotFoundError:
        abort(404)
    response = send_file(path, mimetype=item.content_type, as_attachment=True,
                         download_name=item.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def json_download(data: dict, filename: str) -> Response:
    """A JSON attachment (UTF-8, indented: readable by people and programs), not cached."""
    response = Response(json.dumps(data, ensure_ascii=False, indent=2),
                        mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
