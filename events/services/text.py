"""Cleaning text that people type into the back office (floor 4, no request).

Control characters (a NUL byte is refused by PostgreSQL, others confuse mail and PDF)
are dropped; single-line values lose line breaks and surrounding space.
"""

from __future__ import annotations

import re
import unicodedata

_KEEP_IN_TEXT = {"\n", "\t"}

#: German letters spelled out, as people write them in addresses (ä → ae, ß → ss).
_TRANSLITERATION = str.maketrans({
    "ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS",
})


def line(value: str | None) -> str:
    """One line: no control characters, white space collapsed, trimmed."""
    value = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
                    for c in (value or ""))
    return " ".join(value.split())


def text(value: str | None) -> str:
    """Several lines: control characters other than line breaks and tabs dropped."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in value if c in _KEEP_IN_TEXT
                   or unicodedata.category(c) != "Cc").strip()


def slugify(value: str, max_length: int = 80, fallback: str = "eintrag") -> str:
    """``Öffentliche Räume – Straße`` → ``oeffentliche-raeume-strasse`` (ASCII, hyphens)."""
    ascii_text = unicodedata.normalize("NFKD", value.translate(_TRANSLITERATION))
    ascii_text = ascii_text.encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    slug = slug[:max_length].rstrip("-")
    return slug or fallback
