"""The published practice examples as a spreadsheet (CSV for German Excel, XLSX).

The file format rules (BOM, ``;``, CRLF, formula injection neutralised with a
leading ``'``, real date cells in XLSX) are ``services.exports``'s, shared with
the attendee lists. The contact person's details are in the file (organisers
only), with a column saying whether the person agreed to be shown publicly;
the submitter's own address is not.
"""

from __future__ import annotations

from flask_babel import gettext as _

from events.models import Contribution
from events.services import contribution_catalogue, exports
from events.services.contribution_input import body_kind_labels
from events.services.exports import Column


def columns(base_url: str) -> list[Column]:
    """The export's columns; ``base_url`` makes each example's public address."""
    kinds = body_kind_labels()
    yes, no = _("ja"), _("nein")
    base = base_url.rstrip("/")
    return [
        Column(_("Titel"), lambda c: c.title, 40),
        Column(_("Kommune oder Einrichtung"), lambda c: c.municipality, 28),
        Column(_("Bundesland"), lambda c: c.federal_state, 20),
        Column(_("Art der Einrichtung"), lambda c: kinds.get(c.body_kind.value,
                                                             c.body_kind.value), 18),
        Column(_("Themen"), lambda c: ", ".join(t.name for t in c.themes), 28),
        Column(_("Kurzbeschreibung"), lambda c: c.summary, 50),
        Column(_("Beschreibung (Markdown)"), lambda c: c.description, 60),
        Column(_("Ergebnisse und Kennzahlen"), lambda c: "\n".join(c.result_lines), 50),
        Column(_("Partner"), lambda c: c.partners, 30),
        Column(_("Links"), lambda c: "\n".join(c.link_lines), 40),
        Column(_("Ansprechperson"), lambda c: c.contact_name, 24),
        Column(_("E-Mail der Ansprechperson"), lambda c: c.contact_email, 28),
        Column(_("Telefon der Ansprechperson"), lambda c: c.contact_phone, 18),
        Column(_("Kontakt öffentlich"), lambda c: yes if c.contact_public else no, 10),
        Column(_("Vorgestellt in"), lambda c: ", ".join(w.title for w in c.workshops), 30),
        Column(_("Dokumente"), lambda c: ", ".join(a.filename for a in c.attachments), 30),
        Column(_("Auf der Startseite"), lambda c: yes if c.featured else no, 10),
        Column(_("Veröffentlicht am"), lambda c: c.published_at, 17),
        Column(_("Adresse"), lambda c: f"{base}/praxisbeispiele/{c.slug}", 40),
    ]


def rows() -> list[Contribution]:
    return contribution_catalogue.for_export()


def to_csv(base_url: str) -> tuple[bytes, int]:
    """CSV bytes and the number of examples in it."""
    items = rows()
    return exports.to_csv(items, columns(base_url)), len(items)


def to_xlsx(base_url: str) -> tuple[bytes, int]:
    items = rows()
    return exports.to_xlsx(items, columns(base_url), _("Praxisbeispiele")), len(items)
