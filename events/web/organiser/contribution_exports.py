"""Export of the published practice examples (CSV for German Excel, XLSX) for organisers.

Behind the back office's gate (permission ``organise``, the blueprint's default).
Each export is written to the audit log: the file holds contact persons' details.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask_login import current_user

from events import formatting
from events.extensions import db
from events.models import utcnow
from events.services import audit, contribution_catalogue, contribution_export
from events.urls import base_url

bp = Blueprint("contribution_exports", __name__, url_prefix="/praxisbeispiele-export")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/")
def index():
    """What the export holds, with the two download links."""
    return render_template("organiser/contribution_exports/index.html",
                           count=contribution_catalogue.published_count())


def _file(fmt: str) -> Response:
    base = base_url()
    body, count = (contribution_export.to_xlsx(base) if fmt == "xlsx"
                   else contribution_export.to_csv(base))
    audit.record(current_user, "contribution.export", "contribution", None,
                 f"Export {fmt.upper()}: {count} veröffentlichte Praxisbeispiele",
                 after={"format": fmt, "rows": count})
    db.session.commit()
    name = f"praxisbeispiele-{formatting.local(utcnow()).date().isoformat()}.{fmt}"
    return Response(body, content_type=XLSX if fmt == "xlsx" else "text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/praxisbeispiele.csv")
def csv():
    return _file("csv")


@bp.get("/praxisbeispiele.xlsx")
def xlsx():
    return _file("xlsx")
