"""Programm (being built)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

bp = Blueprint("programme", __name__, url_prefix="/programm")


@bp.get("/")
def settings():
    return render_template("organiser/stub.html", title=_("Programm"))
