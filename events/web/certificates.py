"""Public check of a certificate of attendance: ``/bescheinigung/<code>`` (being built)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("certificates", __name__)
