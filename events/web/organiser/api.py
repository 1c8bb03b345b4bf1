"""The organiser API under ``/api/v1/organiser`` with bearer tokens (being built)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("organiser_api", __name__, url_prefix="/api/v1/organiser")
