"""Check-in (being built)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

bp = Blueprint("checkin", __name__, url_prefix="/check-in")


@bp.get("/")
def index():
    return render_template("organiser/stub.html", title=_("Check-in"))
