"""What every blueprint needs: security headers, rate-limit values, the registration submit.

Blueprints import these from here, never from each other.
"""

from __future__ import annotations

from flask import current_app, request, session

from events.extensions import db
from events.services import seat_pipeline, seats
from events.services.errors import InvalidInput
from events.services.locking import begin_immediately, check_flushed
from events.web.forms import ApplicantFields

RESULT_KEY = "registration_result"


def security_headers(response):
    """Headers for HTML pages: a strict CSP (no inline code anywhere), no referrer abroad."""
    if response.mimetype == "text/html":
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
            "object-src 'none'")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response



WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def begin_writes_immediately() -> None:
    """SQLite: a request that may write starts its transaction with ``BEGIN IMMEDIATE``.

    A deferred transaction that read first and writes later fails at once with
    "database is locked" (SQLITE_BUSY_SNAPSHOT) when another connection committed in
    between; the busy timeout does not help there. Taking the write lock first makes
    concurrent writers queue instead (WAL keeps readers going). PostgreSQL needs none.
    """
    if request.method in WRITING_METHODS and db.engine.dialect.name == "sqlite":
        begin_immediately()


def registration_limit() -> str:
    """The rate limit of registration-like POSTs (``RATELIMIT_REGISTRATION``)."""
    return current_app.config["RATELIMIT_REGISTRATION"]


def register_and_commit(workshop_id: int, applicant) -> seats.RegistrationResult:
    """``seats.register`` and the commit, which returns once the registration is on disk.

    The commit releases the programme lock before the disk has the registration and waits
    for the disk after, outside the lock (``locking.lock_programme_of_workshop``): the
    fsync is not serialised across a rush. The answer goes out only after that.
    """
    result = seat_pipeline.register(workshop_id, applicant)  # PostgreSQL: new or repeated
    if result is None:
        result = seats.register(workshop_id, applicant, flush_later=True)
        db.session.commit()
        check_flushed()
    return result


def submit(form: ApplicantFields, workshop_id: int) -> seats.RegistrationResult | None:
    """Call ``seats.register`` and commit; remember the workshop for the result page.

    The result page does not tell what happened (new, already registered, waiting):
    someone who typed another person's address learns nothing; the mail says it.

    Returns None (messages on the form's fields) when the input is invalid.
    ``RegistrationClosed`` and ``NotFound`` pass through, after a rollback.
    """
    if not form.validate_on_submit():  # the CSRF token; the fields are checked below
        form.show_errors({name: "; ".join(map(str, field.errors)) for name, field
                          in form._fields.items() if field.errors})
        return None
    try:
        result = register_and_commit(workshop_id, form.applicant())
    except InvalidInput as error:
        db.session.rollback()
        form.show_errors(error.errors)
        return None
    except Exception:
        db.session.rollback()
        raise
    # only the workshop: the result page says the same for every address (issue 13), and
    # the session cookie must not differ either
    session[RESULT_KEY] = {"workshop_id": workshop_id}
    return result
