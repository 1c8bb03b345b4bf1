""".ics downloads and subscriptions (webcal), and the links the pages show for them.

Feeds: ``/calendar.ics`` (the programme), ``/themes/<slug>/calendar.ics``, the
personal ``/calendar/<token>.ics`` and the single-event download
``/workshops/<slug>/calendar.ics``. Each answers with an ETag and
Last-Modified from a version read in one small query; a conditional GET that
matches gets 304 before any feed is built.

Template helpers (a context processor, so every template can call them):

* ``calendar_feed_links(theme=None)`` → ``FeedLinks(webcal=…, https=…)`` of the
  programme feed or one theme's feed (``theme`` is a Theme or its slug);
* ``workshop_calendar_url(workshop)`` → the .ics download ("In Kalender übernehmen");
* ``google_calendar_url(workshop)`` → "In Google Kalender eintragen";
* ``personal_feed_links(registration)`` → ``FeedLinks`` of the participant's own
  feed plus ``renew`` (the POST address that replaces its secret; send it
  with the page's ``ActionForm`` CSRF token).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import gettext as _

from events import ical
from events.extensions import db
from events.models import Registration, Theme, Workshop
from events.services import catalogue, subscriptions, tokens
from events.services.errors import NotFound
from events.services.subscriptions import FeedVersion
from events.urls import base_url
from events.web import page_cache
from events.web.forms import ActionForm

bp = Blueprint("feeds", __name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"


@dataclass(frozen=True)
class FeedLinks:
    webcal: str
    https: str
    renew: str | None = None


# --- answering with a version ---------------------------------------------------------


def _not_modified(version: FeedVersion) -> bool:
    """True when the client's copy is current (If-None-Match first, else If-Modified-Since).

    Never while the page cache builds its copy: the cache needs the whole feed and
    answers the conditional GET itself, with the same ETag."""
    if page_cache.building():
        return False
    if request.if_none_match:
        return request.if_none_match.contains_weak(version.etag)
    since = request.if_modified_since
    if since is not None and version.last_modified is not None:
        return version.last_modified.replace(microsecond=0) <= since.astimezone(timezone.utc)
    return False


def _answer(version: FeedVersion, build, filename: str, *, private: bool = False,
            download: bool = False) -> Response:
    """304 without calling ``build`` when the client is current; else the calendar."""
    if _not_modified(version):
        response = Response(status=304)
    else:
        response = Response(build(), content_type=CONTENT_TYPE)
        disposition = "attachment" if download else "inline"
        response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.set_etag(version.etag)
    response.last_modified = version.last_modified
    # Revalidate every time: the 304 is cheap, and an edit shows at the next refresh.
    response.headers["Cache-Control"] = ("private" if private else "public") + ", no-cache"
    if private:
        response.headers["X-Robots-Tag"] = "noindex"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _programme():
    programme = catalogue.current_programme()
    if programme is None:
        raise NotFound(_("Es ist noch kein Programm angelegt."))
    return programme


# --- the feeds --------------------------------------------------------------------------


@bp.get("/calendar.ics")
@page_cache.cached
def programme_feed():
    programme = _programme()
    return _answer(subscriptions.programme_version(programme),
                   lambda: ical.feed(subscriptions.programme_workshops(programme),
                                     name=programme.name),
                   "praxisaustausch.ics")


@bp.get("/themes/<slug>/calendar.ics")
@page_cache.cached
def theme_feed(slug: str):
    programme = _programme()
    theme = subscriptions.theme_by_slug(slug)
    if theme is None:
        raise NotFound(_("Dieses Thema gibt es nicht."))
    return _answer(subscriptions.programme_version(programme),
                   lambda: ical.feed(subscriptions.programme_workshops(programme, theme),
                                     name=f"{programme.name}: {theme.name}"),
                   f"{theme.slug}.ics")


@bp.get("/workshops/<slug>/calendar.ics")
@page_cache.cached
def workshop_download(slug: str):
    item = catalogue.get_workshop_by_slug(slug)
    if item is None:
        raise NotFound()
    workshop = item.workshop
    return _answer(subscriptions.programme_version(workshop.programme),
                   lambda: ical.single_event(workshop), f"{workshop.slug}.ics", download=True)


@bp.get("/calendar/<token>.ics")
def personal_feed(token: str):
    participant = subscriptions.participant_for_feed_token(token)
    return _answer(subscriptions.personal_version(participant),
                   lambda: ical.feed(subscriptions.personal_workshops(participant),
                                     name=_("Meine Workshops – Praxisaustausch")),
                   "meine-workshops.ics", private=True)


@bp.post("/anmeldung/<token>/kalender-abo/erneuern")
def renew_personal_feed(token: str):
    """Replace the personal feed's secret (from the personal page): the old URL stops working."""
    registration = tokens.registration_for(token)  # InvalidLink → the 404 page
    if not ActionForm().validate_on_submit():
        flash(_("Das Formular ist abgelaufen. Bitte versuchen Sie es noch einmal."), "error")
        return redirect(url_for("registration.manage", token=token), 303)
    subscriptions.revoke_feed(registration.participant)
    db.session.commit()
    flash(_("Ihr Kalender-Abo hat eine neue Adresse. Die bisherige funktioniert nicht mehr; "
            "bitte abonnieren Sie die neue Adresse in Ihrem Kalender."), "success")
    return redirect(url_for("registration.manage", token=token), 303)


# --- links for the templates ------------------------------------------------------------


def _absolute(path: str) -> str:
    return f"{base_url()}{path}"


def _links(path: str, renew: str | None = None) -> FeedLinks:
    https = _absolute(path)
    parts = urlsplit(https)
    return FeedLinks(webcal=urlunsplit(("webcal",) + tuple(parts[1:])), https=https,
                     renew=renew)


def calendar_feed_links(theme: Theme | str | None = None) -> FeedLinks:
    """Subscription addresses of the programme feed, or of one theme's feed."""
    if theme is None:
        return _links("/calendar.ics")
    slug = theme if isinstance(theme, str) else theme.slug
    return _links(f"/themes/{slug}/calendar.ics")


def workshop_calendar_url(workshop: Workshop) -> str:
    """The single-event .ics download of the workshop."""
    return _absolute(f"/workshops/{workshop.slug}/calendar.ics")


def _google_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_url(workshop: Workshop) -> str:
    """Google Calendar's "add event" address, filled in (no online link: it is public)."""
    details = (f"{workshop.description}\n\n" if workshop.description else "") + \
        f"Anmeldung und Details: {ical.workshop_url(workshop)}"
    query = {
        "action": "TEMPLATE",
        "text": workshop.title,
        "dates": f"{_google_time(workshop.starts_at)}/{_google_time(workshop.ends_at)}",
        "ctz": ical.zone_name(),
        "details": details,
        "location": ical.location(workshop),
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def personal_feed_links(registration: Registration) -> FeedLinks:
    """The participant's own feed and the POST address that renews its secret."""
    feed = subscriptions.feed_token(registration.participant)
    renew = url_for("feeds.renew_personal_feed", token=tokens.token_for(registration))
    return _links(f"/calendar/{feed}.ics", renew=renew)


@bp.app_context_processor
def calendar_helpers() -> dict:
    return {
        "calendar_feed_links": calendar_feed_links,
        "workshop_calendar_url": workshop_calendar_url,
        "google_calendar_url": google_calendar_url,
        "personal_feed_links": personal_feed_links,
    }
