"""axe-core (WCAG 2.0/2.1 A+AA) over every public page in every state, and 200 % zoom.

The pages and states are those of ``pages_support.every_page`` (catalogue, theme,
workshop pages per state, the registration form with errors, the personal page per
registration state, the new-link form, privacy, imprint, error pages) plus the
accessibility statement, the Leichte Sprache page and the practice exchange. Each
answer is captured with the test client (the states need the database prepared just
so) and replayed in chromium under the live server's address, so its stylesheets,
scripts and CSP are the real ones. 200 % zoom: a 640 CSS px wide viewport (1280 px
at 200 %) must not scroll sideways.
"""

from __future__ import annotations

import pytest

from tests import browser_support as support
from tests.contribution_support import new_contribution
from tests.pages_support import dated_workshops, every_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

browser = support.browser
live_server = support.live_server

DESKTOP = {"width": 1280, "height": 900}
ZOOM_200 = {"width": 640, "height": 450}  # 1280 x 900 at 200 %


@pytest.fixture
def workshop(make_workshop):
    return dated_workshops(make_workshop)


@pytest.fixture
def public_pages(app, client, workshop):
    """(name, status, headers, html) of every public page in every state."""
    from events.extensions import db

    pages = every_page(client, workshop)
    contribution = new_contribution(slug="barrierefrei-beispiel", title="Beispiel barrierefrei",
                                    description="Eine längere Beschreibung.")
    db.session.commit()
    for name, url in [("statement", "/barrierefreiheit"), ("easy-language", "/leichte-sprache"),
                      ("exchange", "/praxisbeispiele"),
                      ("exchange-search", "/praxisbeispiele?q=beispiel"),
                      ("exchange-item", f"/praxisbeispiele/{contribution.slug}"),
                      ("exchange-submit", "/praxisbeispiele/einreichen")]:
        pages.append((name, client.get(url)))
    seen: dict[str, int] = {}
    found = []
    for name, response in pages:
        if response.mimetype != "text/html":
            continue
        seen[name] = seen.get(name, 0) + 1  # the same page asked twice: name both
        unique = name if seen[name] == 1 else f"{name}-{seen[name]}"
        found.append((unique, response.status_code, dict(response.headers),
                      response.get_data(as_text=True)))
    return found


def test_every_public_page_passes_axe_and_zoom(live_server, browser, public_pages):
    assert len(public_pages) > 30
    base = live_server.url
    by_path = {f"/__axe/{name}": (status, headers, body)
               for name, status, headers, body in public_pages}

    def replay(route):
        path = "/" + route.request.url.split("/", 3)[3]
        status, headers, body = by_path[path]
        headers = {k: v for k, v in headers.items()
                   if k.lower() not in {"content-length", "set-cookie"}}
        route.fulfill(status=status, headers=headers, body=body)

    failures = []
    for viewport, label in ((DESKTOP, "1280 px"), (ZOOM_200, "200 % (640 CSS px)")):
        context = browser.new_context(locale="de-DE", viewport=viewport)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.route(f"{base}/__axe/**", replay)
        try:
            for name, *_ in public_pages:
                page.goto(f"{base}/__axe/{name}")
                width = viewport["width"]
                if viewport is DESKTOP:
                    failures += [f"{name}: {v}" for v in support.axe_violations(page)]
                wide = page.evaluate("document.documentElement.scrollWidth")
                if wide > width:
                    failures.append(f"{name} at {label} scrolls sideways: {wide}px wide")
        finally:
            context.close()
    assert not failures, "\n".join(failures)


def test_print_hides_the_chrome_and_writes_out_external_links(live_server, browser):
    context = browser.new_context(locale="de-DE", viewport=DESKTOP)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/barrierefreiheit")
        page.emulate_media(media="print")
        for chrome in (".app-header", ".app-footer", ".kern-kopfzeile", ".app-skip-link"):
            assert page.eval_on_selector(chrome, "e => getComputedStyle(e).display") == "none"
        after = page.eval_on_selector('main a[href^="https://"]',
                                      "e => getComputedStyle(e, '::after').content")
        assert after == '" (https://www.schlichtungsstelle-bgg.de)"'
        internal = page.eval_on_selector('main a[href="/leichte-sprache"]',
                                         "e => getComputedStyle(e, '::after').content")
        assert internal in ("none", "normal")
        assert page.pdf(format="A4")[:5] == b"%PDF-"
    finally:
        context.close()
