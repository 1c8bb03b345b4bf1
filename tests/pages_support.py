"""Helpers for the page tests: visible text, CSRF tokens, form posts, an HTML scanner.

Pages are read the way a person reads them (``visible``: tags dropped, entities
decoded, white space collapsed), so assertions name the German text on screen.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

from events.extensions import db
from events.models import utcnow
from events.services import seats, tokens, workshops
from tests.conftest import applicant

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def visible(page: bytes | str) -> str:
    """The text a reader sees: no tags, no scripts, entities decoded, spaces collapsed."""
    text = page.decode() if isinstance(page, bytes) else page
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(html.unescape(text).split())


def main(page: bytes | str) -> str:
    """The visible text of the page's ``<main>`` only (no header, no footer)."""
    text = page.decode() if isinstance(page, bytes) else page
    start, end = text.find("<main"), text.find("</main>")
    assert start >= 0 and end > start, "the page has no <main>"
    return visible(text[start:end])


def csrf_token(client, url: str) -> str:
    """GET the page and return the form's CSRF token (the session cookie stays)."""
    response = client.get(url)
    match = CSRF.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({response.status_code})"
    return match.group(1)


FORM = {
    "name": "Erika Mustermann",
    "email": "erika.mustermann@kommune.example",
    "municipality": "Stadt Köln",
    "role": "Integrationsbüro",
    "consent": "y",
}


def form_data(n: int | None = None, **fields) -> dict:
    """Valid form fields; ``n`` makes the address unique; a value ``None`` drops the field."""
    data = {**FORM, **fields}
    if n is not None and "email" not in fields:
        data["email"] = f"person{n}@kommune.example"
    return {key: value for key, value in data.items() if value is not None}


def post_form(client, url: str, data: dict, *, page: str | None = None):
    """POST like a browser: the CSRF token from the form page first (``page``, else ``url``)."""
    token = csrf_token(client, page or url)
    return client.post(url, data={"csrf_token": token, **data})


def dated_workshops(make_workshop):
    """A ``workshop(capacity=…)`` factory: like ``make_workshop`` but dated from today's real
    clock, since the pages ask the real clock whether registration is open. Test modules
    wrap it in their own ``workshop`` fixture."""
    def make(capacity: int = 10, *, starts_in: timedelta = timedelta(days=21), theme=None,
             **fields):
        fields.setdefault("starts_at", utcnow() + starts_in)
        created = make_workshop(capacity, **fields)
        if theme is not None:
            created.theme = theme
            db.session.commit()
        return created
    return make


# --- what a strict Content-Security-Policy would refuse -------------------------------------


