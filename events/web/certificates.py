"""Public check of a certificate of attendance: ``/bescheinigung/<code>``.

Shows that the certificate is genuine with exactly what it states (name,
workshop, date, hours, issuer) and nothing more. An unknown or revoked code, or
anything that cannot be a code, is a 404 page "nicht gefunden". The route is
rate-limited per address (``RATELIMIT_CERTIFICATE``) against guessing, although
80 random bits leave nothing to guess; pages are not indexed.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from events.extensions import limiter
from events.services import certificates
from events.web.common import security_headers

bp = Blueprint("certificates", __name__)

DEFAULT_LIMIT = "30 per minute;300 per hour"


def certificate_limit() -> str:
    return current_app.config.get("RATELIMIT_CERTIFICATE") or DEFAULT_LIMIT


@bp.after_request
def _private(response):
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Cache-Control"] = "no-store"
    return security_headers(response)


@bp.get("/bescheinigung/")
@limiter.limit(certificate_limit)
def lookup():
    """A form to type the code from the paper; ``?code=`` goes to the check."""
    typed = request.args.get("code", "")
    if typed:
        code = certificates.normalise_code(typed)
        if code is None:
            return render_template("certificates/lookup.html", typed=typed[:40],
                                   invalid=True), 404
        return redirect(url_for(".verify", code=certificates.display_code(code)), 303)
    return render_template("certificates/lookup.html", typed="", invalid=False)


@bp.get("/bescheinigung/<code>")
@limiter.limit(certificate_limit)
def verify(code: str):
    certificate = certificates.find(code)
    if certificate is None:
        return render_template("certificates/not_found.html"), 404
    return render_template("certificates/verify.html", certificate=certificate,
                           code=certificates.display_code(certificate.code),
                           date=certificates.date_text(certificate))
