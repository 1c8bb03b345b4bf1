"""The public site: catalogue, workshop page with the registration form, privacy, imprint.

HTTP only: parse, call ``events.services``, render. The rules (limits, waiting
list, who may register when) live in ``services.seats``; these pages add none.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import nh3
from flask import Blueprint, Flask, abort, current_app, redirect, render_template, session, url_for
from flask_babel import get_locale
from markupsafe import Markup

from events import assets
from events.extensions import limiter
from events.models import utcnow
from events.services import catalogue, contribution_catalogue
from events.services.catalogue import Availability
from events.services.contribution_input import body_kind_labels
from events.services.errors import RegistrationClosed
from events.web import page_cache
from events.web.common import RESULT_KEY, registration_limit, security_headers, submit
from events.web.forms import RegistrationForm

log = logging.getLogger(__name__)
bp = Blueprint("public", __name__)


def register(app: Flask) -> None:
    """The public blueprint, the KERN assets and what every page template needs."""
    assets.register(app)
    app.register_blueprint(bp)

    @app.context_processor
    def _site():
        config = current_app.config
        return {
            "kern": current_app.extensions.get("kern", {"available": False}),
            "page_lang": str(get_locale() or "de"),
            "site": {
                "operator": config.get("OPERATOR_NAME") or config.get("CONTACT_NAME"),
                "contact_email": config.get("CONTACT_EMAIL"),
            },
        }


bp.after_request(security_headers)


# --- catalogue ---------------------------------------------------------------------------


@bp.get("/")
@page_cache.cached
def index():
    return _catalogue(None)


@bp.get("/themes/<slug>")
@page_cache.cached
def theme(slug: str):
    """The catalogue filtered to one theme; 404 for an unknown theme."""
    return _catalogue(slug)


def _catalogue(theme_slug: str | None):
    themes = catalogue.themes()
    current = None
    if theme_slug is not None:
        current = next((t for t in themes if t.slug == theme_slug), None)
        if current is None:
            abort(404)
    now = utcnow()
    items = catalogue.list_workshops(now=now)
    upcoming = [item for item in items if item.workshop.ends_at > now]
    used_themes = [t for t in themes if any(i.workshop.theme_id == t.id for i in upcoming)]
    if current is not None:
        upcoming = [item for item in upcoming if item.workshop.theme_id == current.id]
    past = [item for item in items if item.workshop.ends_at <= now
            and (current is None or item.workshop.theme_id == current.id)]
    return render_template(
        "public/catalogue.html", figures=catalogue.programme_figures(), themes=used_themes,
        current_theme=current, groups=_by_theme(upcoming, themes), past=past[::-1],
        examples=contribution_catalogue.featured() if current is None else [],
        kind_labels=body_kind_labels(),
    )


def _by_theme(items: list[Availability], themes) -> list[tuple]:
    """``[(theme, [items…]), …]`` in the themes' order, each list by start time."""
    groups: dict[int, list[Availability]] = {}
    for item in items:
        groups.setdefault(item.workshop.theme_id, []).append(item)
    return [(t, groups[t.id]) for t in themes if t.id in groups]


# --- workshop page and registration ------------------------------------------------------


def _item_or_404(slug: str) -> Availability:
    item = catalogue.get_workshop_by_slug(slug)
    if item is None:
        abort(404)
    return item


def _workshop_page(item: Availability, form: RegistrationForm, *, status: int = 200,
                   message: str | None = None):
    return render_template("public/workshop.html", item=item, workshop=item.workshop,
                           form=form, closed_message=message,
                           examples=contribution_catalogue.for_workshop(item.workshop.id),
                           kind_labels=body_kind_labels()), status


@bp.get("/workshops/<slug>")
def workshop(slug: str):
    """The page from the page cache, but with the seat counts and the registration state
    of this very moment (one small query): these are never stale next to the form."""
    if page_cache.active() is None:
        item = _item_or_404(slug)
        return _workshop_page(item, _form_for(item.registration_state))
    facts = page_cache.remember(("workshop-facts", slug), lambda: catalogue.workshop_facts(slug))
    if facts is None:
        abort(404)
    taken, waiting = catalogue.seat_counts(facts.id)
    state = facts.registration_state(utcnow())

    def render():
        item = _item_or_404(slug)
        return _workshop_page(Availability(item.workshop, taken, waiting, state),
                              _form_for(state))

    return page_cache.form_page((taken, waiting, state), render)


