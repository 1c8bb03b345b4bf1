"""``GET /healthz``: 200 when the database answers, 503 otherwise (JSON either way).

For load balancers and monitoring: one round trip to the database, never
cached, never rate-limited. The log names the kind of failure only, never the
database URL (it may hold a password).
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from events.extensions import db, limiter
from events.web.api_models import answer
from events.web.api_schemas import Health

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()  # end the read transaction: nothing stays open
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.error("health check: database unreachable: %s", type(exc).__name__)
        response = jsonify(answer(Health, {"status": "error", "database": "unreachable"}))
        response.status_code = 503
    else:
        response = jsonify(answer(Health, {"status": "ok", "database": "ok"}))
    response.headers["Cache-Control"] = "no-store"
    return response
