"""Protokoll (being built)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

bp = Blueprint("audit_log", __name__, url_prefix="/protokoll")


@bp.get("/")
def index():
    return render_template("organiser/stub.html", title=_("Protokoll"))