def _form_for(registration_state: str) -> RegistrationForm:
    """The form; without a CSRF token (so no session cookie) when the page shows none."""
    if registration_state == "open":
        return RegistrationForm()
    return RegistrationForm(meta={"csrf": False})


@bp.post("/workshops/<slug>")
@limiter.limit(registration_limit)
def register_for(slug: str):
    """Register; on errors the page again with the input kept (422), closed → 409."""
    item = _item_or_404(slug)
    form = RegistrationForm()
    try:
        result = submit(form, item.workshop.id)
    except RegistrationClosed as error:
        return _workshop_page(item, form, status=409, message=str(error))
    if result is None:
        return _workshop_page(item, form, status=422)
    return redirect(url_for("public.registered", slug=slug, _anchor="inhalt"), 303)


@bp.get("/workshops/<slug>/anmeldung")
def registered(slug: str):
    """The same "please look in your mailbox" page for every outcome (issue 13, no
    enumeration); the status and the personal link only travel by e-mail."""
    item = _item_or_404(slug)
    outcome = session.get(RESULT_KEY)
    if not outcome or outcome.get("workshop_id") != item.workshop.id:
        return redirect(url_for("public.workshop", slug=slug))
    return render_template("public/registered.html", item=item, workshop=item.workshop,
                           hours=current_app.config["CONFIRMATION_HOURS"],
                           minutes=current_app.config["LINK_RESEND_MINUTES"])


# --- privacy and imprint -----------------------------------------------------------------


def _operator_text(key: str) -> Markup | None:
    """The operator's own text (an HTML file named in the config), cleaned; None if unset."""
    path = current_app.config.get(key)
    if not path:
        return None
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        log.error("%s=%s cannot be read (%s); showing the default text", key, path, exc)
        return None
    # no scripts, no style attributes: the page keeps its strict CSP
    return Markup(nh3.clean(raw))


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").split(";") if line.strip()]


@bp.get("/datenschutz")
@page_cache.cached
def privacy():
    config = current_app.config
    return render_template("pages/datenschutz.html", custom=_operator_text("PRIVACY_TEXT_FILE"),
                           address=_lines(config.get("OPERATOR_ADDRESS", "")),
                           hours=config["CONFIRMATION_HOURS"])


@bp.get("/impressum")
@page_cache.cached
def imprint():
    config = current_app.config
    return render_template("pages/impressum.html", custom=_operator_text("IMPRINT_TEXT_FILE"),
                           address=_lines(config.get("OPERATOR_ADDRESS", "")))


# --- accessibility statement and Leichte Sprache (BITV 2.0) -------------------------------

ACCESSIBILITY_STATES = ("vollständig", "teilweise", "nicht")


def _checked_on(value: str) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        log.error("ACCESSIBILITY_CHECKED_ON=%r is no date (JJJJ-MM-TT)", value)
        return None


@bp.get("/barrierefreiheit")
@page_cache.cached
def accessibility():
    config = current_app.config
    status = (config.get("ACCESSIBILITY_STATUS") or "teilweise").strip().lower()
    if status not in ACCESSIBILITY_STATES:
        status = "teilweise"
    checked = _checked_on(config.get("ACCESSIBILITY_CHECKED_ON", ""))
    return render_template(
        "pages/barrierefreiheit.html", status=status,
        checked_on=checked.strftime("%d.%m.%Y") if checked else None,
        contact=config.get("ACCESSIBILITY_CONTACT") or config.get("OPERATOR_EMAIL"),
        body=_lines(config.get("ACCESSIBILITY_ENFORCEMENT_BODY", "")),
        body_url=config.get("ACCESSIBILITY_ENFORCEMENT_URL", ""))


@bp.get("/leichte-sprache")
@page_cache.cached
def easy_language():
    return render_template("pages/leichte_sprache.html")