class InlineCodeScanner(HTMLParser):
    """Collects inline scripts, style elements and attributes, ``on…=`` handlers, and the
    URLs of everything the browser would load by itself (stylesheets, scripts, images)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.loads: list[str] = []
        self._in_script = False
        self._script_has_src = False
        self._script_text = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>: {value!r}")
            if name.startswith("on"):
                self.problems.append(f"event handler {name}= on <{tag}>")
            if name in ("href", "src", "action", "formaction") and (value or "").lower(
                    ).strip().startswith("javascript:"):
                self.problems.append(f"javascript: URL on <{tag}>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            self._in_script, self._script_text = True, ""
            self._script_has_src = bool(attributes.get("src"))
            if attributes.get("src"):
                self.loads.append(attributes["src"])
        if tag in ("img", "iframe", "audio", "video", "source", "embed") and attributes.get("src"):
            self.loads.append(attributes["src"])
        if tag == "link" and attributes.get("href"):
            self.loads.append(attributes["href"])

    def handle_endtag(self, tag):
        if tag == "script":
            if not self._script_has_src or self._script_text.strip():
                self.problems.append(f"inline script: {self._script_text.strip()[:60]!r}")
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self._script_text += data


def scan(page: bytes | str) -> InlineCodeScanner:
    scanner = InlineCodeScanner()
    scanner.feed(page.decode() if isinstance(page, bytes) else page)
    scanner.close()
    return scanner


def is_own_host(url: str) -> bool:
    """Relative URLs only: anything with a scheme or host would leave our server."""
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


# --- every page in every state ---------------------------------------------------------


def every_page(client, workshop) -> list[tuple[str, object]]:
    """(name, response) for every page and state of the public site."""
    now = utcnow()
    full = workshop(title="Voller Workshop", capacity=1, slug="voll")
    seated = seats.register(full.id, applicant(1)).registration
    db.session.commit()
    waiting = seats.register(full.id, applicant(2)).registration
    db.session.commit()
    online = workshop(title="Online-Workshop", slug="online", venue_name="", venue_address="",
                      online_url="https://meet.example/raum")
    confirmed = seats.register(online.id, applicant(3)).registration
    db.session.commit()
    seats.confirm(confirmed.id)
    db.session.commit()
    cancelled_reg = seats.register(online.id, applicant(4)).registration
    db.session.commit()
    seats.cancel(cancelled_reg.id)
    db.session.commit()
    expired = seats.register(online.id, applicant(5)).registration
    db.session.commit()
    expired.expires_at = now - timedelta(minutes=1)
    db.session.commit()
    seats.expire_due()
    db.session.commit()
    called_off = workshop(title="Abgesagter Workshop", slug="abgesagt")
    workshops.cancel_workshop(called_off.id, reason="Die Referentin ist erkrankt.")
    db.session.commit()
    workshop(title="Später offen", slug="spaeter", registration_opens_at=now + timedelta(days=2))
    workshop(title="Frist vorbei", slug="frist", registration_closes_at=now - timedelta(hours=1))
    workshop(title="Vergangen", slug="vergangen", starts_at=now - timedelta(days=3))

    pages = [(name, client.get(url)) for name, url in [
        ("catalogue", "/"), ("theme", "/themes/integration"), ("theme-404", "/themes/nichts"),
        ("workshop-full", "/workshops/voll"), ("workshop-open", "/workshops/online"),
        ("workshop-cancelled", "/workshops/abgesagt"), ("workshop-later", "/workshops/spaeter"),
        ("workshop-closed", "/workshops/frist"), ("workshop-past", "/workshops/vergangen"),
        ("workshop-404", "/workshops/nichts"),
        ("link-pending", f"/anmeldung/{tokens.token_for(seated)}"),
        ("link-ask-cancel", f"/anmeldung/{tokens.token_for(seated)}?stornieren=1"),
        ("link-waitlisted", f"/anmeldung/{tokens.token_for(waiting)}"),
        ("link-confirmed", f"/anmeldung/{tokens.token_for(confirmed)}"),
        ("link-cancelled", f"/anmeldung/{tokens.token_for(cancelled_reg)}"),
        ("link-expired", f"/anmeldung/{tokens.token_for(expired)}"),
        ("link-invalid", "/anmeldung/1.kaputt"), ("new-link", "/anmeldung/neuer-link"),
        ("privacy", "/datenschutz"), ("imprint", "/impressum"),
        ("405", "/anmeldung/1.x/bestaetigen"),
    ]]
    pages.append(("form-errors", post_form(client, "/workshops/online",
                                           form_data(9, email="falsch", consent=None))))
    pages.append(("new-link-errors", post_form(client, "/anmeldung/neuer-link", {"email": "x"})))
    pages.append(("csrf-400", client.post("/workshops/online", data=form_data(9))))
    for n, slug in ((10, "online"), (11, "voll"), (10, "online")):  # pending, waitlist, again
        answer = post_form(client, f"/workshops/{slug}", form_data(n))
        assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
        pages.append((f"result-{slug}-{n}", client.get(answer.headers["Location"])))
    link = f"/anmeldung/{tokens.token_for(seated)}"
    post_form(client, f"{link}/bestaetigen", {}, page=link)
    pages.append(("link-flash", client.get(link)))
    return pages
