"""Markdown of contributions → safe HTML: CommonMark (markdown-it-py), then nh3.

The parser is told not to pass raw HTML through, and nh3 cleans what comes out
anyway (defence in depth): no script, no style, no event handlers, links only to
http, https and mailto (``javascript:`` and ``data:`` are dropped), every link
``rel="nofollow noopener noreferrer"``. Images are not allowed: an image would
load from another host (the site's CSP forbids it) and could track readers.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

#: Tags a description may use after rendering.
TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "a",
    "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _shift_headings(html: str) -> str:
    """A description's ``# Titel`` must not compete with the page's own h1."""
    for level in (1,):
        html = html.replace(f"<h{level}>", "<h2>").replace(f"</h{level}>", "</h2>")
    return html


def clean(html: str) -> str:
    """Sanitise HTML with the tags, attributes and URL schemes above."""
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="nofollow noopener noreferrer", strip_comments=True)


def render(text: str | None) -> Markup:
    """Markdown → cleaned HTML, safe to put into a template as it is."""
    if not text:
        return Markup("")
    return Markup(clean(_shift_headings(_parser.render(text))))
