"""Floor 3: PDF documents drawn with fpdf2 (sign-in sheet, name badges, certificates).

Why fpdf2: pure Python (no Cairo/Pango system libraries as WeasyPrint needs), embeds
and subsets a TrueType font, so umlauts and ß come out right in every viewer, and it
wraps and measures text, which long names need. The font is DejaVu Sans, shipped in
``events/fonts`` (free licence, covers Latin, Greek, Cyrillic and Turkish letters).

These modules know no rule and no model: they take plain rows and return bytes.
"""
