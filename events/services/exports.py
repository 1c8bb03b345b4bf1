"""Attendee lists as files: CSV that German Excel opens directly, and XLSX.

CSV: UTF-8 with BOM (Excel then reads the umlauts right), ``;`` between fields
(German Excel's list separator), CRLF line ends, dates ``TT.MM.JJJJ HH:MM`` in the
programme's time zone. XLSX (openpyxl): bold, frozen header row, column widths,
dates as real date cells in local time with a German number format.

Formula injection (OWASP "CSV Injection"): a text cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return would be run as a formula by the
spreadsheet; such a cell gets a leading ``'`` in both formats. Accessibility needs
are health data (Art. 9 DSGVO): their column is only there when asked for, and its
header says what it is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from events import formatting
from events.services.attendee_lists import AttendeeRow

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_DATE = "%d.%m.%Y %H:%M"
XLSX_DATE = "DD.MM.YYYY HH:MM"
HEALTH_HEADER = _l("Barrierefreiheit (Gesundheitsdaten, Art. 9 DSGVO)")


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[AttendeeRow], object]
    width: int = 18


def columns(with_workshop: bool, with_health_data: bool) -> list[Column]:
    """The export's columns, in the order of the list on screen (headers translated)."""
    by_hand, by_form = _("Organisationsteam"), _("Anmeldeformular")
    cols = [Column(_("Workshop"), lambda r: r.workshop_title, 32),
            Column(_("Workshop-Beginn"), lambda r: r.workshop_starts_at, 17),
            ] if with_workshop else []
    cols += [
        Column(_("Name"), lambda r: r.name, 26),
        Column(_("E-Mail"), lambda r: r.email, 30),
        Column(_("Kommune"), lambda r: r.municipality, 24),
        Column(_("Funktion"), lambda r: r.role, 22),
        Column(_("Status"), lambda r: r.status_label, 24),
        Column(_("Angemeldet am"), lambda r: r.registered_at, 17),
        Column(_("Bestätigt am"), lambda r: r.confirmed_at, 17),
        Column(_("Wartelistenplatz"), lambda r: r.waitlist_position, 10),
        Column(_("Anmerkungen"), lambda r: r.remarks, 40),
        Column(_("Anwesend"), lambda r: r.attended_at, 17),
        Column(_("Quelle"), lambda r: by_hand if r.source == "organiser" else by_form, 18),
    ]
    if with_health_data:
        cols.append(Column(str(HEALTH_HEADER), lambda r: r.accessibility_needs or "", 40))
    return cols


def neutralise(text: str) -> str:
    """A text that a spreadsheet would run as a formula, prefixed with ``'``."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return formatting.local(value).strftime(CSV_DATE)
    return neutralise(str(value))


def to_csv(rows: Iterable[AttendeeRow], cols: list[Column]) -> bytes:
    """The rows as CSV bytes: BOM, ``;``, CRLF, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(col.header) for col in cols])
    for row in rows:
        writer.writerow([_csv_cell(col.value(row)) for col in cols])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx_cell(value: object) -> object:
    if isinstance(value, datetime):  # Excel knows no time zones: local wall time, naive
        return formatting.local(value).replace(tzinfo=None)
    if isinstance(value, str):
        return neutralise(value)
    return value


def to_xlsx(rows: Iterable[AttendeeRow], cols: list[Column], title: str) -> bytes:
    """The rows as an XLSX workbook (one sheet, header bold and frozen)."""
    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_title(title)
    sheet.append([col.header for col in cols])
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "A2"
    for index, col in enumerate(cols, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = col.width
    for row in rows:
        sheet.append([_xlsx_cell(col.value(row)) for col in cols])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, datetime):
                cell.number_format = XLSX_DATE
            elif isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """Excel's rules: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return (cleaned or _("Teilnehmende"))[:31]
