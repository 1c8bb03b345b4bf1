"""A backup restores into an empty database with every registration, and the app works on it.

PostgreSQL: ``flask backup`` (``pg_dump -Fc``) of a scratch database filled through the
services, ``pg_restore`` into a second, empty one. SQLite: ``flask backup`` (the online
backup API) while another connection holds a write transaction open, then the copy is
opened as the app's database. In both, the restored app shows the same registrations
(ids, statuses, waiting-list places, seat counts), outbox and contributions, and takes a
new registration (the id sequences came along) and finds the contribution in search (the
search index came along). As docs/deployment.md describes it.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from events import create_app
from events.cli.backup import pg_connection_args
from events.extensions import db
from events.models import (
    Contribution,
    OutboxMessage,
    Programme,
    Registration,
    Role,
    Theme,
    Workshop,
    WorkshopStatus,
    utcnow,
)
from events.services import accounts, contribution_moderation, contributions, seats
from events.services.contribution_input import Submission
from tests.conftest import (
    REQUIRE_POSTGRES,
    _migrate,
    applicant,
    base_config,
    scratch_postgres_database,
)

PASSWORD = "Wanderer über dem Nebelmeer 1818"


def make_app(url: str, tmp_path: Path):
    return create_app(base_config(url, tmp_path))


def fill(app) -> None:
    """Two workshops (3 seats each), a programme cap of 5, 9 people: seats, a waiting list,
    a confirmation, a cancellation, queued mail, a published and a submitted example."""
    with app.app_context():
        now = utcnow()
        programme = Programme(slug="programm", name="Programm", capacity=5)
        theme = Theme(slug="integration", name="Integration", description="vor Ort")
        db.session.add_all([programme, theme])
        workshops = [Workshop(programme=programme, theme=theme, slug=f"workshop-{n}",
                              title=f"Workshop {n}", description="Beschreibung",
                              starts_at=now + timedelta(days=20 + n),
                              ends_at=now + timedelta(days=20 + n, hours=6),
                              venue_name="Rathaus", venue_address="Marktplatz 1, 50667 Köln",
                              capacity=3, status=WorkshopStatus.published) for n in (1, 2)]
        db.session.add_all(workshops)
        db.session.commit()
        results = []
        for n in range(9):
            results.append(seats.register(workshops[n % 2].id, applicant(n), now=now))
            db.session.commit()
        seats.confirm(results[0].registration.id, now=now)
        db.session.commit()
        seats.cancel(results[1].registration.id, now=now)  # frees a seat: the list moves
        db.session.commit()

        organiser = accounts.create("chefin@kgst.example", "Chefin", Role.admin, PASSWORD)
        for title, publish in (("Sprachcafé im Rathaus", True), ("Patenschaften", False)):
            contribution = contributions.submit(Submission(
                title=title, municipality="Köln", body_kind="stadt", theme_ids=[theme.id],
                summary="Ein gutes Beispiel.", submitter_name="Max",
                submitter_email=f"{title[:5].lower()}@koeln.example", consent=True))
            contributions.verify(contribution)
            db.session.commit()
            if publish:
                contribution_moderation.publish(organiser, contribution.id)
                db.session.commit()


def snapshot(app) -> dict:
    """Everything a restore must bring back, as plain values."""
    with app.app_context():
        db.session.rollback()
        rows = db.session.scalars(select(Registration).order_by(Registration.id)).all()
        workshops = db.session.scalars(select(Workshop).order_by(Workshop.id)).all()
        programme = db.session.scalars(select(Programme)).one()
        return {
            "registrations": [(r.id, r.workshop_id, r.participant_id, r.status.value,
                               r.participant.email, seats.waitlist_position(r)) for r in rows],
            "seats_taken": {w.id: seats.seats_taken(w.id) for w in workshops},
            "holders": sorted(seats.seat_holders(programme.id)),
            "outbox": [(m.id, m.kind, m.status.value, m.message_id, m.registration_id)
                       for m in db.session.scalars(select(OutboxMessage)
                                                   .order_by(OutboxMessage.id))],
            "contributions": [(c.id, c.slug, c.state.value) for c in db.session.scalars(
                select(Contribution).order_by(Contribution.id))],
        }


def check_restored(original: dict, app) -> None:
    restored = snapshot(app)
    assert restored == original
    statuses = [row[3] for row in original["registrations"]]
    assert {"pending", "confirmed", "waitlisted", "cancelled"} <= set(statuses)
    assert len(original["outbox"]) >= 9 and len(original["contributions"]) == 2
    assert max(original["seats_taken"].values()) == 3 and len(original["holders"]) == 5

    client = app.test_client()
    with app.app_context():
        workshop_id = db.session.scalar(select(func.min(Workshop.id)))
    answer = client.post(f"/api/v1/workshops/{workshop_id}/registrations",
                         json={"name": "Neu Nach Restore", "email": "neu@kommune.example",
                               "municipality": "Bonn", "role": "Sozialamt", "consent": True})
    assert answer.status_code == 202, answer.get_data(as_text=True)
    with app.app_context():
        new = db.session.scalars(select(Registration).order_by(Registration.id.desc())).first()
        assert new.participant.email == "neu@kommune.example"
        assert new.id > original["registrations"][-1][0]  # the id sequence came along
        assert new.status.value == "waitlisted"  # full: the restored counts are in force
    search = client.get("/praxisbeispiele?q=Sprach").get_data(as_text=True)
    assert "Sprachcafé im Rathaus" in search and "Patenschaften" not in search
    assert client.get("/healthz").status_code == 200


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_postgres_dump_restores_into_an_empty_database(tmp_path):
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        reason = "pg_dump/pg_restore missing (Debian: apt-get install postgresql-client)"
        if REQUIRE_POSTGRES:  # CI (.ci/run) installs postgresql-client: never skip there
            pytest.fail(f"REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    dump = tmp_path / "praxis.dump"
    with scratch_postgres_database("praxis_backup") as source_url:
        _migrate(source_url, tmp_path)
        source = make_app(source_url, tmp_path)
        fill(source)
        original = snapshot(source)
        result = source.test_cli_runner().invoke(args=["backup", str(dump)])
        assert result.exit_code == 0, result.output
        assert "Sicherung geschrieben" in result.output
        dispose(source)
    assert dump.read_bytes()[:5] == b"PGDMP"  # custom format, for pg_restore

    with scratch_postgres_database("praxis_restore") as target_url:  # empty: no schema
        args, env = pg_connection_args(make_url(target_url))
        restore = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", *args,
                                  str(dump)], env=env, capture_output=True, text=True)
        assert restore.returncode == 0, restore.stderr
        target = make_app(target_url, tmp_path)
        try:
            check_restored(original, target)
        finally:
            dispose(target)


def test_sqlite_online_backup_restores_while_a_writer_is_busy(tmp_path):
    database = tmp_path / "live.db"
    url = f"sqlite:///{database}"
    _migrate(url, tmp_path)
    source = make_app(url, tmp_path)
    fill(source)
    original = snapshot(source)

    # a writer in the middle of a transaction: the backup sees only committed data
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE programme SET name = 'nicht committet'")
    copy = tmp_path / "backup" / "praxis.db"
    copy.parent.mkdir()
    try:
        result = source.test_cli_runner().invoke(args=["backup", str(copy)])
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.exit_code == 0, result.output
    again = source.test_cli_runner().invoke(args=["backup", str(copy)])
    assert again.exit_code != 0 and "gibt es schon" in again.output  # never overwritten
    dispose(source)
    database.unlink()  # the original is gone: only the copy is left

    target = make_app(f"sqlite:///{copy}", tmp_path)
    try:
        with target.app_context():
            assert db.session.scalar(select(Programme.name)) == "Programm"
        check_restored(original, target)
    finally:
        dispose(target)
