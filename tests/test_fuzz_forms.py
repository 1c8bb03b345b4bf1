"""hypothesis over the HTML forms: arbitrary text in every field, on SQLite and PostgreSQL.

Each form is posted the way a browser posts it (urlencoded, the real CSRF token of the
form page), but every field is either its valid value, arbitrary unicode (control
characters and lone surrogates included: they travel as invalid UTF-8), arbitrary bytes,
or one of the values attackers try first (NUL, numbers beyond 64 bits, 5,000 characters,
markup, format strings). The answer is never a server error; it is either a redirect
(accepted) or the form again with German messages (4xx), never WTForms' English ones.

Forms: registration on a workshop page, "send my link again", contribution submission,
organiser login, and in the back office: create a workshop, compose a message (the
preview is a 200 page), add an attendee by hand.

Deterministic like ``test_fuzz_api.py``: ``FUZZ_EXAMPLES`` (default 200) sets the run's
length; each form gets half of it (100 by default, 2,500 with ``FUZZ_EXAMPLES=5000``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from events.extensions import db
from events.models import Registration, utcnow
from tests import pages_support
from tests.conftest import ORGANISER_PASSWORD, confirmed, login
from tests.pages_support import FORM, csrf_token, dated_workshops, main

EXAMPLES = max(10, int(os.environ.get("FUZZ_EXAMPLES", "200")) // 2)
ODD = ["", " ", "\x00", "a\x00b", "99999999999999999999", "-1", "0", "\ufeff", "\u202e",
       "x" * 5000, "<script>alert(1)</script>", "{name}", "%s%n", "\r\n\t", "\ud800",
       "ja", "on", "1.5e308", "javascript:alert(1)", "../../etc/passwd"]
#: Every code point, surrogates too (they go out as invalid UTF-8, as a hostile client sends).
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=300)
ENGLISH = ("This field", "Not a valid", "Invalid", "is required", "CSRF", "must be")
EXPIRED = "Das Formular ist abgelaufen"


def value(valid: str | list[str]):
    """One field: its valid value, arbitrary text or bytes, or a well-known odd value."""
    options = [st.just(valid), ANY_TEXT, st.binary(max_size=120), st.sampled_from(ODD)]
    if isinstance(valid, list):
        options.append(st.lists(st.one_of(ANY_TEXT, st.sampled_from(ODD)), max_size=4))
    return st.one_of(options)


def _encoded(item: str | bytes) -> str:
    raw = item.encode("utf-8", "surrogatepass") if isinstance(item, str) else item
    return quote(raw, safe="")


def encode(fields: dict) -> bytes:
    """``application/x-www-form-urlencoded`` of any value, invalid UTF-8 included."""
    pairs = []
    for name, item in fields.items():
        for one in item if isinstance(item, list) else [item]:
            pairs.append(f"{quote(name)}={_encoded(one)}")
    return "&".join(pairs).encode("ascii")


@dataclass
class FormCase:
    """A form to fuzz: where it is, its valid fields, who posts it, what a 200 may be."""

    url: str
    valid: dict
    client: Callable[[], object]
    ok_statuses: set = field(default_factory=lambda: {302, 303})


@pytest.fixture
def forms(app, make_workshop, make_organiser, theme):
    """The seven forms, each with rows its valid values point to."""
    workshop = dated_workshops(make_workshop)(capacity=3)
    admin = app.test_client()
    login(admin, make_organiser("admin"))
    anonymous = app.test_client()
    organiser = make_organiser("organiser")
    confirmed(workshop, 1, utcnow())  # the message goes to the confirmed participants
    person = {**{key: FORM[key] for key in ("name", "municipality", "role")},
              "email": "nachmeldung@kommune.example"}  # not the one the forms register
    return {
        "registration": FormCase(
            f"/workshops/{workshop.slug}", {
                **FORM, "remarks": "Vegetarisch", "accessibility_needs": "Rollstuhl",
                "accessibility_consent": "y"}, lambda: anonymous),
        "link-again": FormCase("/anmeldung/neuer-link",
                               {**FORM, "workshop": str(workshop.id)}, lambda: anonymous),
        "contribution": FormCase("/praxisbeispiele/einreichen", {
            "title": "Ausbildung in der Verwaltung", "municipality": "Hamburg",
            "federal_state": "Hamburg", "body_kind": "stadt", "themes": [str(theme.id)],
            "summary": "Kurz.", "description": "## Vorgehen\n\n- Kampagne",
            "results": "16,8 %", "partners": "Handelskammer",
            "links": "https://www.hamburg.de/", "contact_name": "Erika",
            "contact_email": "erika@hamburg.example", "contact_phone": "+49 40 1",
            "contact_public": "y", "workshops": [str(workshop.id)],
            "submitter_name": "Erika", "submitter_email": "erika@hamburg.example",
            "consent": "y"}, lambda: anonymous),
        "login": FormCase("/organiser/login", {
            "email": organiser.email, "password": ORGANISER_PASSWORD,
            "next": "/organiser/"}, app.test_client),  # a new client each: a success logs in
        "workshop-create": FormCase("/organiser/workshops/neu", {
            "title": "Übergänge gestalten", "theme_id": str(theme.id),
            "description": "Was Kommunen tun können.", "starts_at_date": "2031-03-04",
            "starts_at_time": "10:00", "ends_at_date": "", "ends_at_time": "13:00",
            "venue_name": "Rathaus", "venue_address": "Rathausplatz 2, 50667 Köln",
            "online_url": "", "capacity": "12", "registration_opens_at": "",
            "registration_closes_at": ""}, lambda: admin),
        "message-compose": FormCase(f"/organiser/nachrichten/workshop/{workshop.id}", {
            "step": "preview", "audience": "confirmed", "selection": [],
            "subject": "Raumänderung", "body": "Guten Tag {name},\n\nIhr Link: {link}",
            "digest": ""}, lambda: admin, ok_statuses={200, 303}),
        "add-attendee": FormCase(
            f"/organiser/teilnehmende/workshop/{workshop.id}/hinzufuegen",
            {**person, "reason": "Nachmeldung per Telefon"}, lambda: admin),
    }


def check(name: str, form: FormCase, response) -> str:
    """``accepted`` or ``refused`` (with German messages); anything else fails."""
    status, page = response.status_code, response.get_data(as_text=True)
    where = f"{name}: {status}"
    assert status < 500, f"{where}\n{page[:800]}"
    if status in form.ok_statuses:
        assert status == 200 or response.headers.get("Location"), where
        return "accepted"
    assert 400 <= status < 500, f"{where}: neither accepted nor refused"
    assert response.mimetype == "text/html", where
    assert EXPIRED not in page, f"{where}: the CSRF token was refused, the form not reached"
    start, end = page.find("<main"), page.find("</main>")
    body = page[start:end]
    assert "kern-alert--danger" in body or "kern-form-input--error" in body, (
        f"{where}: no message on the page\n{body[:800]}")
    assert not any(word in body for word in ENGLISH), f"{where}: English message\n{body[:800]}"
    return "refused"


def _fuzz(name: str, form: FormCase) -> None:
    """``EXAMPLES`` posts of one form; raises the first (shrunk) failure, or fails when
    the posts were all accepted or all refused (then the fuzz did not reach the rules)."""
    outcomes = set()
    tokens: dict = {}

    def csrf_token(client, url: str) -> str:
        """As a browser sends a form again and again: the page once per client, then its
        token, good for the client's session (a refused token fails ``check``). Named as
        the helper it wraps, so that ``run``'s source, from which hypothesis derives the
        examples, stays as it was: the same posts as when each fetched the page anew."""
        if (client, url) not in tokens:
            tokens[client, url] = pages_support.csrf_token(client, url)
        return tokens[client, url]

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(fields=st.fixed_dictionaries({key: value(valid)
                                         for key, valid in form.valid.items()}))
    def run(fields):
        client = form.client()
        token = csrf_token(client, form.url)
        response = client.post(form.url, data=encode({"csrf_token": token, **fields}),
                               content_type="application/x-www-form-urlencoded")
        outcomes.add(check(name, form, response))

    run()
    assert outcomes == {"accepted", "refused"}, f"{name}: only {outcomes}"


@pytest.mark.backends
@pytest.mark.slow
def test_no_form_fails_on_arbitrary_text(app, forms):
    """Every form, ``EXAMPLES`` posts each; every form runs even when one failed."""
    failures = []
    for name, form in forms.items():
        try:
            _fuzz(name, form)
        except Exception as error:  # noqa: BLE001 - collected, reported below
            failures.append(f"--- {name}: {type(error).__name__}\n{str(error)[:3000]}\n"
                            + "\n".join(getattr(error, "__notes__", [])))
    assert not failures, "\n".join(failures)


def test_the_encoder_sends_what_a_hostile_client_sends():
    assert encode({"a": "\x00", "b": "\ud800", "c": b"\xff", "d": ["1", "2"]}) == (
        b"a=%00&b=%ED%A0%80&c=%FF&d=1&d=2")


@pytest.mark.backends
@pytest.mark.parametrize("field", ["name", "municipality", "remarks", "accessibility_needs"])
def test_a_control_character_is_refused_next_to_its_field(app, forms, field):
    """What the fuzz found: NUL in a registration's text reached PostgreSQL (a 500)."""
    form = forms["registration"]
    client = form.client()
    data = {**form.valid, field: "Zeile\x00eins"}
    response = client.post(form.url, data=encode(
        {"csrf_token": csrf_token(client, form.url), **data}),
        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    assert "Dieser Wert enthält Steuerzeichen" in main(response.data)
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1  # fixture's
