"""Every page, in every state: no inline code (a strict CSP can be on, and is) and nothing
loaded from another host. ``every_page`` (pages_support) visits them all."""

from __future__ import annotations

import pytest

from tests.pages_support import dated_workshops, every_page, is_own_host, scan


@pytest.fixture
def workshop(make_workshop):
    return dated_workshops(make_workshop)


def test_every_page_is_free_of_inline_code_and_loads_only_from_our_host(client, workshop):
    pages = every_page(client, workshop)
    assert len(pages) >= 28
    for name, response in pages:
        assert response.mimetype == "text/html", name
        found = scan(response.get_data(as_text=True))
        assert found.problems == [], name
        assert found.loads and all(is_own_host(url) for url in found.loads), (name, found.loads)
        csp = response.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in csp and "style-src 'self'" in csp, name
        assert "unsafe-inline" not in csp, name


def test_the_scanner_finds_what_it_looks_for():
    """The scanner above must be able to fail."""
    page = ('<p style="color:red" onclick="go()">x</p><script>alert(1)</script>'
            '<style>p{}</style><a href="javascript:void(0)">y</a>'
            '<link rel="stylesheet" href="https://fonts.example/x.css">')
    found = scan(page)
    assert len(found.problems) == 5
    assert not is_own_host(found.loads[0])


def test_status_codes_of_every_page(client, workshop):
    codes = {name: response.status_code for name, response in every_page(client, workshop)}
    assert codes["catalogue"] == codes["workshop-full"] == codes["link-pending"] == 200
    assert codes["theme-404"] == codes["workshop-404"] == codes["link-invalid"] == 404
    assert codes["405"] == 405 and codes["csrf-400"] == 400
    assert codes["form-errors"] == codes["new-link-errors"] == 422
