"""The public practice exchange: search page, one page per example, Atom feed, attachments.

HTTP only: the parameters are checked here, the search is ``services.contribution_search``,
everything else ``services.contribution_catalogue``. Only published examples are shown;
any other slug is a 404. Query parameters of the list (German, as they appear in the
address bar): ``q``, ``thema``, ``bundesland``, ``art``, ``seite``. Unknown filter
values are dropped (the page says so), never an error.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from events.models import FEDERAL_STATES, BodyKind, utcnow
from events.services import contribution_catalogue, contribution_search, markdown
from events.services.contribution_input import body_kind_labels
from events.services.contribution_search import Filters
from events.urls import base_url, stable_host
from events.web import page_cache
from events.web.common import security_headers
from events.web.downloads import download

bp = Blueprint("contributions", __name__, url_prefix="/praxisbeispiele")
bp.after_request(security_headers)

FEED_SIZE = 30
ATOM = "http://www.w3.org/2005/Atom"
XML = "http://www.w3.org/XML/1998/namespace"
#: Characters XML 1.0 does not allow at all (control characters other than tab and newlines).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _page_number(raw: str | None) -> int:
    """``seite`` as a page number; anything odd (text, 0, huge numbers) is page 1."""
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 5:
        return max(1, min(int(raw), contribution_search.MAX_PAGE))
    return 1


def list_filters(args) -> tuple[Filters, list[str]]:
    """The filters of the request's query string, and the names of those dropped as unknown."""
    dropped = []
    theme = (args.get("thema") or "").strip() or None
    if theme and (len(theme) > 100 or not contribution_catalogue.theme_exists(theme)):
        theme, dropped = None, [*dropped, _("Thema")]
    state = (args.get("bundesland") or "").strip() or None
    if state and state not in FEDERAL_STATES:
        state, dropped = None, [*dropped, _("Bundesland")]
    kind = (args.get("art") or "").strip() or None
    if kind and kind not in {k.value for k in BodyKind}:
        kind, dropped = None, [*dropped, _("Art der Einrichtung")]
    return Filters(theme=theme, federal_state=state, kind=kind), dropped


@bp.get("")
@page_cache.cached
def index():
    """Search box, filters with their counts, results (20 per page)."""
    filters, dropped = list_filters(request.args)
    query = (request.args.get("q") or "").replace("\x00", "")
    labels = body_kind_labels()
    result = contribution_search.search(query, filters, kind_labels=labels,
                                        page=_page_number(request.args.get("seite")))
    return render_template("contributions/list.html", result=result, dropped=dropped,
                           kind_labels=labels, query=result.query,
                           link=_link_builder(result.query, filters),
                           searching=bool(result.terms or filters != Filters()))


def _link_builder(query: str, filters: Filters):
    """``link(thema="wohnen")``: this search with one parameter changed (back to page 1)."""
    current = {"q": query.strip() or None, "thema": filters.theme,
               "bundesland": filters.federal_state, "art": filters.kind}

    def link(**changes) -> str:
        params = {**current, "seite": None, **changes}
        return url_for("contributions.index", **{k: v for k, v in params.items() if v})
    return link


def _size(size: int) -> str:
    """``2,4 MB`` / ``312 KB``: file sizes as German readers write them."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    return f"{max(1, -(-size // 1024))} KB"


@bp.get("/<slug>")
@page_cache.cached
def detail(slug: str):
    """One published example; 404 for any other slug."""
    contribution = contribution_catalogue.get_published(slug)
    if contribution is None:
        abort(404)
    return render_template(
        "contributions/detail.html", c=contribution,
        description_html=markdown.render(contribution.description),
        workshops=contribution_catalogue.public_workshops(contribution),
        contact=contribution_catalogue.public_contact(contribution),
        links=contribution_catalogue.public_links(contribution),
        files=[(a, _size(a.size)) for a in contribution.attachments],
        kind_labels=body_kind_labels())


@bp.get("/<slug>/anhang/<int:attachment_id>")
def attachment(slug: str, attachment_id: int):
    """A file of a published example, always as a download with its stored type.

    ``Content-Disposition: attachment`` with an ASCII ``filename`` and the real name as
    ``filename*`` (RFC 6266/5987), ``nosniff``, and a sandbox CSP in case a browser
    shows it anyway. 404 for unknown ids, other examples' files and missing files.
    """
    item = contribution_catalogue.attachment(slug, attachment_id)
    if item is None:
        abort(404)
    return download(item)


# --- Atom feed ---------------------------------------------------------------------------


def _iso(value: datetime | None) -> str:
    return (value or utcnow()).isoformat(timespec="seconds").replace("+00:00", "Z")


def _tag(kind: str, key: str | int) -> str:
    """A permanent ``tag:`` URI (RFC 4151): entry ids must not change with the address."""
    host = stable_host()
    return f"tag:{host},2026:{kind}:{key}"


def _add(parent: ET.Element, name: str, text: str | None = None, **attributes) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{name}", attributes)
    if text is not None:
        element.text = NOT_XML.sub("", text)
    return element


def atom_feed(contributions: list) -> bytes:
    """The newest published examples as an Atom 1.0 document (RFC 4287)."""
    base = base_url()
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {f"{{{XML}}}lang": "de"})
    _add(feed, "id", _tag("praxisbeispiele", "feed"))
    _add(feed, "title", _("Praxisbeispiele – neu veröffentlicht"))
    _add(feed, "subtitle", _("Gute Beispiele aus Kommunen für Kommunen"))
    _add(feed, "updated", _iso(max((c.published_at for c in contributions), default=None)))
    _add(feed, "link", rel="self", href=f"{base}/praxisbeispiele/feed.atom",
         type="application/atom+xml")
    _add(feed, "link", rel="alternate", href=f"{base}/praxisbeispiele", type="text/html")
    author = _add(feed, "author")
    _add(author, "name", current_app.config.get("CONTACT_NAME") or _("Praxisaustausch"))
    for contribution in contributions:
        entry = _add(feed, "entry")
        _add(entry, "id", _tag("praxisbeispiel", contribution.id))
        _add(entry, "title", contribution.title)
        _add(entry, "published", _iso(contribution.published_at))
        _add(entry, "updated", _iso(contribution.published_at))
        _add(entry, "link", rel="alternate", type="text/html",
             href=f"{base}/praxisbeispiele/{contribution.slug}")
        who = _add(entry, "author")
        _add(who, "name", contribution.municipality)
        for theme in contribution.themes:
            _add(entry, "category", term=theme.slug, label=theme.name)
        _add(entry, "summary", contribution.summary, type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


@bp.get("/feed.atom")
@page_cache.cached
def feed():
    """An Atom feed of the newest published examples (newest first)."""
    body = atom_feed(contribution_catalogue.newest(FEED_SIZE))
    response = Response(body, mimetype="application/atom+xml")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
