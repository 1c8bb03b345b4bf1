"""Contributions for the practice-exchange tests: a factory fixture and a fixed corpus.

Rows are created directly (published, address verified), then indexed with
``contribution_search.reindex`` as every service does.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import datetime, timedelta, timezone

import pytest

from events.extensions import db
from events.models import BodyKind, Contribution, ContributionState, Theme
from events.services import contribution_search

_numbers = itertools.count(1)
PUBLISHED = datetime(2026, 10, 1, 8, 0, tzinfo=timezone.utc)


def new_contribution(*, themes=(), workshops=(), state=ContributionState.published,
                     published_at=None, **fields) -> Contribution:
    """A contribution with sensible defaults, added, indexed (flushed, not committed)."""
    n = next(_numbers)
    contribution = Contribution(
        slug=fields.pop("slug", f"beispiel-{n}"),
        title=fields.pop("title", f"Beispiel {n}"),
        municipality=fields.pop("municipality", "Stadt Musterstadt"),
        federal_state=fields.pop("federal_state", "Nordrhein-Westfalen"),
        body_kind=BodyKind(fields.pop("body_kind", "stadt")),
        summary=fields.pop("summary", "Kurzbeschreibung"),
        description=fields.pop("description", ""),
        results=fields.pop("results", ""),
        partners=fields.pop("partners", ""),
        links=fields.pop("links", ""),
        submitter_name=fields.pop("submitter_name", "Erika Mustermann"),
        submitter_email=fields.pop("submitter_email", f"einreichung{n}@kommune.example"),
        email_verified_at=fields.pop("email_verified_at", PUBLISHED - timedelta(days=1)),
        token_salt=secrets.token_hex(16),
        state=state,
        published_at=(published_at or PUBLISHED + timedelta(minutes=n))
        if state == ContributionState.published else published_at,
        **fields,
    )
    contribution.themes = list(themes)
    contribution.workshops = list(workshops)
    db.session.add(contribution)
    contribution_search.reindex(contribution)
    return contribution


@pytest.fixture
def make_contribution(app):
    """``make_contribution(title=…, themes=[…])``: a published, indexed, committed example."""
    def make(**fields) -> Contribution:
        contribution = new_contribution(**fields)
        db.session.commit()
        return contribution
    return make


def make_themes() -> dict[str, Theme]:
    themes = {
        "arbeit": Theme(slug="arbeit", name="Arbeit und Ausbildung", position=1),
        "wohnen": Theme(slug="wohnen", name="Wohnen", position=2),
        "ehrenamt": Theme(slug="ehrenamt", name="Ehrenamt", position=3),
    }
    db.session.add_all(themes.values())
    db.session.flush()
    return themes


#: key → fields; published one minute apart in this order (the last is the newest).
CORPUS = {
    "altenpflege": dict(
        title="Ausbildung zur Altenpflege für junge Geflüchtete",
        municipality="Mülheim an der Ruhr", federal_state="Nordrhein-Westfalen",
        body_kind="kreisfreie_stadt", themes=("arbeit",),
        summary="Praxisnahe Ausbildung in Pflegeeinrichtungen der Stadt.",
        description="Die Stadt vermittelt **Ausbildungsplätze** und begleitet die Azubis.",
        results="Ausbildungsplätze: 12 (2014) → 30 (2016)", partners="Diakonie, Jobcenter"),
    "koeln": dict(
        title="Willkommenslotsen in Köln", municipality="Stadt Köln",
        federal_state="Nordrhein-Westfalen", body_kind="kreisfreie_stadt",
        themes=("ehrenamt",),
        summary="Ehrenamtliche begleiten Neuzugewanderte zu Ämtern und Beratungsstellen.",
        partners="Caritasverband"),
    "hamburg": dict(
        title="wir sind Hamburg! Nachwuchs für die Verwaltung", municipality="Hamburg",
        federal_state="Hamburg", body_kind="stadt", themes=("arbeit",),
        summary="Kampagne für mehr Auszubildende mit Migrationshintergrund.",
        results="Anteil Auszubildender mit Migrationshintergrund: 5 % (2006) → 16,8 % "
                "(2013), Ziel 20 %"),
    "berlin": dict(
        title="Berlin braucht dich!", municipality="Berlin", federal_state="Berlin",
        body_kind="stadt", themes=("arbeit",),
        summary="Berufsorientierung an Schulen und Ausbildung im öffentlichen Dienst.",
        description="Auch künftige Altenpflegerinnen und Erzieher lernen Betriebe kennen."),
    "giessen": dict(
        title="Integrationsplan für alle Gemeinden", municipality="Landkreis Gießen",
        federal_state="Hessen", body_kind="landkreis", themes=("wohnen", "ehrenamt"),
        summary="Ein gemeinsamer Plan der Gemeinden des Kreises.",
        partners="Jobcenter Gießen"),
    "crimmitschau": dict(
        title="Sprachcafé im Rathaus", municipality="Crimmitschau", federal_state="Sachsen",
        body_kind="gemeinde", themes=("ehrenamt",),
        summary="Einmal in der Woche Deutsch sprechen bei Kaffee und Kuchen.",
        description="Nach dem Vorbild der Kölner Lotsen geht es um Alltagsfragen."),
    "joblinge": dict(
        title="JOBLINGE Kompass", municipality="JOBLINGE gAG", federal_state="",
        body_kind="partner", themes=("arbeit",),
        summary="Coaching für junge Geflüchtete auf dem Weg in Ausbildung und Arbeit.",
        partners="Unternehmen der Region"),
    "heidelberg": dict(
        title="Wohnraum für Geflüchtete", municipality="Heidelberg",
        federal_state="Baden-Württemberg", body_kind="stadt", themes=("wohnen",),
        summary="Die Stadt mietet Wohnungen an und vermittelt sie weiter."),
    "bremen": dict(
        title="Gesundheitskarte nach dem Bremer Modell", municipality="Bremen",
        federal_state="Bremen", body_kind="stadt", themes=(),
        summary="Direkter Zugang zur Gesundheitsversorgung ohne Behandlungsschein."),
}


@pytest.fixture
def corpus(app) -> dict[str, Contribution]:
    """The fixed corpus above plus one withdrawn and one unverified submission."""
    themes = make_themes()
    made = {}
    for n, (key, fields) in enumerate(CORPUS.items()):
        fields = dict(fields)
        made[key] = new_contribution(
            slug=key, themes=[themes[t] for t in fields.pop("themes")],
            published_at=PUBLISHED + timedelta(hours=n), **fields)
    new_contribution(slug="zurueckgezogen", title="Altenpflege in Köln, zurückgezogen",
                     state=ContributionState.withdrawn)
    new_contribution(slug="eingereicht", title="Altenpflege in Köln, eingereicht",
                     state=ContributionState.submitted, email_verified_at=None)
    db.session.commit()
    return made
