"""No N+1: each page runs the same number of SQL statements at a small and a larger size.

The data comes from ``bench/grow.py`` (the seat rules replayed, practice examples indexed)
at two sizes: 3 workshops / 10 registrations / 5 examples over 3 themes, and 30 / 200 / 60
over 8 themes. On each, a fresh app serves every page once, after an organiser has logged
in; a ``before_cursor_execute`` listener counts the statements of each request. A count
that grows with the data is a query per row somewhere (the list it names shows where).

Independent of any page cache: ``PAGE_CACHE_SECONDS=0`` and each page is counted on its
first request. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, select

from bench.grow import Sizes, broken_rules, grow
from events import create_app
from events.extensions import db
from events.models import (
    Contribution,
    Participant,
    Registration,
    RegistrationStatus,
    Role,
    Theme,
    Workshop,
    WorkshopStatus,
    utcnow,
)
from events.models.contributions import contribution_workshop
from events.services import accounts, subscriptions
from tests.conftest import ORGANISER_PASSWORD, _truncate, base_config, login

SMALL = Sizes(workshops=3, themes=3, registrations=10, contributions=5)
LARGE = Sizes(workshops=30, themes=8, registrations=200, contributions=60)


def _busiest_workshop(now) -> Workshop:
    """An upcoming published workshop with practice examples, the most registrations."""
    registrations = (select(func.count(Registration.id))
                     .where(Registration.workshop_id == Workshop.id).scalar_subquery())
    examples = (select(func.count()).select_from(contribution_workshop)
                .where(contribution_workshop.c.workshop_id == Workshop.id).scalar_subquery())
    return db.session.scalars(
        select(Workshop).where(Workshop.status == WorkshopStatus.published,
                               Workshop.starts_at > now)
        .order_by(examples.desc(), registrations.desc(), Workshop.id).limit(1)).one()


def _busiest_participant() -> Participant:
    active = Registration.status.in_((RegistrationStatus.pending, RegistrationStatus.confirmed,
                                      RegistrationStatus.waitlisted))
    return db.session.scalars(
        select(Participant).join(Registration).where(active).group_by(Participant.id)
        .order_by(func.count(Registration.id).desc(), Participant.id).limit(1)).one()


def _pages() -> dict[str, str]:
    """Name → URL of every page the test counts, picked in the grown data."""
    now = utcnow()
    workshop = _busiest_workshop(now)
    contribution = db.session.scalars(
        select(Contribution).join(contribution_workshop)
        .order_by(Contribution.id).limit(1)).first() or db.session.get(Contribution, 1)
    participant = _busiest_participant()
    return {
        "catalogue /": "/",
        "theme page": f"/themes/{db.session.get(Theme, workshop.theme_id).slug}",
        "workshop page": f"/workshops/{workshop.slug}",
        "API /api/v1/workshops": "/api/v1/workshops",
        "programme feed /calendar.ics": "/calendar.ics",
        "personal feed": f"/calendar/{subscriptions.feed_token(participant)}.ics",
        "attendee list (workshop)": f"/organiser/teilnehmende/workshop/{workshop.id}",
        "attendee list (programme)": "/organiser/teilnehmende/",
        "dashboard": "/organiser/",
        "practice exchange search": "/praxisbeispiele?q=Integration",
        "practice exchange list": "/praxisbeispiele",
        "practice example": f"/praxisbeispiele/{contribution.slug}",
    }


def _counts(url: str, tmp_path, sizes: Sizes, now=None) -> dict[str, int]:
    """Grow ``sizes`` in the (empty) database at ``url`` up to ``now`` (default: the
    present); statements per page."""
    app = create_app({**base_config(url, tmp_path), "PAGE_CACHE_SECONDS": 0})
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        now = now or utcnow()
        grow(sizes, seed=15, now=now)
        assert broken_rules(now) == []
        organiser = accounts.create("orga@kgst.example", "Orga", Role.admin, ORGANISER_PASSWORD)
        db.session.commit()
        organiser = SimpleNamespace(email=organiser.email)
        pages = _pages()
        engine = db.engine
        db.session.remove()
    # each request in an app context of its own, as in production: nothing is remembered
    # from the request before (no identity map shared across requests)
    client = app.test_client()
    login(client, organiser)
    result = {}
    event.listen(engine, "before_cursor_execute", count)
    try:
        for name, page in pages.items():
            statements.clear()
            response = client.get(page)
            assert response.status_code == 200, (name, page, response.status_code)
            result[name] = len(statements)
            result[name + " statements"] = list(statements)
            result[name + " bytes"] = len(response.data)
    finally:
        event.remove(engine, "before_cursor_execute", count)
        engine.dispose()
    return result


@pytest.fixture
def empty_database(request, database_url):
    """A migrated, empty database per call on the test's backend (SQLite: a fresh copy)."""
    import shutil

    def fresh(tag: str) -> str:
        if database_url.startswith("sqlite"):
            source = request.getfixturevalue("sqlite_template")
            path = request.getfixturevalue("tmp_path") / f"{tag}.db"
            shutil.copy(source, path)
            return f"sqlite:///{path}"
        _truncate(database_url)
        return database_url
    return fresh


@pytest.mark.backends
def test_every_page_runs_a_fixed_number_of_statements(empty_database, tmp_path):
    small = _counts(empty_database("small"), tmp_path, SMALL)
    large = _counts(empty_database("large"), tmp_path, LARGE)
    pages = [name for name in small if not name.endswith((" statements", " bytes"))]
    # the lists did grow (more rows on the page), so equal counts mean something
    for name in ("catalogue /", "API /api/v1/workshops", "programme feed /calendar.ics",
                 "attendee list (workshop)", "attendee list (programme)", "dashboard",
                 "practice exchange search"):
        assert large[name + " bytes"] > small[name + " bytes"], name
    grown = {name: (small[name], large[name]) for name in pages if small[name] != large[name]}
    detail = {name: (small[name + " statements"], large[name + " statements"])
              for name in grown}
    assert not grown, (f"statements grow with the data (small, large): {grown}", detail)
    print({name: small[name] for name in pages})
