"""The common page: fonts, metadata and text that fits a box."""

from __future__ import annotations

import re
from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).resolve().parent.parent / "fonts"
FAMILY = "DejaVu"


class Document(FPDF):
    """A4 in millimetres with DejaVu Sans (regular and bold) and German metadata."""

    def __init__(self, title: str, *, orientation: str = "P") -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_font(FAMILY, size=10)
        self.set_title(title)
        self.set_lang("de-DE")
        self.set_creator("Praxisaustausch")
        self.set_display_mode("fullpage")

    def normalize_text(self, text: str) -> str:
        """Letters the font lacks (emoji, rare scripts) become "?" instead of a blank box."""
        cmap = getattr(self.current_font, "cmap", None)
        if cmap:
            text = "".join(c if ord(c) in cmap or c in "\n\r" else "?" for c in text)
        return super().normalize_text(text)

    def bytes(self) -> bytes:
        return bytes(self.output())


def clean(text: str | None) -> str:
    """Text the font can draw: control characters dropped, white space collapsed."""
    text = "".join(c if c.isprintable() else " " for c in (text or ""))
    return " ".join(text.split())


def fit_lines(pdf: FPDF, text: str, width: float, *, style: str = "", largest: float,
              smallest: float, max_lines: int) -> tuple[float, list[str]]:
    """The largest font size (pt) from ``largest`` down to ``smallest`` at which ``text``
    fits ``width`` mm in at most ``max_lines`` lines, and those lines.

    Prefers one line: a name is shrunk before it is wrapped; it wraps only when even
    the smallest size does not fit one line. What still does not fit in ``max_lines``
    lines at the smallest size is cut with an ellipsis (never drawn outside the box).
    """
    text = clean(text)
    size = largest
    while size >= smallest:
        pdf.set_font(FAMILY, style, size)
        if pdf.get_string_width(text) <= width:
            return size, [text]
        size -= 0.5
    size = largest
    while size >= smallest:
        pdf.set_font(FAMILY, style, size)
        lines = wrap(pdf, text, width)
        if lines is not None and len(lines) <= max_lines:
            return size, lines
        size -= 0.5
    pdf.set_font(FAMILY, style, smallest)
    lines = pdf.multi_cell(width, text=text, dry_run=True, output="LINES", wrapmode="CHAR",
                           align="L")
    if len(lines) <= max_lines:
        return smallest, lines
    lines = lines[:max_lines]
    last = lines[-1]
    while last and pdf.get_string_width(last + "…") > width:
        last = last[:-1]
    lines[-1] = last.rstrip() + "…"
    return smallest, lines


_BREAKS = re.compile(r"(?<=-)(?=\w)")


def wrap(pdf: FPDF, text: str, width: float) -> list[str] | None:
    """Greedy lines at spaces and after hyphens ("Öztürk-" | "Weiß") in the current font;
    None when a single piece is wider than ``width`` (the caller shrinks the font)."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        for index, piece in enumerate(_BREAKS.split(word)):
            glue = "" if index else " "
            candidate = f"{line}{glue}{piece}" if line else piece
            if pdf.get_string_width(candidate) <= width:
                line = candidate
                continue
            if pdf.get_string_width(piece) > width:
                return None
            lines.append(line)
            line = piece
    if line:
        lines.append(line)
    return lines
