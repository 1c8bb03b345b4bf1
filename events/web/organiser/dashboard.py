"""Übersicht (being built)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

bp = Blueprint("dashboard", __name__, url_prefix="")


@bp.get("/")
def index():
    return render_template("organiser/stub.html", title=_("Übersicht"))
