"""Workshops (being built)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

bp = Blueprint("workshops", __name__, url_prefix="/workshops")


@bp.get("/")
def index():
    return render_template("organiser/stub.html", title=_("Workshops"))
