"""Sign-in sheet, name badges and the certificates page of a workshop, read back with pypdf."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from events.extensions import db
from events.models import AuditEntry, Broadcast, Certificate, OutboxMessage, utcnow
from events.services import attendance, seats, tokens
from tests.conftest import applicant
from tests.pages_support import dated_workshops, main

NAME, PLACE = "Jürgen Öztürk-Weiß", "Landkreis Märkisch-Oderland"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def workshop(make_workshop):
    return dated_workshops(make_workshop)


def confirm_people(item, people, *, now=None, first=1):
    """Register and confirm (name, municipality) pairs for ``item`` at ``now``."""
    now = now or utcnow()
    found = []
    for n, (name, municipality) in enumerate(people, start=first):
        registration = seats.register(item.id, applicant(
            f"{item.id}-{n}", name=name, municipality=municipality), now=now).registration
        db.session.commit()
        seats.confirm(registration.id, now=now)
        db.session.commit()
        found.append(registration)
    return found


def pdf_of(response) -> PdfReader:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(response.data))


def is_a4_portrait(page) -> bool:
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    return abs(width - 595.28) < 1 and abs(height - 841.89) < 1


def test_sign_in_sheet_with_60_people_repeats_its_header(organiser_client, workshop):
    start = (utcnow() + timedelta(days=21)).replace(hour=9, minute=0, second=0, microsecond=0)
    item = workshop(title="Wohnen und Ämter", capacity=70, starts_at=start,
                    venue_name="Rathaus Großenhain", venue_address="Hauptmarkt 1")
    people = [(NAME, PLACE)] + [(f"Person {n:02d} Müller-Lüdenscheidt von und zu "
                                 f"Überlingen-am-Bodensee", "Stadt Köln") for n in range(59)]
    confirm_people(item, people)
    seats.register(item.id, applicant("pending", name="Paula Pending"))  # not confirmed
    db.session.commit()
    reader = pdf_of(organiser_client.get(f"/organiser/dokumente/workshop/{item.id}/"
                                         "teilnehmerliste.pdf"))
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert len(pages) >= 2 and all(is_a4_portrait(page) for page in reader.pages)
    for number, text in enumerate(pages, start=1):
        assert "Teilnehmerliste zum Unterschreiben" in text
        assert "Wohnen und Ämter" in text and "Rathaus Großenhain, Hauptmarkt 1" in text
        assert "Nr." in text and "Unterschrift" in text and "Kommune" in text
        assert f"Seite {number} von {len(pages)}" in text
    everything = "\n".join(pages)
    assert NAME in everything and PLACE in everything
    assert "Paula Pending" not in everything
    # sorted by name, numbered 1…60; a long name wraps but stays complete
    assert everything.index(NAME) < everything.index("Person 00")
    assert " 60 Person 58" in everything
    assert "Überlingen-am-Bodensee" in everything
    assert re.search(r"\d{1,2}:00–\d{1,2}:00 Uhr", pages[0])  # a time range, local


def test_sign_in_sheet_of_a_workshop_without_people(organiser_client, workshop):
    item = workshop()
    reader = pdf_of(organiser_client.get(f"/organiser/dokumente/workshop/{item.id}/"
                                         "teilnehmerliste.pdf"))
    assert len(reader.pages) == 1
    assert "Keine bestätigten Teilnehmenden" in reader.pages[0].extract_text()


@pytest.mark.parametrize("layout, per_page", [("90x55", 10), ("85x54", 10)])
def test_badges_per_page(organiser_client, workshop, layout, per_page):
    item = workshop(title="Integration vor Ort", capacity=30)
    people = [(NAME, PLACE)] + [(f"Badge {n:02d}", f"Gemeinde {n:02d}") for n in range(22)]
    confirm_people(item, people)
    reader = pdf_of(organiser_client.get(
        f"/organiser/dokumente/workshop/{item.id}/namensschilder.pdf",
        query_string={"format": layout}))
    assert len(reader.pages) == 3 and all(is_a4_portrait(page) for page in reader.pages)
    texts = [page.extract_text() for page in reader.pages]
    counts = [text.count("Integration vor Ort") for text in texts]
    assert counts == [per_page, per_page, 23 - 2 * per_page]
    assert NAME in texts[2] and PLACE in texts[2]  # sorted by name: after "Badge 22"


def test_badges_default_layout_and_long_names(organiser_client, workshop):
    long_name = "Maximiliane Friederike von Hohenzollern-Sigmaringen-Übermaß"
    item = workshop()
    confirm_people(item, [(long_name, "Verbandsgemeinde Rhein-Selz"), (NAME, PLACE)])
    reader = pdf_of(organiser_client.get(
        f"/organiser/dokumente/workshop/{item.id}/namensschilder.pdf"))
    text = " ".join(reader.pages[0].extract_text().split())
    assert NAME in text and "Maximiliane Friederike von Hohenzollern-" in text
    assert "Sigmaringen-Übermaß" in text  # wrapped at the hyphen, no letter lost


@pytest.mark.parametrize("value", ["A4", "", "90x55' OR 1=1", "ü" * 300, "\x00"])
def test_unknown_badge_format_is_a_message_not_an_error(organiser_client, workshop, value):
    item = workshop()
    response = organiser_client.get(
        f"/organiser/dokumente/workshop/{item.id}/namensschilder.pdf",
        query_string={"format": value})
    assert response.status_code == 422
    assert "Bitte wählen Sie eines der angebotenen Formate" in main(response.data)


def test_documents_page_offers_the_layouts(organiser_client, workshop):
    item = workshop(title="Druck-Workshop")
    confirm_people(item, [(NAME, PLACE)])
    page = organiser_client.get(f"/organiser/dokumente/workshop/{item.id}")
    assert page.status_code == 200
    text = main(page.data)
    assert "Druck-Workshop" in text and "90 × 55 mm" in text and "85 × 54 mm" in text
    assert "1 bestätigte Person" in text
    html = page.get_data(as_text=True)
    assert f"/organiser/dokumente/workshop/{item.id}/teilnehmerliste.pdf" in html
    assert "style=" not in html


@pytest.mark.parametrize("path", [
    "/organiser/dokumente/workshop/99999999999999999999",
    "/organiser/dokumente/workshop/99999999999999999999/teilnehmerliste.pdf",
    "/organiser/dokumente/workshop/99999999999999999999/namensschilder.pdf",
    "/organiser/dokumente/workshop/4711/teilnehmerliste.pdf",
    "/organiser/dokumente/workshop/4711/namensschilder.pdf?format=85x54",
    "/organiser/dokumente/workshop/4711/bescheinigungen",
    "/organiser/dokumente/workshop/4711/bescheinigung/1.pdf",
])
def test_unknown_workshops_are_404(organiser_client, path):
    assert organiser_client.get(path).status_code == 404


def test_documents_need_a_login(client, workshop):
    item = workshop()
    response = client.get(f"/organiser/dokumente/workshop/{item.id}/teilnehmerliste.pdf")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/organiser/login")


# --- the certificates page ------------------------------------------------------------


def finished(workshop, people):
    """A workshop that ended an hour ago, everyone in ``people`` checked in."""
    item = workshop(starts_in=timedelta(hours=-7), hours=6)
    before = item.starts_at - timedelta(days=3)
    registrations = confirm_people(item, people, now=before)
    for registration in registrations:
        attendance.check_in(item.id, registration.id, None, now=item.starts_at)
        db.session.commit()
    return item, registrations


def _send(client, item, **data):
    url = f"/organiser/dokumente/workshop/{item.id}/bescheinigungen"
    token = TOKEN.search(client.get(url).get_data(as_text=True)).group(1)
    return client.post(url, data={"csrf_token": token, **data})


@pytest.mark.backends
def test_mail_all_certificates_then_again_only_with_a_yes(organiser_client, workshop):
    item, registrations = finished(workshop, [(NAME, PLACE), ("Anna Schmidt", "Stadt Köln")])
    absent = confirm_people(item, [("Nicht Da", "Nirgendwo")], first=10,
                            now=item.starts_at - timedelta(days=2))[0]
    page = main(organiser_client.get(f"/organiser/dokumente/workshop/{item.id}/"
                                     "bescheinigungen").data)
    assert "2 Personen anwesend" in page and NAME in page and "Nicht Da" not in page
    assert "noch nicht ausgestellt" in page

    answer = _send(organiser_client, item)
    assert answer.status_code == 303
    assert "2 Bescheinigungen werden per E-Mail verschickt" in main(
        organiser_client.get(answer.headers["Location"]).data)
    messages = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "certificate")).all()
    assert sorted(m.registration_id for m in messages) == sorted(r.id for r in registrations)
    assert absent.id not in [m.registration_id for m in messages]
    broadcast = db.session.scalars(select(Broadcast)).one()
    assert broadcast.audience == "certificates" and broadcast.workshop_id == item.id
    assert broadcast.author_id == organiser_client.organiser.id
    assert {r["email"] for r in broadcast.recipients} == {m.recipient for m in messages}
    for message in messages:
        assert message.broadcast_id == broadcast.id
        assert message.attachment_type == "application/pdf"
        assert message.attachment_name.startswith("teilnahmebescheinigung-")
        reader = PdfReader(io.BytesIO(message.attachment_data))
        assert "Teilnahmebescheinigung" in reader.pages[0].extract_text()
    certificates = db.session.scalars(select(Certificate)).all()
    assert len(certificates) == 2 and all(c.mailed_count == 1 for c in certificates)
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "certificate.mail_all" in actions and actions.count("certificate.issue") == 2

    # a second time: the page asks first
    refused = _send(organiser_client, item)
    assert refused.status_code == 409
    assert "bereits per E-Mail verschickt" in main(refused.data)
    assert len(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "certificate")).all()) == 2
    again = _send(organiser_client, item, again="y")
    assert again.status_code == 303
    db.session.expire_all()
    assert len(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "certificate")).all()) == 4
    codes = {c.code: c.mailed_count for c in db.session.scalars(select(Certificate))}
    assert set(codes.values()) == {2} and len(codes) == 2  # the same certificates, twice


def test_no_certificates_before_the_end(organiser_client, workshop):
    item = workshop(starts_in=timedelta(hours=-1), hours=6)  # running now
    registration = confirm_people(item, [(NAME, PLACE)],
                                  now=item.starts_at - timedelta(days=1))[0]
    attendance.check_in(item.id, registration.id, None)
    db.session.commit()
    page = main(organiser_client.get(f"/organiser/dokumente/workshop/{item.id}/"
                                     "bescheinigungen").data)
    assert "erst nach dem Ende des Workshops" in page
    answer = _send(organiser_client, item)
    assert answer.status_code == 303
    assert "erst nach dem Ende des Workshops" in main(
        organiser_client.get(answer.headers["Location"]).data)
    assert db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == "certificate")) is None


def test_nobody_checked_in_nothing_to_send(organiser_client, workshop):
    item, _ = finished(workshop, [])
    answer = _send(organiser_client, item)
    assert "Niemand ist als anwesend erfasst" in main(
        organiser_client.get(answer.headers["Location"]).data)


def test_organiser_downloads_one_certificate(organiser_client, workshop):
    item, registrations = finished(workshop, [(NAME, PLACE)])
    response = organiser_client.get(f"/organiser/dokumente/workshop/{item.id}/bescheinigung/"
                                    f"{registrations[0].id}.pdf")
    text = pdf_of(response).pages[0].extract_text()
    assert NAME in text and PLACE in text
    assert response.headers["Content-Disposition"].startswith("attachment")
    other = workshop()
    assert organiser_client.get(f"/organiser/dokumente/workshop/{other.id}/bescheinigung/"
                                f"{registrations[0].id}.pdf").status_code == 404


def test_sending_without_csrf_token_is_refused(organiser_client, workshop):
    item, _ = finished(workshop, [(NAME, PLACE)])
    answer = organiser_client.post(f"/organiser/dokumente/workshop/{item.id}/bescheinigungen",
                                   data={"again": "y"})
    assert answer.status_code == 400
    assert db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == "certificate")) is None


# --- in chromium: the pages pass axe ------------------------------------------------------

from tests import browser_support as support  # noqa: E402 - browser tests only below
from tests.conftest import ORGANISER_PASSWORD  # noqa: E402

live_server = support.live_server
browser = support.browser


@pytest.mark.browser
def test_documents_and_certificate_pages_pass_axe(live_server, browser, workshop,
                                                  make_organiser):
    from events.services import certificates as certs

    item, registrations = finished(workshop, [(NAME, PLACE)])
    certificate = certs.issue(registrations[0].id)
    db.session.commit()
    account = make_organiser()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/organiser/login")
        page.fill("input[name=email]", account.email)
        page.fill("input[name=password]", ORGANISER_PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_load_state("load")
        for name, path in [
            ("dokumente", f"/organiser/dokumente/workshop/{item.id}"),
            ("bescheinigungen", f"/organiser/dokumente/workshop/{item.id}/bescheinigungen"),
            ("check-in-auswahl", "/organiser/check-in/"),
            ("bescheinigung-echt", f"/bescheinigung/{certs.display_code(certificate.code)}"),
            ("bescheinigung-unbekannt", "/bescheinigung/AAAA-BBBB-CCCC-DDDD"),
            ("bescheinigung-pruefen", "/bescheinigung/"),
            ("persoenliche-seite", f"/anmeldung/{tokens.token_for(registrations[0])}"),
        ]:
            page.goto(live_server.url + path)
            page.wait_for_load_state("load")
            support.ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(support.ARTIFACTS / f"{name}-390.png"), full_page=True)
            assert support.axe_violations(page) == [], name
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
    finally:
        context.close()
