"""Name badges on A4 label sheets: name (large, shrinks to fit), municipality, workshop.

Each layout is a grid of labels of one common size, centred on the sheet; a thin
grey cutting line marks every label (harmless on pre-cut label sheets).
"""

from __future__ import annotations

from dataclasses import dataclass

from events.pdf.document import Document, clean, fit_lines

A4 = (210.0, 297.0)


@dataclass(frozen=True)
class Layout:
    key: str
    label: str
    width: float  # mm
    height: float
    columns: int
    rows: int

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def origin(self, index: int) -> tuple[float, float]:
        """Top-left corner (mm) of the ``index``-th label on its page."""
        left = (A4[0] - self.columns * self.width) / 2
        top = (A4[1] - self.rows * self.height) / 2
        row, column = divmod(index % self.per_page, self.columns)
        return left + column * self.width, top + row * self.height


#: The sheets on offer: the key goes into the URL (``?format=``).
LAYOUTS = {
    layout.key: layout for layout in (
        Layout("90x55", "90 × 55 mm, 10 je Blatt (2 × 5, z. B. Zweckform L4785)", 90, 55, 2, 5),
        Layout("85x54", "85 × 54 mm, 10 je Blatt (2 × 5, Scheckkartenformat)", 85, 54, 2, 5),
    )
}
DEFAULT_LAYOUT = "90x55"


@dataclass(frozen=True)
class Badge:
    name: str
    municipality: str
    workshop_title: str


PADDING = 5  # mm inside each label


def _draw(pdf: Document, layout: Layout, badge: Badge, x: float, y: float) -> None:
    pdf.set_draw_color(190, 190, 190)
    pdf.set_line_width(0.2)
    pdf.rect(x, y, layout.width, layout.height)
    inner = layout.width - 2 * PADDING
    # the workshop on top, small
    size, lines = fit_lines(pdf, badge.workshop_title, inner, largest=8, smallest=6,
                            max_lines=2)
    pdf.set_text_color(80, 80, 80)
    pdf.set_xy(x + PADDING, y + PADDING)
    for line in lines:
        pdf.cell(inner, size * 0.45, line, new_x="LEFT", new_y="NEXT")
    # the name in the middle, as large as fits
    size, lines = fit_lines(pdf, badge.name, inner, style="B", largest=22, smallest=11,
                            max_lines=3)
    line_height = size * 0.42
    block = line_height * len(lines)
    top = y + (layout.height - block) / 2
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(x + PADDING, top)
    for line in lines:
        pdf.cell(inner, line_height, line, align="C", new_x="LEFT", new_y="NEXT")
    # the municipality below
    size, lines = fit_lines(pdf, badge.municipality, inner, largest=11, smallest=7,
                            max_lines=2)
    pdf.set_xy(x + PADDING, top + block + 2)
    for line in lines:
        pdf.cell(inner, size * 0.45, line, align="C", new_x="LEFT", new_y="NEXT")


def render(badges: list[Badge], layout: Layout, *, title: str = "Namensschilder") -> bytes:
    """One label per badge, ``layout.per_page`` per A4 sheet; at least one (empty) sheet."""
    pdf = Document(clean(title))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.add_page()
    for index, badge in enumerate(badges):
        if index and index % layout.per_page == 0:
            pdf.add_page()
        x, y = layout.origin(index)
        _draw(pdf, layout, badge, x, y)
    return pdf.bytes()
