"""Search over the practice examples: German queries, ranking, filters with counts, pages.

The quality table runs on SQLite and on PostgreSQL with the same fixed corpus
and expects the same examples in the same order on both.
"""

from __future__ import annotations

import pytest

from events.extensions import db
from events.models import ContributionState
from events.search_index import index_tokens, query_terms, stem
from events.services import contribution_search
from events.services.contribution_search import Filters, search
from tests.contribution_support import corpus, make_contribution  # noqa: F401

#: query → the expected examples, best first (see CORPUS in contribution_support).
QUALITY = [
    ("Koeln", ["koeln", "crimmitschau"]),
    ("Köln", ["koeln", "crimmitschau"]),
    ("KÖLN", ["koeln", "crimmitschau"]),
    ("koln", ["koeln", "crimmitschau"]),
    ("muelheim", ["altenpflege"]),
    ("Mülheim", ["altenpflege"]),
    ("Mulheim an der Ruhr", ["altenpflege"]),
    ("Altenpfleger", ["altenpflege", "berlin"]),
    ("altenpflege", ["altenpflege", "berlin"]),
    ("Altenpflegerinnen", ["altenpflege", "berlin"]),
    ("Ausbildung", ["altenpflege", "joblinge", "berlin"]),
    ("Ausbildung Altenpflege", ["altenpflege", "berlin"]),
    ("Geflüchtete", ["heidelberg", "altenpflege", "joblinge"]),
    ("gefluechteten", ["heidelberg", "altenpflege", "joblinge"]),
    ("Migrationshintergrund", ["hamburg"]),
    ("Jobcenter", ["giessen", "altenpflege"]),
    ("Gießen", ["giessen"]),
    ("giessen", ["giessen"]),
    ("Bremer", ["bremen"]),
    ("Sprachcafe", ["crimmitschau"]),
    ("Sprachcafé", ["crimmitschau"]),
    ("2013", ["hamburg"]),
    ("wir sind Hamburg!", ["hamburg"]),
    ("Pflege", ["altenpflege"]),
    ("Lotsen", ["crimmitschau"]),
    ("Willkommenslotsen", ["koeln"]),
    ("xyzzy", []),
]


def slugs(result) -> list[str]:
    return [item.slug for item in result.items]


@pytest.mark.backends
def test_german_queries_find_the_expected_examples_in_order(corpus):  # noqa: F811
    found = {query: slugs(search(query)) for query, _ in QUALITY}
    assert found == dict(QUALITY)


@pytest.mark.backends
def test_without_a_query_the_newest_published_come_first(corpus):  # noqa: F811
    result = search("")
    assert slugs(result) == list(reversed(list(corpus)))
    assert result.total == len(corpus)
    assert "zurueckgezogen" not in slugs(result) and "eingereicht" not in slugs(result)


@pytest.mark.backends
def test_a_title_hit_ranks_above_a_description_hit(make_contribution):  # noqa: F811
    make_contribution(slug="titel", title="Patenschaften", published_at=None)
    make_contribution(slug="text", title="Anderes", description="Über Patenschaften")
    make_contribution(slug="kurz", title="Drittes", summary="Patenschaften im Quartier")
    assert slugs(search("Patenschaft")) == ["titel", "kurz", "text"]


@pytest.mark.backends
def test_filters_and_their_counts(corpus):  # noqa: F811
    result = search("", Filters(theme="arbeit"))
    assert sorted(slugs(result)) == ["altenpflege", "berlin", "hamburg", "joblinge"]
    # a facet counts with the other filters applied, not its own: the alternatives stay visible
    themes = {f.value: (f.count, f.selected) for f in result.facets["theme"]}
    assert themes == {"arbeit": (4, True), "wohnen": (2, False), "ehrenamt": (3, False)}
    states = {f.value: f.count for f in result.facets["federal_state"]}
    assert states == {"Nordrhein-Westfalen": 1, "Hamburg": 1, "Berlin": 1}
    kinds = {f.value: f.count for f in result.facets["kind"]}
    assert kinds == {"stadt": 2, "kreisfreie_stadt": 1, "partner": 1}

    both = search("Köln", Filters(federal_state="Nordrhein-Westfalen", kind="kreisfreie_stadt"))
    assert slugs(both) == ["koeln"]
    assert {f.value: f.count for f in both.facets["federal_state"]} == {"Nordrhein-Westfalen": 1}
    assert {f.value: f.count for f in search("Köln").facets["federal_state"]} == {
        "Nordrhein-Westfalen": 1, "Sachsen": 1}
    assert {f.value: f.count for f in both.facets["kind"]} == {"kreisfreie_stadt": 1}
    assert slugs(search("Köln", Filters(theme="wohnen"))) == []


