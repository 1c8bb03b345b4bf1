"""The practice exchange's search index: how text becomes tokens, and which tables hold them.

Pure functions and names, no app imports: the search service, migration 0006 and
``migrations/env.py`` all use this module.

German-aware folding happens here, once, in Python — so SQLite (FTS5) and
PostgreSQL (a ``tsvector`` built from the same tokens) index exactly the same
words and answer every query identically:

* case and accents: lower case, NFKD without combining marks (``é`` → ``e``);
* umlauts both ways: ``Köln`` is indexed as ``koeln`` *and* ``koln``, so the
  queries ``Köln``, ``Koeln`` and ``Koln`` all find it (``ß`` → ``ss``);
* word forms and compounds by prefix: a query word loses a German inflection
  ending (``Altenpfleger`` → ``altenpfleg``) and then matches every indexed word
  that starts with it (``altenpflege``, ``altenpflegeausbildung``).

Four weighted fields: A title, B municipality and summary, C results and partners,
D description.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: The tables migration 0006 creates, which no model describes (Alembic's autogenerate
#: must not see them): SQLite's FTS5 table with its shadow tables, PostgreSQL's table.
FTS_TABLE = "contribution_fts"
PG_TABLE = "contribution_search"
FIELDS = ("title", "lead", "facts", "body")
#: Field → weight of a hit in it; PostgreSQL's tsvector weight letter in the same order.
WEIGHTS = {"title": 8, "lead": 4, "facts": 2, "body": 1}
PG_WEIGHT_LETTERS = {"title": "A", "lead": "B", "facts": "C", "body": "D"}

MAX_TOKEN = 60  #: longer words are cut (PostgreSQL refuses lexemes over 2 KB)
MAX_FIELD_TOKENS = 20_000
MAX_QUERY_CHARS = 300
MAX_QUERY_TERMS = 8
#: A query word this short matches only itself, not every word that starts with it.
MIN_PREFIX = 3
#: Inflection endings a query word loses (longest first), at most twice, keeping ≥ 4 letters.
ENDINGS = ("innen", "ern", "em", "en", "er", "es", "in", "e")
MIN_STEM = 4

_UMLAUTS_SPELLED = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
_UMLAUTS_PLAIN = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss", "ẞ": "ss"})
_TOKEN = re.compile(r"[a-z0-9]+")


def is_index_table(name: str | None) -> bool:
    """True for the search index's own tables (and FTS5's shadow tables)."""
    return bool(name) and (name in (FTS_TABLE, PG_TABLE) or name.startswith(FTS_TABLE + "_"))


#: A covering index on ``contribution`` for the filters' counts (facets), created by
#: migration 0006 with the search index (the models may not change in this step).
FACET_INDEX = "ix_contribution_search_facets"


def include_name(name, type_, parent_names) -> bool:
    """Alembic ``include_name`` hook: compare everything except the search index."""
    if type_ == "table":
        return not is_index_table(name)
    if type_ == "index":
        return name != FACET_INDEX
    return True


def _ascii_tokens(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return [token[:MAX_TOKEN] for token in _TOKEN.findall(plain)]


def fold(text: str) -> list[str]:
    """Words of ``text``, lower case, umlauts spelled out (``Mülheim`` → ``muelheim``)."""
    lowered = unicodedata.normalize("NFC", text or "").lower()
    return _ascii_tokens(lowered.translate(_UMLAUTS_SPELLED))


def index_tokens(text: str) -> str:
    """The indexed form of one field: its words, umlaut words in both spellings."""
    lowered = unicodedata.normalize("NFC", text or "").lower()
    tokens = _ascii_tokens(lowered.translate(_UMLAUTS_SPELLED))
    if any(c in lowered for c in "äöüß"):
        spelled = set(tokens)
        tokens += [t for t in _ascii_tokens(lowered.translate(_UMLAUTS_PLAIN))
                   if t not in spelled]
    return " ".join(tokens[:MAX_FIELD_TOKENS])


@dataclass(frozen=True)
class Document:
    """The four weighted fields of one contribution, already tokenised."""

    title: str
    lead: str
    facts: str
    body: str

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FIELDS}

    def tsvector(self) -> str:
        """PostgreSQL's ``tsvector`` input form: each word once, with the letters of the
        fields it is in (``'koeln':1A,4D``). Written out here rather than parsed by
        ``to_tsvector``, whose parser would split some words differently than FTS5
        (``5e5e5`` → ``5e5`` ``e5``); a weight needs a position, so field n is position n.
        """
        weights: dict[str, list[str]] = {}
        for position, name in enumerate(FIELDS, start=1):
            for token in dict.fromkeys(getattr(self, name).split()):
                weights.setdefault(token, []).append(f"{position}{PG_WEIGHT_LETTERS[name]}")
        return " ".join(f"'{token}':{','.join(marks)}" for token, marks in weights.items())


def document(*, title: str, municipality: str, summary: str, results: str, partners: str,
             description: str) -> Document:
    return Document(
        title=index_tokens(title),
        lead=index_tokens(f"{municipality}\n{summary}"),
        facts=index_tokens(f"{results}\n{partners}"),
        body=index_tokens(description),
    )


def stem(token: str) -> str:
    """``altenpfleger`` → ``altenpfleg``, ``hamburger`` → ``hamburg``; digits untouched."""
    if any(c.isdigit() for c in token):
        return token
    for _ in range(2):
        for ending in ENDINGS:
            if token.endswith(ending) and len(token) - len(ending) >= MIN_STEM:
                token = token[: -len(ending)]
                break
        else:
            break
    return token


@dataclass(frozen=True)
class Term:
    """One query word as the index is asked for it: ``text``, and whether as a prefix."""

    text: str
    prefix: bool


def query_terms(query: str | None) -> list[Term]:
    """The words of a search query, folded and stemmed; at most ``MAX_QUERY_TERMS``.

    Never fails: quotes, operators, NUL bytes or 10,000 characters simply yield
    the letters and digits they contain (possibly none).
    """
    terms: list[Term] = []
    for token in fold((query or "")[:MAX_QUERY_CHARS]):
        term = Term(stem(token), True) if len(token) >= MIN_PREFIX else Term(token, False)
        if term not in terms:
            terms.append(term)
    return terms[:MAX_QUERY_TERMS]
