"""Teilnehmende (being built)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

bp = Blueprint("attendees", __name__, url_prefix="/teilnehmende")


@bp.get("/")
def programme():
    return render_template("organiser/stub.html", title=_("Teilnehmende"))
