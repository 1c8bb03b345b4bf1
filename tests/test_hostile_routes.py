"""Every route of the URL map, asked with hostile path segments, query strings and bodies:
never a server error, on SQLite and on PostgreSQL (which refuses what SQLite swallows:
integers beyond 64 bits - and beyond 32, the id columns' INTEGER -, NUL characters,
invalid UTF-8)."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import Rule

from tests.conftest import login

HUGE = "99999999999999999999"
SEGMENTS = [HUGE, "2147483648", "-1", "0", "%00", "%FF%FE", "..%2F..%2Fetc%2Fpasswd", "a" * 300,
            "%E2%80%AE%F0%9F%98%80", "'%20OR%201=1--"]
QUERY = ("?q=%00&page=" + HUGE + "&status=%FF&sort=%3BDROP&workshop=" + HUGE
         + "&theme=%00&state=x&kind=%F0%9F%98%80&per_page=-5&von=2027-02-30&bis=%00")
#: A form body as a browser never sends it: NUL, an encoded surrogate (invalid UTF-8),
#: escape sequences, numbers beyond 64 bits, a long text.
FORM = ("name=%00%ED%A0%80&email=a%40b%00.de&title=%1B%5B31m&capacity=" + HUGE
        + "&reason=" + "x" * 5000 + "&q=%00&weeks=" + HUGE + "&subject=%00&body=%FF"
        + "&workshop=" + HUGE + "&theme_id=" + HUGE + "&consent=y")
JSON_BODY = {"name": "\x00\ud800", "email": "a@b\x00.de", "capacity": int(HUGE), "consent": "ja",
             "title": ["x"], "summary": {"a": 1}}


def _paths(rule: Rule) -> list[str]:
    if not rule.arguments:
        return [rule.rule]
    paths = []
    for value in SEGMENTS:
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:[^:>]+(?:\([^)]*\))?:)?{name}>", value, path)
        paths.append(path)
    return paths


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/static"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


@pytest.mark.backends
@pytest.mark.slow
def test_no_route_answers_500_to_hostile_input(app, make_organiser, make_workshop):
    make_workshop(capacity=2)
    clients = {"anonymous": app.test_client()}
    admin = app.test_client()
    login(admin, make_organiser("admin"))
    clients["admin"] = admin
    errors = []
    for who, client in clients.items():
        for rule, method in _rules(app):
            if rule.endpoint == "organiser.auth.logout":
                continue
            for path in _paths(rule):
                for suffix in ("", QUERY):
                    url = path + suffix
                    if method == "GET":
                        response = client.get(url)
                    else:
                        if rule.rule.startswith("/api/"):
                            response = client.open(url, method=method, json=JSON_BODY)
                        else:
                            response = client.open(
                                url, method=method, data=FORM,
                                content_type="application/x-www-form-urlencoded")
                    if response.status_code >= 500 and response.status_code != 503:
                        errors.append(f"{who} {method} {url} → {response.status_code}")
    assert errors == [], "\n".join(errors)
