"""Certificates of attendance: only for people checked in at a finished workshop, frozen
when issued, downloadable from the personal page, checkable at /bescheinigung/<code>, and
mailed with the PDF attached to a real SMTP server."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from events import create_app
from events.extensions import db
from events.mail import sender
from events.models import Certificate, Registration, utcnow
from events.services import attendance, certificates, seats, tokens
from events.services.errors import StateConflict
from tests.conftest import applicant, base_config
from tests.pages_support import dated_workshops, main

NAME, PLACE = "Jürgen Öztürk-Weiß", "Landkreis Märkisch-Oderland"


@pytest.fixture
def config_overrides(smtp_config):
    return smtp_config


@pytest.fixture
def workshop(make_workshop):
    return dated_workshops(make_workshop)


def person(item, n=1, *, name=NAME, municipality=PLACE, check_in=True) -> Registration:
    """Confirmed before the workshop (and checked in at its start when ``check_in``)."""
    before = item.starts_at - timedelta(days=3)
    registration = seats.register(item.id, applicant(
        f"c{item.id}-{n}", name=name, municipality=municipality), now=before).registration
    db.session.commit()
    seats.confirm(registration.id, now=before)
    db.session.commit()
    if check_in:
        attendance.check_in(item.id, registration.id, None, now=item.starts_at)
        db.session.commit()
    return registration


def finished(workshop, **fields):
    """A workshop of 5.5 hours that ended an hour ago."""
    fields.setdefault("title", "Integration vor Ort: Wohnen & Ämter")
    start = utcnow() - timedelta(hours=6, minutes=30)
    return workshop(starts_at=start, ends_at=start + timedelta(hours=5, minutes=30), **fields)


def link(registration) -> str:
    return f"/anmeldung/{tokens.token_for(registration)}"


def test_download_from_the_personal_page(client, workshop, programme):
    programme.contact_name = "Kompetenzteam Integration (KGSt)"
    db.session.commit()
    item = finished(workshop, venue_name="Bürgerhaus Süd", venue_address="Weg 1, 04109 Leipzig")
    registration = person(item)
    page = main(client.get(link(registration)).data)
    assert "Ihre Teilnahmebescheinigung" in page
    response = client.get(f"{link(registration)}/bescheinigung.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = " ".join(PdfReader(io.BytesIO(response.data)).pages[0].extract_text().split())
    certificate = db.session.scalars(select(Certificate)).one()
    code = certificates.display_code(certificate.code)
    for expected in (NAME, PLACE, "Teilnahmebescheinigung", "Integration vor Ort: Wohnen & Ämter",
                     "5,5 Stunden", "Bürgerhaus Süd, Weg 1, 04109 Leipzig",
                     "Integration: Integration vor Ort", "Kompetenzteam Integration (KGSt)",
                     f"Prüfcode: {code}", f"http://praxis.test/bescheinigung/{code}"):
        assert expected in text, expected
    # a second download is the same certificate
    again = client.get(f"{link(registration)}/bescheinigung.pdf")
    assert again.status_code == 200
    assert db.session.scalars(select(Certificate)).one().code == certificate.code


def test_the_certificate_is_frozen_when_issued(client, workshop):
    item = finished(workshop)
    registration = person(item)
    first = certificates.issue(registration.id)
    db.session.commit()
    registration.participant.name = "Jemand Anderes"
    item.title = "Neuer Titel"
    db.session.commit()
    text = PdfReader(io.BytesIO(client.get(
        f"{link(registration)}/bescheinigung.pdf").data)).pages[0].extract_text()
    assert NAME in text and "Jemand Anderes" not in text and "Neuer Titel" not in text
    assert certificates.issue(registration.id).code == first.code


@pytest.mark.parametrize("case", ["not_checked_in", "running", "upcoming", "cancelled"])
def test_no_certificate_unless_attended_and_over(client, workshop, case):
    if case == "running":
        start = utcnow() - timedelta(hours=1)
        item = workshop(starts_at=start, ends_at=start + timedelta(hours=4))
    elif case == "upcoming":
        item = workshop()
    else:
        item = finished(workshop)
    registration = person(item, check_in=case != "not_checked_in")
    if case == "cancelled":
        seats.cancel(registration.id)
        db.session.commit()
    assert "Ihre Teilnahmebescheinigung" not in main(client.get(link(registration)).data)
    response = client.get(f"{link(registration)}/bescheinigung.pdf")
    assert response.status_code == 409
    text = main(response.data)
    assert {"not_checked_in": "beim Check-in", "cancelled": "beim Check-in",
            "running": "nach dem Ende des Workshops",
            "upcoming": "nach dem Ende des Workshops"}[case] in text
    assert db.session.scalar(select(Certificate)) is None


def test_a_wrong_token_gets_no_certificate(client, workshop):
    registration = person(finished(workshop))
    token = tokens.token_for(registration)
    assert client.get(f"/anmeldung/{token}x/bescheinigung.pdf").status_code == 404
    assert client.get("/anmeldung/1.kaputt/bescheinigung.pdf").status_code == 404
    assert client.get("/anmeldung/99999999999999999999.x/bescheinigung.pdf").status_code == 404


@pytest.mark.backends
def test_verify_page_shows_exactly_the_certificate(client, workshop):
    registration = person(finished(workshop))
    certificate = certificates.issue(registration.id)
    db.session.commit()
    code = certificates.display_code(certificate.code)
    for typed in (code, code.lower(), certificate.code, code.replace("0", "O")):
        response = client.get(f"/bescheinigung/{typed}")
        assert response.status_code == 200, typed
        assert response.headers["X-Robots-Tag"] == "noindex"
        text = main(response.data)
        assert "Diese Bescheinigung ist echt" in text
        for shown in (NAME, "Integration vor Ort: Wohnen & Ämter", "5,5 Stunden",
                      certificate.issuer, certificates.date_text(certificate)):
            assert shown in text
        for hidden in (PLACE, registration.participant.email, "Rathaus"):
            assert hidden not in text


@pytest.mark.parametrize("code", [
    "AAAA-BBBB-CCCC-DDDD", "x" * 5000, "%00", "ü", "..%2F..%2Fetc", "' OR 1=1 --",
    "7KQ2-M4XD-9TRB-W1FU", "😀" * 20, "-" * 16,
])
def test_unknown_or_hostile_codes_are_404(client, code):
    response = client.get(f"/bescheinigung/{code}")
    assert response.status_code == 404
    assert "nicht gefunden" in main(response.data)


def test_undoing_the_check_in_revokes_the_certificate(client, workshop):
    item = finished(workshop)
    registration = person(item)
    certificate = certificates.issue(registration.id)
    db.session.commit()
    old, code = certificate.code, certificates.display_code(certificate.code)
    attendance.undo(item.id, registration.id, None)
    db.session.commit()
    assert client.get(f"/bescheinigung/{code}").status_code == 404
    assert client.get(f"{link(registration)}/bescheinigung.pdf").status_code == 409
    attendance.check_in(item.id, registration.id, None)
    db.session.commit()
    renewed = certificates.issue(registration.id)
    db.session.commit()
    assert renewed.code != old and renewed.revoked_at is None
    assert client.get(f"/bescheinigung/{code}").status_code == 404
    assert client.get(f"/bescheinigung/{certificates.display_code(renewed.code)}"
                      ).status_code == 200


def test_the_lookup_form_leads_to_the_check(client, workshop):
    certificate = certificates.issue(person(finished(workshop)).id)
    db.session.commit()
    assert client.get("/bescheinigung/").status_code == 200
    answer = client.get("/bescheinigung/", query_string={
        "code": certificate.code.lower()})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(certificates.display_code(certificate.code))
    assert client.get("/bescheinigung/", query_string={"code": "nichts"}).status_code == 404


def test_codes_are_80_random_bits_in_crockford_base32():
    codes = {certificates.new_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(len(c) == 16 and set(c) <= set(certificates.ALPHABET) for c in codes)
    assert certificates.normalise_code("7kq2 m4xd-9trb-w1fh") == "7KQ2M4XD9TRBW1FH"
    assert certificates.normalise_code("OIL0-0000-0000-0000") == "0110000000000000"
    assert certificates.normalise_code("7KQ2-M4XD-9TRB-W1FU") is None  # U is not used
    assert certificates.normalise_code("x" * 41) is None


def test_verification_is_rate_limited(database_url, tmp_path, workshop):
    registration = person(finished(workshop))
    certificate = certificates.issue(registration.id)
    db.session.commit()
    limited = create_app({**base_config(database_url, tmp_path), "RATELIMIT_ENABLED": True,
                          "RATELIMIT_STORAGE_URI": "memory://",
                          "RATELIMIT_CERTIFICATE": "3 per minute"})
    with limited.app_context():
        client = limited.test_client()
        code = certificates.display_code(certificate.code)
        answers = [client.get(f"/bescheinigung/{code}").status_code for _ in range(3)]
        assert answers == [200, 200, 200]
        guessed = client.get("/bescheinigung/AAAA-BBBB-CCCC-DDDD")
        assert guessed.status_code == 429 and "Retry-After" in guessed.headers
        db.session.remove()


def test_service_refuses_with_the_reason(workshop):
    registration = person(workshop(), check_in=False)
    with pytest.raises(StateConflict, match="beim Check-in"):
        certificates.issue(registration.id)


@pytest.mark.backends
def test_mailed_certificate_arrives_with_the_pdf(smtp, workshop, make_organiser):
    item = finished(workshop)
    people = [person(item, 1), person(item, 2, name="Anna Schmidt", municipality="Stadt Köln")]
    person(item, 3, name="Nicht Da", check_in=False)
    organiser = make_organiser()
    broadcast = certificates.mail_all(item.id, organiser)
    db.session.commit()
    assert len(broadcast.recipients) == 2
    report = sender.send_due()
    assert report.sent >= 2 and report.failed == 0
    mails = [r.message for r in smtp.received
             if r.message["Subject"].startswith("Ihre Teilnahmebescheinigung")]
    assert sorted(m["To"] for m in mails) == sorted(p.participant.email for p in people)
    for mail in mails:
        assert mail.get_content_type() == "multipart/mixed"
        body = mail.get_body(("plain",)).get_content()
        assert "Prüfcode:" in body and "http://praxis.test/bescheinigung/" in body
        attachments = list(mail.iter_attachments())
        assert len(attachments) == 1
        pdf = attachments[0]
        assert pdf.get_content_type() == "application/pdf"
        assert pdf.get_filename().startswith("teilnahmebescheinigung-")
        text = PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text()
        owner = next(p for p in people if p.participant.email == mail["To"])
        assert owner.participant.name in text and owner.participant.municipality in text
    assert b"Nicht Da" not in b"".join(r.raw for r in smtp.received
                                       if b"Teilnahmebescheinigung" in r.raw)
