"""Every UI text is marked for translation (German source texts), and extraction works.

A pseudo-translation wraps every marked text in «…»; rendered under it, a page may show
nothing outside «…» but data (titles, names, dates, addresses) and punctuation.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from events import formatting
from events.extensions import db
from events.models import Participant, Programme, Registration, Theme, Workshop
from tests.pages_support import dated_workshops, every_page, visible


@pytest.fixture
def workshop(make_workshop):
    return dated_workshops(make_workshop)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """messages.pot as ``pybabel extract`` writes it with the command documented in babel.cfg."""
    target = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "extract", "-F",
                    "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--sort-output",
                    "--no-location", "-o", str(target), "."],
                   cwd=ROOT, check=True, capture_output=True, text=True)
    return target


def test_extraction_finds_texts_of_templates_forms_views_and_services(extracted):
    with extracted.open("rb") as handle:
        catalog = read_po(handle)
    ids = {message.id if isinstance(message.id, str) else message.id[0]
           for message in catalog if message.id}
    for text in ("Zum Inhalt springen", "Vor- und Nachname", "Seite nicht gefunden",
                 "Vielen Dank! Ihre Teilnahme ist bestätigt.", "Bitte geben Sie Ihren Namen an.",
                 "Noch %(num)d Platz frei", "Bitte korrigieren Sie %(num)d Angabe",
                 "Datenschutzerklärung"):
        assert text in ids


@pytest.fixture
def config_overrides(extracted, tmp_path) -> dict:
    """A pseudo-translation: every marked text comes back as «text»."""
    with extracted.open("rb") as handle:
        template = read_po(handle)
    catalog = Catalog(locale="de_CH")
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            catalog.add(message.id, tuple(f"«{part}»" for part in message.id),
                        flags=message.flags, context=message.context)
        else:  # with its context: pgettext("Workshop", "Anmelden") is marked too
            catalog.add(message.id, f"«{message.id}»", flags=message.flags,
                        context=message.context)
    folder = tmp_path / "translations" / "de_CH" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)
    return {"BABEL_DEFAULT_LOCALE": "de_CH",
            "BABEL_TRANSLATION_DIRECTORIES": str(tmp_path / "translations")}


def _data_texts(app) -> list[str]:
    """Everything on the pages that is data, not UI text: names, titles, dates, addresses."""
    values: list[str] = []
    for programme in db.session.scalars(db.select(Programme)):
        values += [programme.name, programme.description]
    for theme in db.session.scalars(db.select(Theme)):
        values += [theme.name, theme.description]
    for item in db.session.scalars(db.select(Workshop)):
        values += [item.title, item.description, item.venue_name, item.venue_address,
                   item.cancel_reason, item.online_url or "",
                   formatting.format_range(item.starts_at, item.ends_at),
                   formatting.format_datetime(item.registration_deadline)]
        if item.registration_opens_at:
            values.append(formatting.format_datetime(item.registration_opens_at))
    for person in db.session.scalars(db.select(Participant)):
        values += [person.name, person.email, person.municipality, person.role]
    for registration in db.session.scalars(db.select(Registration)):
        if registration.expires_at:
            values.append(formatting.format_datetime(registration.expires_at))
    config = app.config
    values += [config["OPERATOR_NAME"], config["OPERATOR_EMAIL"], config["CONTACT_EMAIL"]]
    values += [line.strip() for line in config["OPERATOR_ADDRESS"].split(";")]
    return sorted({v for v in values if v}, key=len, reverse=True)


def test_every_ui_text_is_marked_for_translation(app, client, workshop):
    pages = every_page(client, workshop)
    data = _data_texts(app)
    for name, response in pages:
        page = response.get_data(as_text=True)
        text = re.sub(r"«[^»]*»", " ", visible(page))
        for value in data:
            text = text.replace(value, " ")
        leftover = re.sub(r"[\W\d_]+", " ", text).strip()
        assert leftover == "", f"{name}: not marked for translation: {leftover[:200]!r}"
        for label in re.findall(r'aria-label="([^"]*)"', page):
            assert label.startswith("«"), (name, label)
    assert "«Zum Inhalt springen»" in pages[0][1].get_data(as_text=True)
