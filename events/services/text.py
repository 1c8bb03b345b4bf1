"""Cleaning text that people type into the back office (floor 4, no request).

Control characters (a NUL byte is refused by PostgreSQL, others confuse mail and PDF)
are dropped; single-line values lose line breaks and surrounding space.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l

_KEEP_IN_TEXT = {"\n", "\t"}

#: What no field may hold: C0 controls except tab, newline and carriage return, DEL, and
#: lone surrogates (PostgreSQL refuses NUL; surrogates cannot be encoded to be stored or
#: sent). The edge refuses them in paths and API queries, ``add_unstorable_problems`` in
#: the fields that the forms, the API and the back office share.
UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
UNSTORABLE_MESSAGE = _l("Dieser Wert enthält Steuerzeichen, die nicht verarbeitet werden "
                        "können.")


def add_unstorable_problems(errors: dict[str, str], value, fields) -> None:
    """Add ``UNSTORABLE_MESSAGE`` to ``errors`` for each attribute of ``value`` (named in
    ``fields``) that holds such a character, unless that field already has a message."""
    for field in fields:
        content = getattr(value, field)
        if isinstance(content, str) and UNSTORABLE.search(content) and field not in errors:
            errors[field] = str(UNSTORABLE_MESSAGE)

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
