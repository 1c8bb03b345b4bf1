"""Übersicht: the back office's start page with the programme's figures.

Each chart is inline SVG drawn by ``charts`` and stands next to a table of the same
figures. The figures come from ``services.figures`` in a fixed number of queries.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

from events.services import figures
from events.web.organiser import charts

bp = Blueprint("dashboard", __name__, url_prefix="")


def _period(day, weekly: bool) -> str:
    return (_("Woche ab %(day)s", day=day.strftime("%d.%m.%Y")) if weekly
            else day.strftime("%d.%m."))


@bp.get("/")
def index():
    data = figures.dashboard()
    if data is None:
        return render_template("organiser/dashboard/index.html", data=None)
    series = [_("bestätigt"), _("reserviert")]
    svg = {
        "workshops": charts.stacked(
            [(w.title, (w.confirmed, w.pending), w.capacity) for w in data.workshops], series,
            _("Belegung je Workshop als Balken; die Zahlen stehen in der Tabelle."),
            capacity_word=_("Kapazität")),
        "over_time": charts.columns(
            [(_period(day, data.weekly), n) for day, n in data.over_time],
            _("Anmeldungen im Zeitverlauf als Säulen; die Zahlen stehen in der Tabelle.")),
        "municipalities": charts.bars(data.municipalities, _(
            "Teilnehmende je Kommune als Balken; die Zahlen stehen in der Tabelle.")),
        "states": charts.bars(data.states, _(
            "Teilnehmende je Bundesland als Balken; die Zahlen stehen in der Tabelle.")),
        "themes": charts.bars(data.themes, _(
            "Teilnehmende je Thema als Balken; die Zahlen stehen in der Tabelle.")),
    }
    periods = [(_period(day, data.weekly), n) for day, n in data.over_time]
    return render_template("organiser/dashboard/index.html", data=data, svg=svg,
                           periods=periods)
