"""Moderation of the practice exchange, and the whole path on SQLite and PostgreSQL:
submit → verify by e-mail → moderate → publish → return with comment → edit → withdraw."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from events.extensions import db
from events.mail import sender
from events.models import AuditEntry, Contribution, ContributionState
from events.services import contribution_moderation as moderation
from events.services import contributions
from events.services.contribution_input import Submission
from tests.pages_support import csrf_token, main, scan
from tests.test_contributions_submit import post_submit, valid

BASE = "/organiser/praxisbeispiele"


@pytest.fixture
def config_overrides(tmp_path, smtp_config):
    return {**smtp_config, "ATTACHMENT_DIR": str(tmp_path / "attachments")}


@pytest.fixture
def themes(app):
    from tests.test_contributions_submit import themes as make

    return make.__wrapped__(app)


def mails(smtp, start: int = 0):
    sender.send_due()
    return [item.message for item in smtp.received[start:]]


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://praxis\.test(/praxisbeispiele/link/\S+)", text).group(1)


def actions() -> list[str]:
    return [e.action for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "contribution").order_by(AuditEntry.id))]


def submitted(themes, **fields) -> Contribution:
    contribution = contributions.submit(Submission(**{
        "title": "Berlin braucht dich!", "municipality": "Berlin", "body_kind": "stadt",
        "theme_ids": [themes[0].id], "summary": "Ausbildung im öffentlichen Dienst.",
        "submitter_name": "Max", "submitter_email": "max@berlin.example", "consent": True,
        **fields}))
    db.session.commit()
    return contribution


def post(client, url: str, page: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data})


@pytest.mark.backends
def test_the_whole_path(client, organiser_client, themes, smtp, make_workshop):
    workshop = make_workshop(title="Ausbildung und Arbeit")
    # submit (public form) and verify through the link in the real e-mail
    assert post_submit(client, valid(themes)).status_code == 303
    [verify_mail] = mails(smtp)
    link = link_in(verify_mail)
    contribution = db.session.scalars(select(Contribution)).one()
    assert contribution.id not in [i.contribution.id for i in moderation.queue()]
    assert "wir sind Hamburg" not in main(organiser_client.get(f"{BASE}/").data)
    assert post(client, f"{link}/bestaetigen", link).status_code == 303
    queue = main(organiser_client.get(f"{BASE}/").data)
    assert "wir sind Hamburg" in queue and "Eingereicht" in queue

    detail = f"{BASE}/{contribution.id}"
    page = organiser_client.get(detail)
    assert page.status_code == 200 and not scan(page.data).problems
    assert "Vorgehen" in main(page.data)  # the Markdown preview
    # link the workshop, publish, feature
    assert post(organiser_client, f"{detail}/workshops", detail,
                workshops=[str(workshop.id)]).status_code == 303
    assert post(organiser_client, f"{detail}/veroeffentlichen", detail).status_code == 303
    assert post(organiser_client, f"{detail}/startseite", detail,
                featured="y").status_code == 303
    db.session.expire_all()
    contribution = db.session.get(Contribution, contribution.id)
    assert contribution.state == ContributionState.published and contribution.featured
    assert contribution.published_at is not None
    assert [w.id for w in contribution.workshops] == [workshop.id]
    published_mail = mails(smtp, 1)[-1]
    assert "ist jetzt veröffentlicht" in published_mail.get_body(("plain",)).get_content()
    assert "Veröffentlicht" in main(client.get(link).data)

    # return with a comment: mail with the comment and the private link
    answer = post(organiser_client, f"{detail}/zurueckgeben", detail,
                  comment="Bitte ergänzen Sie die Zahlen für 2020.")
    assert answer.status_code == 303
    returned_mail = mails(smtp, 2)[-1]
    body = returned_mail.get_body(("plain",)).get_content()
    assert "Bitte ergänzen Sie die Zahlen für 2020." in body and link_in(returned_mail) == link
    db.session.expire_all()
    contribution = db.session.get(Contribution, contribution.id)
    assert contribution.state == ContributionState.returned and not contribution.featured
    page = main(client.get(link).data)
    assert "Wir haben eine Rückfrage" in page and "Zahlen für 2020" in page

    # the submitter edits: back to the queue
    edit = f"{link}/bearbeiten"
    assert post(client, edit, edit, **valid(themes, results="Quote 2020: 21 %")) \
        .status_code == 303
    db.session.expire_all()
    contribution = db.session.get(Contribution, contribution.id)
    assert contribution.state == ContributionState.submitted
    assert contribution.results == "Quote 2020: 21 %"
    assert contribution.id in [i.contribution.id for i in moderation.queue()]

    # withdraw
    ask = f"{link}?zurueckziehen=1"
    assert post(client, f"{link}/zurueckziehen", ask).status_code == 303
    db.session.expire_all()
    assert db.session.get(Contribution, contribution.id).state == ContributionState.withdrawn
    assert "Zurückgezogen" in main(organiser_client.get(f"{BASE}/?status=withdrawn").data)
    assert actions() == ["contribution.workshops", "contribution.publish",
                         "contribution.feature", "contribution.return"]
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "contribution.publish")).one()
    assert entry.actor_id == organiser_client.organiser.id
    assert entry.before["state"] == "submitted" and entry.after["state"] == "published"


def test_a_revision_is_accepted_or_rejected(organiser_client, themes, smtp):
    contribution = submitted(themes)
    contributions.verify(contribution)
    moderation.publish(organiser_client.organiser, contribution.id)
    db.session.commit()
    contributions.edit(contribution, Submission(
        title="Berlin braucht dich! (2024)", municipality="Berlin", body_kind="stadt",
        theme_ids=[themes[0].id], summary="Neu."))
    db.session.commit()
    assert [i.pending_revision is not None for i in moderation.queue()] == [True]
    detail = f"{BASE}/{contribution.id}"
    page = main(organiser_client.get(detail).data)
    assert "Vorgeschlagene Änderung" in page and "Berlin braucht dich! (2024)" in page
    revision = contribution.revisions[0]
    url = f"{detail}/aenderungen/{revision.id}/uebernehmen"
    assert post(organiser_client, url, detail).status_code == 303
    db.session.expire_all()
    contribution = db.session.get(Contribution, contribution.id)
    assert contribution.title == "Berlin braucht dich! (2024)"
    assert contribution.summary == "Neu." and contribution.is_published
    assert contribution.revisions[0].state == "accepted"
    assert "bereits entschieden" in main(organiser_client.get(
        post(organiser_client, url, detail).headers["Location"]).data)

    contributions.edit(contribution, Submission(
        title="Schlechter Titel", municipality="Berlin", body_kind="stadt",
        theme_ids=[themes[0].id], summary="x"))
    db.session.commit()
    second = contributions.pending_revision(contribution)
    assert post(organiser_client, f"{detail}/aenderungen/{second.id}/ablehnen",
                detail).status_code == 303
    db.session.expire_all()
    contribution = db.session.get(Contribution, contribution.id)
    assert contribution.title == "Berlin braucht dich! (2024)"
    assert "contribution.revision.reject" in actions()


def test_moderators_edit_and_unpublish(organiser_client, themes, smtp):
    contribution = submitted(themes)
    contributions.verify(contribution)
    moderation.publish(organiser_client.organiser, contribution.id)
    db.session.commit()
    url = f"{BASE}/{contribution.id}/bearbeiten"
    page = organiser_client.get(url)
    assert 'value="Berlin braucht dich!"' in page.get_data(as_text=True)
    data = {"title": "Berlin braucht dich", "municipality": "Land Berlin",
            "federal_state": "Berlin", "body_kind": "stadt", "themes": [str(themes[1].id)],
            "summary": "Kurz.", "links": "https://www.berlin-braucht-dich.de"}
    assert post(organiser_client, url, url, **data).status_code == 303
    bad = post(organiser_client, url, url, **{**data, "links": "javascript:alert(1)"})
    assert bad.status_code == 422 and "keine Webadresse" in main(bad.data)
    db.session.expire_all()
    contribution = db.session.get(Contribution, contribution.id)
    assert contribution.municipality == "Land Berlin" and contribution.themes == [themes[1]]
    detail = f"{BASE}/{contribution.id}"
    assert post(organiser_client, f"{detail}/zuruecknehmen", detail).status_code == 303
    db.session.expire_all()
    assert db.session.get(Contribution, contribution.id).state == ContributionState.submitted
    update = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "contribution.update")).one()
    assert update.before == {"municipality": "Berlin", "title": "Berlin braucht dich!",
                             "federal_state": "", "summary": "Ausbildung im öffentlichen "
                             "Dienst.", "links": "", "themes": ["ausbildung"]}
    assert actions()[-1] == "contribution.unpublish"


def test_refused_decisions_are_flashed_not_500(organiser_client, themes, smtp):
    contribution = submitted(themes)  # not verified
    detail = f"{BASE}/{contribution.id}"
    for url, data in ((f"{detail}/veroeffentlichen", {}), (f"{detail}/zuruecknehmen", {}),
                      (f"{detail}/startseite", {"featured": "y"})):
        answer = post(organiser_client, url, detail, **data)
        assert answer.status_code == 303
        assert main(organiser_client.get(answer.headers["Location"]).data)
    contributions.verify(contribution)
    db.session.commit()
    empty = post(organiser_client, f"{detail}/zurueckgeben", detail, comment="  ")
    assert empty.status_code == 422
    assert "Bitte schreiben Sie, was geändert werden soll." in main(empty.data)
    assert actions() == []


@pytest.mark.parametrize("path", [
    "/99999999999999999999", "/0", "/424242", "/424242/bearbeiten", "/1/anhang/99",
])
def test_unknown_ids_are_404(organiser_client, themes, path):
    submitted(themes)
    assert organiser_client.get(f"{BASE}{path}").status_code == 404


def test_posts_without_csrf_token_are_refused(organiser_client, themes):
    contribution = submitted(themes)
    contributions.verify(contribution)
    db.session.commit()
    detail = f"{BASE}/{contribution.id}"
    for suffix in ("veroeffentlichen", "zuruecknehmen", "startseite", "workshops",
                   "zurueckgeben", "bearbeiten"):
        assert organiser_client.post(f"{detail}/{suffix}").status_code == 400
    assert actions() == []


def test_anonymous_visitors_are_sent_to_the_login(client, themes):
    response = client.get(f"{BASE}/")
    assert response.status_code == 303 and "/organiser/login" in response.headers["Location"]


def test_the_queue_is_newest_first_and_filters(organiser_client, themes):
    first = submitted(themes, title="Erstes")
    second = submitted(themes, title="Zweites")
    unverified = submitted(themes, title="Unbestätigt")
    contributions.verify(first)
    db.session.commit()
    contributions.verify(second)
    db.session.commit()
    assert [i.contribution.title for i in moderation.queue()] == ["Zweites", "Erstes"]
    assert [i.contribution.id for i in moderation.queue("unverified")] == [unverified.id]
    page = main(organiser_client.get(f"{BASE}/?status=unverified").data)
    assert "Unbestätigt" in page and "Erstes" not in page
    assert organiser_client.get(f"{BASE}/?status=<script>").status_code == 200
    assert "Praxisbeispiele" in main(organiser_client.get(f"{BASE}/").data)


def test_demo_examples_are_published_linked_and_idempotent(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    examples = db.session.scalars(select(Contribution).order_by(Contribution.id)).all()
    assert len(examples) >= 10
    assert all(c.is_published and c.is_verified and c.workshops and c.themes
               for c in examples)
    names = " ".join(c.municipality for c in examples)
    for place in ("Hamburg", "Berlin", "Köln", "Crimmitschau", "Mülheim an der Ruhr",
                  "Heidelberg", "Bremen", "Landkreis Gießen", "JOBLINGE"):
        assert place in names, place
    hamburg = next(c for c in examples if c.slug == "wir-sind-hamburg")
    assert "16,8 % (2013)" in hamburg.results and "20 %" in hamburg.results
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert len(db.session.scalars(select(Contribution)).all()) == len(examples)
