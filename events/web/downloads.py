"""Sending a stored attachment: always as a download, never sniffed or shown inline."""

from __future__ import annotations

from flask import abort, send_file

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
