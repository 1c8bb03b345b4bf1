"""Search the published practice examples: one function for SQLite and PostgreSQL.

The index (migration 0006) holds each contribution's words folded by
``events.search_index``: an FTS5 table on SQLite, a weighted ``tsvector`` with a GIN
index on PostgreSQL. Both are asked the same questions — "which contributions have
a word starting with *t* (in field *f*)?" — and the ranking is the same integer
arithmetic on both: per query word the weight of the best field it occurs in (title
8, municipality/summary 4, results/partners 2, description 1), summed; ties go to
the newer example. So a fixed corpus gives identical results on both databases.

``reindex`` keeps the index current; every service that creates or changes a
contribution calls it in the same transaction (it only adds and flushes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    Text,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.orm import selectinload

from events import search_index
from events.extensions import db
from events.models import FEDERAL_STATES, BodyKind, Contribution, ContributionState, Theme
from events.models.contributions import contribution_theme
from events.search_index import FIELDS, WEIGHTS, Term, query_terms

PER_PAGE = 20
#: Pages beyond this are refused by the callers (an OFFSET that large helps nobody).
MAX_PAGE = 10_000

# The index tables as SQLAlchemy sees them: in their own MetaData, not the models'.
_index = MetaData()
FTS = Table(search_index.FTS_TABLE, _index, Column("rowid", Integer),
            *(Column(name, Text) for name in FIELDS))
PG_INDEX = Table(search_index.PG_TABLE, _index, Column("contribution_id", Integer),
                 Column("document", TSVECTOR))


# --- keeping the index current -----------------------------------------------------------


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def reindex(contribution: Contribution) -> None:
    """Write ``contribution``'s words into the index (replacing the old ones).

    Call it after every change of title, municipality, summary, results, partners or
    description, in the same transaction. Flushes (the row needs its id); never commits.
    """
    db.session.flush()
    forget(contribution.id)
    words = search_index.document(
        title=contribution.title or "", municipality=contribution.municipality or "",
        summary=contribution.summary or "", results=contribution.results or "",
        partners=contribution.partners or "", description=contribution.description or "",
    )
    if _dialect() == "postgresql":
        db.session.execute(insert(PG_INDEX).values(
            contribution_id=contribution.id, document=cast(literal(words.tsvector()), TSVECTOR)))
    else:
        db.session.execute(insert(FTS).values(rowid=contribution.id, **words.as_dict()))


def forget(contribution_id: int) -> None:
    """Remove a contribution from the index (deleting the row does this by itself too)."""
    if _dialect() == "postgresql":
        db.session.execute(delete(PG_INDEX).where(PG_INDEX.c.contribution_id == contribution_id))
    else:
        db.session.execute(delete(FTS).where(FTS.c.rowid == contribution_id))


def rebuild(batch: int = 1000) -> int:
    """Index every contribution again (after a bulk import or a repair); returns how many.

    One DELETE, then INSERTs in batches of ``batch`` rows; never commits.
    """
    db.session.flush()
    postgres = _dialect() == "postgresql"
    db.session.execute(delete(PG_INDEX) if postgres else delete(FTS))
    statement = (insert(PG_INDEX).values(contribution_id=bindparam("id"),
                                         document=cast(bindparam("document"), TSVECTOR))
                 if postgres else insert(FTS).values(rowid=bindparam("id"),
                                                     **{f: bindparam(f) for f in FIELDS}))
    rows = db.session.execute(select(
        Contribution.id, Contribution.title, Contribution.municipality, Contribution.summary,
        Contribution.results, Contribution.partners, Contribution.description)).all()
    for start in range(0, len(rows), batch):
        values = []
        for row in rows[start:start + batch]:
            words = search_index.document(
                title=row.title, municipality=row.municipality, summary=row.summary,
                results=row.results, partners=row.partners, description=row.description)
            values.append({"id": row.id, **({"document": words.tsvector()} if postgres
                                             else words.as_dict())})
        db.session.execute(statement, values)
    return len(rows)


# --- asking the index ----------------------------------------------------------------------


def _fts_word(term: Term) -> str:
    # the term is [a-z0-9]+ (search_index folds everything else away): quoting is enough
    return f'"{term.text}"' + ("*" if term.prefix else "")


def _pg_word(term: Term, letter: str = "") -> str:
    return f"'{term.text}'" + (":*" if term.prefix else ":" if letter else "") + letter


def _hits(terms: list[Term], field_name: str | None = None):
    """``Contribution.id IN (…)``: contributions having every term (in ``field_name``)."""
    if _dialect() == "postgresql":
        letter = search_index.PG_WEIGHT_LETTERS[field_name] if field_name else ""
        tsquery = " & ".join(_pg_word(term, letter) for term in terms)
        ids = select(PG_INDEX.c.contribution_id).where(
            PG_INDEX.c.document.op("@@")(cast(literal(tsquery), TSQUERY)))
    else:
        expression = " AND ".join(_fts_word(term) for term in terms)
        if field_name:
            expression = f"{{{field_name}}} : ({expression})"
        ids = select(FTS.c.rowid).where(
            literal_column(search_index.FTS_TABLE).op("MATCH")(literal(expression)))
    return Contribution.id.in_(ids)


def _in_field(term: Term, field_name: str):
    """Does the term occur in the field? PostgreSQL asks the row's own tsvector (the
    ranking query joins it); SQLite asks FTS5 with a column filter."""
    if _dialect() == "postgresql":
        letter = search_index.PG_WEIGHT_LETTERS[field_name]
        return PG_INDEX.c.document.op("@@")(cast(literal(_pg_word(term, letter)), TSQUERY))
    return _hits([term], field_name)


def _score(terms: list[Term]):
    """Per term the weight of the best field it is in, summed (the same on both databases)."""
    total = literal(0)
    for term in terms:
        total = total + case(
            *((_in_field(term, name), WEIGHTS[name]) for name in FIELDS[:-1]),
            else_=WEIGHTS[FIELDS[-1]])
    return total


def _ranked(conditions: list, terms: list[Term]):
    """``SELECT contribution.id`` best first (with terms) or newest first."""
    newest = (Contribution.published_at.desc(), Contribution.id.desc())
    query = select(Contribution.id).where(*conditions)
    if not terms:
        return query.order_by(*newest)
    if _dialect() == "postgresql":
        query = query.join(PG_INDEX, PG_INDEX.c.contribution_id == Contribution.id)
    return query.order_by(_score(terms).desc(), *newest)


# --- the search ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Filter values as given (already checked by the caller); None = not filtered."""

    theme: str | None = None  #: theme slug
    federal_state: str | None = None
    kind: str | None = None  #: a ``BodyKind`` value


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchResult:
    items: list[Contribution]
    total: int
    page: int
    per_page: int
    query: str
    terms: list[Term]
    filters: Filters
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _conditions(terms: list[Term], filters: Filters, *, without: tuple[str, ...] = ()) -> list:
    """The WHERE clause of a search; ``without`` leaves filters out (for their facets)."""
    conditions = [Contribution.state == ContributionState.published]
    if terms:
        conditions.append(_hits(terms))
    if filters.theme and "theme" not in without:
        conditions.append(Contribution.id.in_(
            select(contribution_theme.c.contribution_id)
            .join(Theme, Theme.id == contribution_theme.c.theme_id)
            .where(Theme.slug == filters.theme)))
    if filters.federal_state and "federal_state" not in without:
        conditions.append(Contribution.federal_state == filters.federal_state)
    if filters.kind and "kind" not in without:
        conditions.append(Contribution.body_kind == BodyKind(filters.kind))
    return conditions


