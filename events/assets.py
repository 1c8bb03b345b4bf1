"""KERN UX (npm ``@kern-ux/native``, pinned in package.json) served from our own host.

Floor 3: infrastructure, no rules. The files stay where ``npm ci`` puts them
(``node_modules/@kern-ux/native/dist``) and are served under ``/static/kern/``;
nothing is loaded from a CDN (a German court found loading a web font from a
third-party server a breach of the DSGVO). When the files are missing the pages
still work, plainly, and the log says how to install them.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, send_from_directory

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "node_modules" / "@kern-ux" / "native"
#: What the pages link to; all of it must exist for the KERN look.
REQUIRED = ("kern.min.css", "fonts/fira-sans.css")
#: A year: the URLs carry the package version, so a new version is a new URL.
MAX_AGE = 365 * 24 * 3600

bp = Blueprint("kern", __name__, url_prefix="/static/kern")


@bp.get("/<path:filename>")
def asset(filename: str):
    """A file from KERN's ``dist/`` folder; 404 when KERN is not installed."""
    dist = current_app.extensions["kern"]["dist"]
    if dist is None:
        abort(404)
    return send_from_directory(dist, filename, max_age=MAX_AGE)


def _version(package: Path) -> str:
    try:
        return json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return "unknown"


def register(app: Flask, package: Path | None = None) -> None:
    """Serve KERN if it is installed; otherwise say how to install it and go on plainly."""
    package = Path(app.config.get("KERN_PACKAGE") or package or PACKAGE)
    dist = package / "dist"
    available = all((dist / name).is_file() for name in REQUIRED)
    if not available:
        log.warning("KERN UX assets not found in %s: the pages work, but without the KERN "
                    "look. Install them with `npm ci` in %s (see package.json).", dist, ROOT)
    app.extensions["kern"] = {
        "dist": str(dist) if available else None,
        "available": available,
        "version": _version(package) if available else None,
    }
    app.register_blueprint(bp)
