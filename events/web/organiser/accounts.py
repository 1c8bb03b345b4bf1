"""Konten (being built)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

bp = Blueprint("accounts", __name__, url_prefix="/konten")


@bp.get("/")
def index():
    return render_template("organiser/stub.html", title=_("Konten"))


@bp.get("/tokens")
def tokens():
    return render_template("organiser/stub.html", title=_("API-Tokens"))


@bp.post("/tokens")
def token_create():
    return render_template("organiser/stub.html", title=_("API-Tokens"))


@bp.post("/tokens/<int:token_id>/widerrufen")
def token_revoke(token_id: int):
    return render_template("organiser/stub.html", title=_("API-Tokens"))