@pytest.mark.backends
def test_pages_of_twenty(make_contribution):  # noqa: F811
    for n in range(45):
        make_contribution(slug=f"projekt-{n:02d}", title=f"Projekt Nummer {n}")
    first, third = search("projekt"), search("projekt", page=3)
    assert first.total == 45 and first.pages == 3 and len(first.items) == 20
    assert slugs(first)[0] == "projekt-44"
    assert slugs(third) == [f"projekt-{n:02d}" for n in range(4, -1, -1)]
    assert search("projekt", page=4).items == []
    assert search("projekt", page=-5).page == 1
    assert search("projekt", page=99999999999999999999).items == []


HOSTILE = ['"', "'", "*", "-", "NEAR(köln altenpflege)", "köln NEAR/2 altenpflege", "\x00",
           "Köln\x00Altenpflege", "a" * 10_000, "ä" * 10_000, '"Köln" OR 1=1 --',
           "{title}: köln", "title:köln", "köln:*A & x", "!!", "AND", "OR NOT", "^köln",
           "%", "_", "\\", "😀 Köln", "ｋöｌｎ", "\u200b", "(", ")", "köln*", "-köln"]


@pytest.mark.backends
@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_fail(corpus, query):  # noqa: F811
    result = search(query)
    assert result.total >= 0
    # operators are just words to the search (all words must match); odd signs are nothing
    if query in ("😀 Köln", "ｋöｌｎ", "köln*", "-köln", "^köln"):
        assert slugs(result) == ["koeln", "crimmitschau"], query


def test_reindex_follows_changes_and_only_published_are_found(corpus):  # noqa: F811
    koeln = corpus["koeln"]
    koeln.title = "Lotsenprojekt Rheinland"
    contribution_search.reindex(koeln)
    db.session.commit()
    assert slugs(search("Willkommenslotsen")) == []
    assert slugs(search("Rheinland")) == ["koeln"]
    koeln.state = ContributionState.withdrawn
    db.session.commit()
    assert slugs(search("Rheinland")) == []
    db.session.delete(corpus["bremen"])
    db.session.commit()
    assert slugs(search("Bremer")) == []


@pytest.mark.backends
def test_rebuild_indexes_everything_again(corpus):  # noqa: F811
    contribution_search.forget(corpus["hamburg"].id)
    db.session.commit()
    assert slugs(search("Hamburg")) == []
    assert contribution_search.rebuild() == len(corpus) + 2
    db.session.commit()
    assert slugs(search("Hamburg")) == ["hamburg"]


def test_folding_and_stemming():
    assert index_tokens("Mülheim an der Ruhr") == "muelheim an der ruhr mulheim"
    assert index_tokens("Straße, Café & Ärzte") == "strasse cafe aerzte arzte"
    assert [stem(w) for w in ("altenpfleger", "altenpflegerinnen", "altenpflege",
                              "hamburger", "koeln", "2013")] == [
        "altenpfleg", "altenpfleg", "altenpfleg", "hamburg", "koeln", "2013"]
    assert [(t.text, t.prefix) for t in query_terms("Ob Köln?! ob")] == [
        ("ob", False), ("koeln", True)]
    assert query_terms('"*" NEAR -') == [("near", True)] or query_terms('"*" NEAR -')
    assert len(query_terms(" ".join(f"wort{n}" for n in range(50)))) == 8
