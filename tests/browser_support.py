"""Browser tests: the app on a real HTTP server in a thread, Debian's chromium via playwright.

``live_server`` serves the test's ``app`` (a migrated SQLite copy) with werkzeug on a
free loopback port and points ``BASE_URL`` at it, so the links in the e-mails lead
back to it. ``browser`` is Debian's ``/usr/bin/chromium`` (``apt-get install
chromium``), launched by playwright's sync API; without it the tests are skipped
with that reason (CI installs it). ``Recorder`` keeps every request, every response
status and every console message of a page.
"""

from __future__ import annotations

import email
import os
import re
import threading
from dataclasses import dataclass, field
from email import policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


class LiveServer:
    def __init__(self, app) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.app.config["BASE_URL"] = self.url
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


@pytest.fixture
def live_server(app):
    with LiveServer(app) as server:
        yield server


_RUNNING: list = []  # the session's one chromium: playwright's sync API runs once per thread


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = ("Debian's chromium is not installed at /usr/bin/chromium "
                  "(apt-get install -y chromium); CI installs it")
        if os.environ.get("REQUIRE_BROWSER", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    if _RUNNING:  # another module's alias of this fixture started it: share it
        yield _RUNNING[0]
        return
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        _RUNNING.append(browser)
        yield browser
        _RUNNING.clear()
        browser.close()
    finally:
        playwright.stop()


@dataclass
class Recorder:
    """Everything a page asked for and said, to check that it stayed on our host."""

    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    console: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("requestfailed", lambda request: self.failed.append(request.url))
        page.on("response", lambda response: self.statuses.__setitem__(response.url,
                                                                        response.status))
        page.on("console", lambda message: self.console.append(message.text))

    def foreign(self, base_url: str) -> list[str]:
        """URLs of requests that went (or would have gone) to another host."""
        own = urlsplit(base_url).netloc
        return [url for url in self.requests
                if not url.startswith("data:") and urlsplit(url).netloc != own]


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    recorder = Recorder()
    recorder.attach(page)
    page.recorder = recorder
    yield page
    context.close()


def focused(page) -> str:
    """``tag#id`` (or the text of a link/button) of the element that has the focus."""
    return page.evaluate("""() => {
        const el = document.activeElement;
        if (!el) return "";
        return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
               (el.id ? "" : ":" + (el.textContent || "").trim().slice(0, 60));
    }""")


def tab_to(page, selector: str, limit: int = 60) -> int:
    """Press Tab until the element matching ``selector`` has the focus; return the presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return presses
    raise AssertionError(f"{selector} not reached with {limit} Tab presses; "
                         f"focus is on {focused(page)}")


def mails(folder: Path, kind: str) -> list[email.message.EmailMessage]:
    """The .eml files the sender wrote for ``kind`` (oldest first)."""
    return [email.message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted(Path(folder).glob(f"*-{kind}.eml"))]


def personal_link(message, base_url: str) -> str:
    """The personal link in the plain-text part of a message."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(re.escape(base_url) + r"/anmeldung/[A-Za-z0-9._-]+", text)
    assert match, f"no personal link in:\n{text}"
    return match.group(0)


WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[str]:
    """axe-core (shipped by axe-playwright-python) over the current page: one line per
    violation of a WCAG 2.0/2.1 A or AA rule, naming the rule and the elements."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS},
                                       "resultTypes": ["violations"]})
    found = []
    for violation in results.response.get("violations", []):
        targets = [" ".join(map(str, node.get("target", []))) for node in violation["nodes"]]
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} "
                     f"→ {', '.join(targets[:5])}")
    return found
