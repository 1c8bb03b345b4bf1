"""Teilnehmende: lists per workshop and for the programme, exports, one registration's page.

HTTP only: the list comes from ``services.attendee_lists``, the files from
``services.exports``; the seat actions (``attendee_actions``) add their routes to
this blueprint. Bad query parameters never fail: the list falls back to defaults.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_login import current_user

from events import formatting
from events.extensions import db
from events.models import Workshop, utcnow
from events.services import attendee_lists, audit, catalogue, exports
from events.services.attendee_lists import STATUS_LABELS, ListQuery
from events.services.seat_admin import MAX_ID

bp = Blueprint("attendees", __name__, url_prefix="/teilnehmende")

#: The query parameter that adds the accessibility column to an export.
HEALTH_PARAM = "gesundheitsdaten"
def _workshop(workshop_id: int) -> Workshop:
    workshop = attendee_lists.workshop_or_none(workshop_id)
    if workshop is None:
        abort(404)
    return workshop


def _programme_query() -> ListQuery:
    programme = catalogue.current_programme()
    return ListQuery.from_params(request.args,
                                 programme_id=programme.id if programme else None)


def workshop_detail_url(workshop_id: int) -> str:
    """The workshop's back-office page (its hub)."""
    if "organiser.workshops.detail" in current_app.view_functions:
        return url_for("organiser.workshops.detail", workshop_id=workshop_id)
    return f"/organiser/workshops/{workshop_id}"  # until the workshops pages exist


def short(value: datetime | None) -> str:
    """``12.01.2027 10:00`` in the programme's time zone; empty for None (table cells)."""
    return formatting.local(value).strftime("%d.%m.%Y %H:%M") if value else ""


def _render_list(query: ListQuery, workshop: Workshop | None):
    result = attendee_lists.page(query)

    def link(**changes) -> str:
        return url_for(request.endpoint, **(request.view_args or {}),
                       **result.query.params(**changes))

    return render_template(
        "organiser/attendees/list.html", result=result, query=result.query, workshop=workshop,
        statuses=STATUS_LABELS, health_param=HEALTH_PARAM, link=link, short=short,
        workshop_url=workshop_detail_url(workshop.id) if workshop else None)


@bp.get("/")
def programme():
    """Every registration of the (current) programme."""
    return _render_list(_programme_query(), None)


@bp.get(f"/workshop/<int(max={MAX_ID}):workshop_id>")
def workshop(workshop_id: int):
    workshop = _workshop(workshop_id)
    query = ListQuery.from_params(request.args, workshop_id=workshop_id)
    return _render_list(query, workshop)


# --- exports ----------------------------------------------------------------------------


def _export(query: ListQuery, workshop: Workshop | None, slug: str, when: date):
    """The file of ``query`` (all pages) in ``format`` (csv, xlsx); the export is audited."""
    fmt = "xlsx" if request.args.get("format") == "xlsx" else "csv"
    health = request.args.get(HEALTH_PARAM) in {"1", "y", "on", "true"}
    rows = attendee_lists.all_rows(query)
    cols = exports.columns(with_workshop=workshop is None, with_health_data=health)
    title = workshop.title if workshop else "Teilnehmende"
    body = (exports.to_xlsx(rows, cols, title) if fmt == "xlsx" else exports.to_csv(rows, cols))
    audit.record(current_user, "attendees.export", "workshop" if workshop else "programme",
                 workshop.id if workshop else query.programme_id,
                 f"Export {fmt.upper()}: {len(rows)} Zeilen"
                 + (" mit Gesundheitsdaten" if health else ""),
                 after={"format": fmt, "rows": len(rows), "health_data": health,
                        "filter": query.describe()})
    db.session.commit()
    name = f"teilnehmende-{slug}-{when.isoformat()}.{fmt}"
    mimetype = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                if fmt == "xlsx" else "text/csv; charset=utf-8")
    return Response(body, content_type=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/export")
def programme_export():
    query = _programme_query()
    programme = catalogue.current_programme()
    return _export(query, None, programme.slug if programme else "programm",
                   formatting.local(utcnow()).date())


@bp.get(f"/workshop/<int(max={MAX_ID}):workshop_id>/export")
def workshop_export(workshop_id: int):
    workshop = _workshop(workshop_id)
    query = ListQuery.from_params(request.args, workshop_id=workshop_id)
    return _export(query, workshop, workshop.slug, formatting.local(workshop.starts_at).date())