def search(query: str | None = "", filters: Filters | None = None, *, page: int = 1,
           per_page: int = PER_PAGE, kind_labels: dict[str, str] | None = None) -> SearchResult:
    """Published contributions matching ``query`` and ``filters``, best first, one page.

    Without query words the newest come first. ``facets`` counts the hits per theme,
    federal state and kind of body (each counted with the other filters applied), so
    a reader sees what choosing a value would leave. Never raises for odd input:
    a query without letters or digits is no query. ``page`` below 1 counts as 1.
    """
    filters = filters or Filters()
    terms = query_terms(query)
    page = min(max(page, 1), MAX_PAGE)
    # one count per (federal state, kind) gives the total and both of their facets
    cells = [(state, kind.value if isinstance(kind, BodyKind) else kind, n)
             for state, kind, n in db.session.execute(
                 select(Contribution.federal_state, Contribution.body_kind, func.count())
                 .where(*_conditions(terms, filters, without=("federal_state", "kind")))
                 .group_by(Contribution.federal_state, Contribution.body_kind)).all()]
    def state_ok(value) -> bool:
        return not filters.federal_state or value == filters.federal_state

    def kind_ok(value) -> bool:
        return not filters.kind or value == filters.kind

    total = sum(n for state, kind, n in cells if state_ok(state) and kind_ok(kind))
    ids = db.session.scalars(_ranked(_conditions(terms, filters), terms)
                             .limit(per_page).offset((page - 1) * per_page)).all() if total else []
    loaded = {c.id: c for c in db.session.scalars(
        select(Contribution).where(Contribution.id.in_(ids))
        .options(selectinload(Contribution.themes)))} if ids else {}
    states: dict[str, int] = {}
    kinds: dict[str, int] = {}
    for state, kind, n in cells:
        if kind_ok(kind) and state:
            states[state] = states.get(state, 0) + n
        if state_ok(state):
            kinds[kind] = kinds.get(kind, 0) + n
    return SearchResult(
        items=[loaded[i] for i in ids], total=total, page=page, per_page=per_page,
        query=(query or "")[:search_index.MAX_QUERY_CHARS], terms=terms, filters=filters,
        facets=_facets(terms, filters, states, kinds, kind_labels or {}),
    )


def _facets(terms: list[Term], filters: Filters, states: dict[str, int],
            kinds: dict[str, int], kind_labels: dict[str, str]) -> dict:
    # the matching ids from the narrow facet index, then the narrow link table
    matching = select(Contribution.id).where(*_conditions(terms, filters, without=("theme",)))
    per_theme = dict(db.session.execute(
        select(contribution_theme.c.theme_id, func.count())
        .where(contribution_theme.c.contribution_id.in_(matching))
        .group_by(contribution_theme.c.theme_id)).all())
    themes = [(t.slug, t.name, per_theme[t.id]) for t in db.session.scalars(
        select(Theme).order_by(Theme.position, Theme.name)) if t.id in per_theme]
    return {
        "theme": [FacetValue(slug, name, n, slug == filters.theme) for slug, name, n in themes],
        "federal_state": [FacetValue(s, s, states[s], s == filters.federal_state)
                          for s in FEDERAL_STATES if states.get(s)],
        "kind": [FacetValue(k.value, kind_labels.get(k.value, k.value), kinds[k.value],
                            k.value == filters.kind) for k in BodyKind if kinds.get(k.value)],
    }
