"""The certificate of attendance (Teilnahmebescheinigung), one A4 page.

Everything printed comes from the frozen certificate (the caller passes its
fields, already formatted); the verification code and its address stand at the
bottom so anyone holding the paper can check it online.
"""

from __future__ import annotations

from dataclasses import dataclass

from events.pdf.document import FAMILY, Document, clean, fit_lines

TITLE = "Teilnahmebescheinigung"


@dataclass(frozen=True)
class CertificateText:
    name: str
    municipality: str
    workshop_title: str
    date: str  # "Di., 12. Januar 2027" (or a range across days)
    time: str  # "10:00–16:00 Uhr"
    hours: str  # "6" or "5,5"
    place: str
    topics: str
    issuer: str
    issued_on: str
    code: str  # as printed, e.g. "7KQ2-M4XD-9TRB-W1FH"
    verify_url: str


def _pair(pdf: Document, label: str, value: str) -> None:
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(45, 6, label)
    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(0, 6, clean(value) or "–", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(1)


def render(text: CertificateText) -> bytes:
    pdf = Document(f"{TITLE}: {clean(text.name)}")
    pdf.set_margins(25, 25, 25)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    width = pdf.epw
    pdf.set_font(FAMILY, "", 10)
    pdf.cell(0, 6, clean(text.issuer), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(18)
    pdf.set_font(FAMILY, "B", 24)
    pdf.cell(0, 12, TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font(FAMILY, "", 11)
    pdf.cell(0, 7, "Hiermit wird bestätigt, dass", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    size, lines = fit_lines(pdf, text.name, width, style="B", largest=20, smallest=12,
                            max_lines=2)
    for line in lines:
        pdf.cell(0, size * 0.5, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 11)
    pdf.multi_cell(0, 7, clean(text.municipality), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.multi_cell(0, 7, f"am {clean(text.date)} an dem Workshop", align="C",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(FAMILY, "B", 14)
    pdf.multi_cell(0, 8, clean(text.workshop_title), align="C", new_x="LMARGIN",
                   new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(FAMILY, "", 11)
    pdf.cell(0, 7, "teilgenommen hat.", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)
    _pair(pdf, "Datum", f"{text.date}, {text.time}")
    _pair(pdf, "Dauer", f"{text.hours} Stunden")
    _pair(pdf, "Ort", text.place)
    _pair(pdf, "Themen", text.topics)
    _pair(pdf, "Veranstalter", text.issuer)
    pdf.ln(10)
    pdf.set_font(FAMILY, "", 10)
    pdf.cell(0, 6, f"Ausgestellt am {clean(text.issued_on)}", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, "Diese Bescheinigung wurde maschinell erstellt und ist ohne "
                   "Unterschrift gültig.", new_x="LMARGIN", new_y="NEXT", align="L")
    # the check, at the foot of the page (of a second page if very long texts need it)
    if pdf.get_y() > pdf.h - 50:
        pdf.add_page()
    pdf.set_y(-48)
    pdf.set_draw_color(165, 170, 195)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(3)
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(0, 6, f"Prüfcode: {text.code}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 9)
    pdf.multi_cell(0, 5, "Ob diese Bescheinigung echt ist, können Sie unter folgender "
                   "Adresse prüfen:", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(26, 61, 165)
    pdf.multi_cell(0, 5, text.verify_url, link=text.verify_url, new_x="LMARGIN",
                   new_y="NEXT", align="L", wrapmode="CHAR")
    return pdf.bytes()
