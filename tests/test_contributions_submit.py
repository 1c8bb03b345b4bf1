"""The public side of the practice exchange: submit, verify by e-mail, edit, withdraw.

Real SMTP (aiosmtpd), real files in a temporary ATTACHMENT_DIR, CSRF on.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from events.extensions import db
from events.mail import sender
from events.models import (
    Attachment,
    Contribution,
    ContributionState,
    OutboxMessage,
    Theme,
    utcnow,
)
from events.services import contributions
from tests.pages_support import csrf_token, main, scan

FORM_URL = "/praxisbeispiele/einreichen"


@pytest.fixture
def config_overrides(tmp_path, smtp_config):
    return {**smtp_config, "ATTACHMENT_DIR": str(tmp_path / "attachments")}


@pytest.fixture
def themes(app):
    items = [Theme(slug="ausbildung", name="Ausbildung und Arbeit", position=1),
             Theme(slug="wohnen", name="Wohnen", position=2)]
    db.session.add_all(items)
    db.session.commit()
    return items


def valid(theme_list, /, **fields) -> dict:
    data = {
        "title": "wir sind Hamburg! – Ausbildung in der Verwaltung",
        "municipality": "Freie und Hansestadt Hamburg",
        "federal_state": "Hamburg",
        "body_kind": "stadt",
        "themes": [str(theme_list[0].id)],
        "summary": "Hamburg wirbt gezielt junge Menschen mit Migrationsgeschichte an.",
        "description": "## Vorgehen\n\n- Kampagne\n- Patenschaften",
        "results": "Anteil Auszubildender mit Migrationshintergrund: 5 % (2006) → 16,8 % "
                   "(2013), Ziel 20 %",
        "partners": "Handelskammer",
        "links": "https://www.hamburg.de/wir-sind-hamburg",
        "contact_name": "Erika Muster",
        "contact_email": "erika@hamburg.example",
        "contact_phone": "+49 40 123456",
        "contact_public": "y",
        "submitter_name": "Erika Muster",
        "submitter_email": "erika@hamburg.example",
        "consent": "y",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def post_submit(client, data: dict, files=()):
    token = csrf_token(client, FORM_URL)
    payload = {"csrf_token": token, **data}
    if files:
        payload["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(FORM_URL, data=payload, content_type="multipart/form-data")


def rows() -> int:
    return db.session.scalar(select(func.count()).select_from(Contribution))


def files(tmp_path) -> list[str]:
    folder = tmp_path / "attachments"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def private_link_from_mail(smtp) -> str:
    report = sender.send_due()
    assert report, report
    message = smtp.received[-1].message
    text = message.get_body(("plain",)).get_content()
    match = re.search(r"http://praxis\.test(/praxisbeispiele/link/\S+)", text)
    assert match, text
    return match.group(1)


def test_the_form_shows_every_field_in_german(client, themes):
    response = client.get(FORM_URL)
    assert response.status_code == 200
    text = main(response.data)
    for label in ("Titel des Praxisbeispiels", "Kommune oder Einrichtung", "Bundesland",
                  "Art der Einrichtung", "Ausbildung und Arbeit", "Kurzbeschreibung",
                  "Ergebnisse und Kennzahlen", "Kontaktperson", "Anhänge", "Ihr Name",
                  "kreisfreie Stadt", "freier Träger", "Schleswig-Holstein"):
        assert label in text, label
    assert not scan(response.data).problems


@pytest.mark.backends
def test_submit_verify_edit_withdraw(client, themes, smtp, tmp_path):
    pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"
    response = post_submit(client, valid(themes), files=[("Flyer.pdf", pdf)])
    assert response.status_code == 303, main(response.data)
    assert "E-Mail-Adresse" in main(client.get(response.headers["Location"]).data)
    contribution = db.session.scalars(select(Contribution)).one()
    assert contribution.email_verified_at is None and contribution.submitted_at is None
    assert [a.filename for a in contribution.attachments] == ["Flyer.pdf"]
    assert files(tmp_path) == [contribution.attachments[0].storage_key]

    link = private_link_from_mail(smtp)
    page = client.get(link)  # opening the link changes nothing
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "E-Mail-Adresse bestätigen" in main(page.data)
    db.session.expire_all()
    assert db.session.get(Contribution, contribution.id).email_verified_at is None

    assert client.post(f"{link}/bestaetigen").status_code == 400  # no CSRF token
    answer = client.post(f"{link}/bestaetigen", data={"csrf_token": csrf_token(client, link)})
    assert answer.status_code == 303
    page = main(client.get(link).data)
    assert "Ihre E-Mail-Adresse ist bestätigt" in page and "Wird geprüft" in page
    db.session.expire_all()
    contribution = db.session.get(Contribution, contribution.id)
    assert contribution.is_verified and contribution.submitted_at is not None

    download = client.get(f"{link}/anhang/{contribution.attachments[0].id}")
    assert download.status_code == 200 and download.data == pdf
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")

    edit_url = f"{link}/bearbeiten"
    assert "wir sind Hamburg!" in main(client.get(edit_url).data)
    changed = valid(themes, summary="Neue Zusammenfassung.",
                    themes=[str(themes[0].id), str(themes[1].id)])
    answer = client.post(edit_url, data={"csrf_token": csrf_token(client, edit_url),
                                         **changed})
    assert answer.status_code == 303
    db.session.expire_all()
    contribution = db.session.get(Contribution, contribution.id)
    assert contribution.summary == "Neue Zusammenfassung."
    assert len(contribution.themes) == 2

    assert "wirklich zurückziehen" in main(client.get(f"{link}?zurueckziehen=1").data)
    answer = client.post(f"{link}/zurueckziehen",
                         data={"csrf_token": csrf_token(client, f"{link}?zurueckziehen=1")})
    assert answer.status_code == 303
    assert "zurückgezogen" in main(client.get(link).data)
    db.session.expire_all()
    assert db.session.get(Contribution, contribution.id).state == ContributionState.withdrawn


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"title": ""}, "title", "Bitte geben Sie einen Titel an."),
    ({"themes": None}, "themes", "mindestens ein Thema"),
    ({"themes": ["99999999999999999999"]}, "themes", "mindestens ein Thema"),
    ({"themes": ["abc"]}, "themes", "mindestens ein Thema"),
    ({"body_kind": "schloss"}, "body_kind", "Art der Einrichtung"),
    ({"federal_state": "Bayern<script>"}, "federal_state", "Bundesland"),
    ({"summary": "x" * 601}, "summary", "höchstens 600 Zeichen"),
    ({"description": "x" * 20_001}, "description", "höchstens 20000 Zeichen"),
    ({"links": "javascript:alert(1)"}, "links", "keine Webadresse"),
    ({"links": "https://ok.example\ndata:text/html;base64,PHNjcmlwdD4="}, "links",
     "keine Webadresse"),
    ({"links": "JaVaScRiPt:alert(1)"}, "links", "keine Webadresse"),
    ({"contact_email": "keine-adresse"}, "contact_email", "gültige E-Mail-Adresse"),
    ({"contact_name": "", "contact_public": "y"}, "contact_name", "Kontaktperson"),
    ({"submitter_email": ""}, "submitter_email", "E-Mail-Adresse"),
    ({"consent": None}, "consent", "Bitte stimmen Sie"),
    ({"workshops": ["424242"]}, "workshops", "Workshops aus der Liste"),
])
def test_refused_input_names_the_field_and_stores_nothing(client, themes, tmp_path, fields,
                                                          field, message):
    response = post_submit(client, valid(themes, **fields),
                           files=[("Flyer.pdf", b"%PDF-1.4 x")])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in main(page)
    assert f'id="{field}-fehler"' in page or f'id="{field}"' in page
    assert rows() == 0 and files(tmp_path) == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as handle:
            for _ in range(150):
                handle.write(b"\0" * (1024 * 1024))
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("Bericht.pdf", b"<html><script>alert(1)</script></html>", "passt nicht zur Endung .pdf"),
    ("Konzept.docx", zip_bomb(), "zu stark gepackt"),
    ("gross.pdf", b"%PDF-1.4" + b"0" * (10 * 1024 * 1024), "größer als 10 MB"),
    ("tool.exe", b"MZ", "Erlaubt sind PDF- und Office-Dateien"),
])
def test_refused_files_leave_no_row_and_no_file(client, themes, tmp_path, name, content,
                                                message):
    response = post_submit(client, valid(themes),
                           files=[("gut.pdf", b"%PDF-1.4 ok"), (name, content)])
    assert response.status_code == 422
    assert message in main(response.data)
    assert rows() == 0
    assert files(tmp_path) == []


def test_more_than_five_files_are_refused(client, themes, tmp_path):
    response = post_submit(client, valid(themes),
                           files=[(f"{n}.pdf", b"%PDF-1.4") for n in range(6)])
    assert response.status_code == 422
    assert "höchstens 5 Dateien" in main(response.data)
    assert rows() == 0 and files(tmp_path) == []


def test_a_body_beyond_the_upload_limit_gets_a_german_413(client, themes):
    huge = [(f"{n}.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024)) for n in range(6)]
    response = post_submit(client, valid(themes), files=huge)
    assert response.status_code == 413
    assert "zu groß" in main(response.data)
    assert rows() == 0


def test_other_routes_keep_the_small_limit(client, themes):
    link = "/praxisbeispiele/link/1.x/bestaetigen"
    response = client.post(link, data={"x": "0" * (300 * 1024)})
    assert response.status_code == 413


def test_the_form_refuses_a_post_without_csrf_token(client, themes):
    response = client.post(FORM_URL, data=valid(themes))
    assert response.status_code == 400
    assert rows() == 0


def test_markup_in_every_field_is_shown_as_text(client, themes, smtp):
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    data = valid(themes, title=f"Titel {evil}", municipality=f"Ort {evil}",
                 summary=f"Kurz {evil}", partners=f"Partner {evil}",
                 results=f"Zahl {evil}", contact_name=f"Name {evil}",
                 submitter_name=f"Ich {evil}",
                 description=f"Text {evil} [klick](javascript:alert(3)) "
                             "[daten](data:text/html,x) <a href=\"javascript:x\">a</a>")
    assert post_submit(client, data).status_code == 303
    link = private_link_from_mail(smtp)
    page = client.get(link).get_data(as_text=True)
    assert "<script>alert" not in page and "<img" not in page
    assert '<a href="javascript' not in page and '<a href="data:' not in page
    assert 'rel="nofollow noopener noreferrer">klick' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not scan(page).problems
    mail = smtp.received[-1].message.get_body(("html",)).get_content()
    assert "<script>" not in mail


def test_invalid_and_foreign_links_show_a_german_page(client, themes):
    for token in ("1.kaputt", "abc", "99999999999999999999.x", "1", "%00"):
        response = client.get(f"/praxisbeispiele/link/{token}")
        assert response.status_code == 404
        # a NUL never comes from a real link: the edge answers with the plain 404 page
        assert ("Dieser Link funktioniert nicht" if token != "%00" else
                "Seite nicht gefunden") in main(response.data)
        assert client.post(f"/praxisbeispiele/link/{token}/bestaetigen").status_code in (
            400, 404)
        assert client.get(f"/praxisbeispiele/link/{token}/anhang/1").status_code == 404


def test_edit_of_a_published_contribution_waits_as_a_revision(client, themes, smtp,
                                                              make_organiser):
    from events.services import contribution_moderation as moderation

    assert post_submit(client, valid(themes)).status_code == 303
    link = private_link_from_mail(smtp)
    client.post(f"{link}/bestaetigen", data={"csrf_token": csrf_token(client, link)})
    contribution = db.session.scalars(select(Contribution)).one()
    moderation.publish(make_organiser(), contribution.id)
    db.session.commit()
    edit_url = f"{link}/bearbeiten"
    answer = client.post(edit_url, data={"csrf_token": csrf_token(client, edit_url),
                                         **valid(themes, title="Neuer Titel")})
    assert answer.status_code == 303
    page = main(client.get(link).data)
    assert "Ihre Änderungen warten auf Prüfung" in page
    db.session.expire_all()
    contribution = db.session.get(Contribution, contribution.id)
    assert contribution.title.startswith("wir sind Hamburg!")  # public text unchanged
    assert contribution.revisions[0].data["title"] == "Neuer Titel"
    assert 'value="Neuer Titel"' in client.get(edit_url).get_data(as_text=True)  # the revision


def test_unverified_submissions_are_deleted_after_seven_days(app, client, themes, tmp_path,
                                                             runner):
    assert post_submit(client, valid(themes), files=[("a.pdf", b"%PDF-1.4")]).status_code \
        == 303
    contribution = db.session.scalars(select(Contribution)).one()
    assert contributions.purge_unverified(utcnow() + timedelta(days=6)) == 0
    contribution.created_at = utcnow() - timedelta(days=8)
    db.session.commit()
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert rows() == 0
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert files(tmp_path) == []


def test_verified_submissions_are_kept(app, client, themes, smtp):
    assert post_submit(client, valid(themes)).status_code == 303
    contribution = db.session.scalars(select(Contribution)).one()
    contributions.verify(contribution)
    db.session.commit()
    assert contributions.purge_unverified(utcnow() + timedelta(days=30)) == 0


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_ENABLED": True,
                                               "RATELIMIT_REGISTRATION": "2 per minute"}])
def test_the_submit_form_is_rate_limited(client, themes):
    codes = [post_submit(client, valid(themes, title="")).status_code for _ in range(3)]
    assert codes == [422, 422, 429]
    assert rows() == 0


# --- POST /api/v1/contributions ------------------------------------------------------------


def api_body(theme_list, /, **fields) -> dict:
    return {"title": "Köln: Integrationsmanagement", "municipality": "Stadt Köln",
            "federal_state": "Nordrhein-Westfalen", "body_kind": "kreisfreie_stadt",
            "themes": [theme_list[0].id], "summary": "Fallmanagement für Geflüchtete.",
            "links": ["https://www.stadt-koeln.de"], "submitter_name": "Erika",
            "submitter_email": "erika@koeln.example", "consent": True, **fields}


@pytest.mark.backends
def test_the_api_submits_with_the_same_verification(client, themes, smtp):
    response = client.post("/api/v1/contributions", json=api_body(themes))
    assert response.status_code == 202, response.json
    assert response.json["state"] == "submitted" and response.json["verified"] is False
    assert "/praxisbeispiele/link/" not in response.get_data(as_text=True)  # mail only
    link = private_link_from_mail(smtp)
    assert client.post(f"{link}/bestaetigen", data={"csrf_token": csrf_token(client, link)}
                       ).status_code == 303
    contribution = db.session.get(Contribution, response.json["id"])
    db.session.refresh(contribution)
    assert contribution.is_verified and contribution.links == "https://www.stadt-koeln.de"


@pytest.mark.parametrize(("fields", "expected"), [
    ({"themes": "1"}, {"themes": "Erwartet wird eine Liste."}),
    ({"themes": [99999999999999999999]}, {"themes": "Bitte wählen Sie mindestens ein Thema."}),
    ({"consent": "ja"}, {"consent": "Erwartet wird true oder false."}),
    ({"title": None}, {"title": "Erwartet wird ein Text."}),
    ({"links": ["data:text/html,<script>x</script>"]}, {"links": None}),
    ({"evil": 1}, {"evil": "Dieses Feld ist unbekannt."}),
    ({"summary": "x" * 601}, {"summary": "Bitte höchstens 600 Zeichen."}),
])
def test_the_api_refuses_bad_fields_and_stores_nothing(client, themes, fields, expected):
    response = client.post("/api/v1/contributions", json=api_body(themes, **fields))
    assert response.status_code == 422
    found = response.json["error"]["fields"]
    for name, message in expected.items():
        assert name in found and (message is None or found[name] == message), found
    assert rows() == 0


@pytest.mark.parametrize("body", [[], "text", 3, False])
def test_the_api_wants_an_object(client, themes, body):
    response = client.post("/api/v1/contributions", json=body)
    assert response.status_code == 422 and rows() == 0
