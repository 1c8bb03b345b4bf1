"""``flask --app app seed-demo``: a German demo programme in the future, idempotent."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select

from events.extensions import db
from events.models import Participant, Programme, Registration, Theme, Workshop
from events.services import catalogue


def counts() -> dict:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Programme, Theme, Workshop, Participant, Registration)}


def test_seed_demo_loads_programme_and_is_idempotent(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Demo-Daten geladen" in result.output
    first = counts()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "nichts geändert" in again.output
    assert counts() == first

    programme = db.session.scalar(select(Programme))
    assert programme.name == "Workshopreihe Flüchtlings- und Integrationsmanagement"
    assert programme.capacity == 150
    items = catalogue.list_workshops()
    assert len(items) >= 8
    assert len({item.workshop.theme_id for item in items}) >= 5
    now = datetime.now(timezone.utc)
    assert all(item.workshop.starts_at > now for item in items)
    open_with_seats = [i for i in items if i.registration_open and not i.is_full]
    assert len(open_with_seats) >= 3
    full = [i for i in items if i.is_full and i.waitlist_length > 0]
    assert full and full[0].registration_open
    titles = " ".join(i.workshop.title for i in items)
    for place in ("Hamburg", "Berlin", "Köln", "Crimmitschau", "Heidelberg", "Bremen", "Gießen"):
        assert place in titles
