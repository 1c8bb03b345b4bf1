"""Printable documents of a workshop: sign-in sheet, name badges, certificates (being built)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("documents", __name__, url_prefix="/dokumente")
