"""The sign-in sheet: "Teilnehmerliste zum Unterschreiben", A4 portrait.

The workshop's title, time and place and the table's header row repeat on every
page; the footer counts "Seite x von y"; long names and municipalities wrap in
their cells. Rows are numbered in the order given (the caller sorts by name).
"""

from __future__ import annotations

from dataclasses import dataclass

from fpdf.fonts import FontFace

from events.pdf.document import FAMILY, Document, clean

TITLE = "Teilnehmerliste zum Unterschreiben"
COLUMNS = ("Nr.", "Name", "Kommune / Organisation", "Unterschrift")
WIDTHS = (12, 62, 56, 60)  # mm; 190 mm between 10 mm margins


@dataclass(frozen=True)
class Sheet:
    workshop_title: str
    when: str  # already formatted in the programme's time zone
    place: str
    rows: list[tuple[str, str]]  # (name, municipality)


class _SheetDocument(Document):
    def __init__(self, sheet: Sheet) -> None:
        super().__init__(f"{TITLE}: {clean(sheet.workshop_title)}")
        self.sheet = sheet
        self.set_margins(10, 10, 10)
        self.set_auto_page_break(True, margin=16)

    def header(self) -> None:
        self.set_font(FAMILY, "B", 9)
        self.cell(0, 5, TITLE, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, "B", 13)
        self.multi_cell(0, 6, clean(self.sheet.workshop_title), new_x="LMARGIN",
                        new_y="NEXT", align="L")
        self.set_font(FAMILY, "", 10)
        for line in (self.sheet.when, self.sheet.place):
            self.multi_cell(0, 5, clean(line), new_x="LMARGIN", new_y="NEXT", align="L")
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.cell(0, 5, f"Seite {self.page_no()} von {{nb}}", align="R")


def render(sheet: Sheet) -> bytes:
    """The PDF as bytes; an empty list still gives one page with the header."""
    pdf = _SheetDocument(sheet)
    pdf.add_page()
    pdf.set_font(FAMILY, "", 10)
    with pdf.table(col_widths=WIDTHS, width=sum(WIDTHS), text_align="LEFT", line_height=5,
                   padding=(2.5, 1.5), min_row_height=11, v_align="MIDDLE",
                   headings_style=FontFace(emphasis="BOLD", fill_color=(230, 232, 240)),
                   repeat_headings=1) as table:
        table.row(COLUMNS)
        for number, (name, municipality) in enumerate(sheet.rows, start=1):
            table.row((f"{number}", clean(name), clean(municipality), ""))
    if not sheet.rows:
        pdf.ln(4)
        pdf.cell(0, 6, "Keine bestätigten Teilnehmenden.")
    return pdf.bytes()
