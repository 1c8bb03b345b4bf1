"""Organisers export the published practice examples: CSV for German Excel and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from events.extensions import db
from events.models import AuditEntry, ContributionState
from tests.contribution_support import corpus, make_contribution  # noqa: F401
from tests.pages_support import main

BASE = "/organiser/praxisbeispiele-export"


@pytest.fixture
def examples(make_contribution, make_workshop):  # noqa: F811
    workshop = make_workshop(title="Ausbildung gestalten")
    make_contribution(slug="koeln", title="Willkommen in Köln", municipality="Stadt Köln",
                      results="Lotsen: 40\nBegleitungen: 300", contact_name="Maria Muster",
                      contact_email="maria@koeln.example", workshops=[workshop])
    make_contribution(slug="formel", title="=HYPERLINK(\"http://böse.example\";\"klick\")",
                      municipality="@Gemeinde", summary="-1+2", partners="+49 Partner",
                      federal_state="Sachsen", body_kind="gemeinde")
    make_contribution(slug="weg", title="Zurückgezogen", state=ContributionState.withdrawn)


@pytest.mark.backends
def test_csv_for_german_excel(organiser_client, examples):
    response = organiser_client.get(f"{BASE}/praxisbeispiele.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="praxisbeispiele-')
    raw = response.data
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    header, *body = rows
    assert header[:4] == ["Titel", "Kommune oder Einrichtung", "Bundesland",
                          "Art der Einrichtung"]
    by_title = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert set(by_title) == {"Willkommen in Köln", "'=HYPERLINK(\"http://böse.example\";\"klick\")"}
    koeln = by_title["Willkommen in Köln"]
    assert koeln["Ergebnisse und Kennzahlen"] == "Lotsen: 40\nBegleitungen: 300"
    assert koeln["Ansprechperson"] == "Maria Muster" and koeln["Kontakt öffentlich"] == "nein"
    assert koeln["Vorgestellt in"] == "Ausbildung gestalten"
    assert koeln["Adresse"] == "http://praxis.test/praxisbeispiele/koeln"
    assert koeln["Veröffentlicht am"].count(".") == 2  # TT.MM.JJJJ HH:MM
    formula = by_title["'=HYPERLINK(\"http://böse.example\";\"klick\")"]
    assert formula["Kommune oder Einrichtung"] == "'@Gemeinde"
    assert formula["Kurzbeschreibung"] == "'-1+2" and formula["Partner"] == "'+49 Partner"
    assert formula["Art der Einrichtung"] == "Gemeinde"


def test_xlsx(organiser_client, examples):
    response = organiser_client.get(f"{BASE}/praxisbeispiele.xlsx")
    assert response.status_code == 200
    assert response.mimetype == ("application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == "Praxisbeispiele" and sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[0] == "Titel" and sheet["A1"].font.bold
    titles = sorted(row[0] for row in rows[1:])
    assert titles == ["'=HYPERLINK(\"http://böse.example\";\"klick\")", "Willkommen in Köln"]
    published = header.index("Veröffentlicht am")
    assert all(isinstance(row[published], datetime) for row in rows[1:])
    assert all(cell.data_type != "f" for line in sheet.iter_rows() for cell in line)


def test_each_export_is_in_the_audit_log(organiser_client, examples):
    organiser_client.get(f"{BASE}/praxisbeispiele.csv")
    organiser_client.get(f"{BASE}/praxisbeispiele.xlsx")
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "contribution.export").order_by(AuditEntry.id)).all()
    assert [e.after["format"] for e in entries] == ["csv", "xlsx"]
    assert entries[0].summary == "Export CSV: 2 veröffentlichte Praxisbeispiele"
    assert entries[0].actor_id == organiser_client.organiser.id


def test_export_page_and_the_gate(client, organiser_client, examples):
    text = main(organiser_client.get(f"{BASE}/").get_data(as_text=True))
    assert "2 veröffentlichte Praxisbeispiele" in text and "Als Excel-Datei (XLSX)" in text
    for url in (f"{BASE}/", f"{BASE}/praxisbeispiele.csv", f"{BASE}/praxisbeispiele.xlsx"):
        response = client.get(url)  # not logged in
        assert response.status_code in (302, 303) and "/organiser/login" in response.location


def test_empty_export_has_the_header_only(organiser_client):
    raw = organiser_client.get(f"{BASE}/praxisbeispiele.csv").data.decode("utf-8-sig")
    assert raw.count("\r\n") == 1 and raw.startswith("Titel;")
