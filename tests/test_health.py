"""``GET /healthz``: 200 when the database answers, 503 (JSON, no traceback) when it does not."""

from __future__ import annotations

import logging
import uuid

import pytest

from events import create_app
from events.extensions import db
from tests.conftest import base_config

PASSWORD = "geheim-im-log-verboten"


@pytest.mark.backends
def test_healthz_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def _unreachable_urls():
    nowhere = f"/nirgends-{uuid.uuid4().hex[:8]}/tief/drin"
    return [
        pytest.param(f"postgresql+psycopg://praxis:{PASSWORD}@127.0.0.1:1/praxis",
                     id="postgresql-port-without-server"),
        pytest.param(f"sqlite:///{nowhere}/praxis.db", id="sqlite-folder-missing"),
    ]


@pytest.mark.parametrize("url", _unreachable_urls())
def test_healthz_503_json_when_the_database_does_not_answer(url, tmp_path, caplog):
    app = create_app(base_config(url, tmp_path))  # starting needs no database
    with app.app_context(), caplog.at_level(logging.ERROR, logger="events"):
        response = app.test_client().get("/healthz")
        db.engine.dispose()
    assert response.status_code == 503
    assert response.is_json
    assert response.get_json() == {"status": "error", "database": "unreachable"}
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "OperationalError" not in text
    assert "database unreachable" in caplog.text
    assert PASSWORD not in caplog.text and PASSWORD not in text


def test_healthz_answers_are_never_cached(client):
    assert client.get("/healthz").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", _unreachable_urls())
@pytest.mark.parametrize("path, as_json", [("/", False), ("/api/v1/workshops", True),
                                           ("/workshops/irgendwas", False)])
def test_pages_and_api_answer_503_with_retry_after_and_one_log_line(url, path, as_json,
                                                                      tmp_path, caplog):
    app = create_app(base_config(url, tmp_path))
    with app.app_context(), caplog.at_level(logging.INFO, logger="events"):
        caplog.clear()
        response = app.test_client().get(path)
        db.engine.dispose()
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    if as_json:
        assert response.get_json()["error"]["code"] == "database_unavailable"
    else:
        assert "Vorübergehend nicht erreichbar" in response.get_data(as_text=True)
    records = [r for r in caplog.records if r.name.startswith("events.web")]
    assert len(records) == 1 and records[0].exc_info is None
    assert "database unavailable" in records[0].getMessage()
    assert PASSWORD not in caplog.text


def test_on_sqlite_a_writing_request_takes_the_write_lock_first(app, client):
    """A deferred transaction that reads and then writes fails with "database is locked"
    when another connection committed in between; POSTs therefore begin IMMEDIATE."""
    from sqlalchemy import event

    seen: list[str] = []

    def _log(conn, cursor, statement, *args):
        seen.append(statement)

    from tests.pages_support import csrf_token

    token = csrf_token(client, "/organiser/login")
    db.session.remove()  # the test's own context must not hold a transaction open
    event.listen(db.engine, "before_cursor_execute", _log)
    try:
        client.post("/organiser/login", data={"csrf_token": token, "email": "a@b.example",
                                              "password": "falsch falsch falsch"})
        posted = list(seen)
        seen.clear()
        db.session.remove()
        client.get("/")
    finally:
        event.remove(db.engine, "before_cursor_execute", _log)
    assert posted and posted[0] == "BEGIN IMMEDIATE"
    assert "BEGIN IMMEDIATE" not in seen
