"""Demo data from the competence team's slides (``shared/seed``): floor 3, no rules.

Dates are relative to the day of seeding, so the demo is always in the future.
Idempotent: everything is looked up by slug or e-mail first; a second run
changes nothing.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from events.extensions import db
from events.models import (
    Participant,
    Programme,
    Registration,
    RegistrationStatus,
    Theme,
    Workshop,
    WorkshopStatus,
)

PROGRAMME = {
    "slug": "fim-2027",
    "name": "Workshopreihe Flüchtlings- und Integrationsmanagement",
    "description": "Schnelle und pragmatische Hilfestellungen mit und für Mitgliedskommunen: "
                   "Workshops zu unterschiedlichen Themen für kommunale Praktikerinnen und "
                   "Praktiker, mit mehr als 170 kommunalen Beispielen aus der täglichen Arbeit.",
}

THEMES = [
    ("organisation", "Organisation", "Aufbau- und Ablauforganisation des kommunalen "
     "Flüchtlings- und Integrationsmanagements, Prozesslandkarte."),
    ("personal", "Personal", "Die Kommune als Arbeitgeberin für Zugewanderte: Praktikum, "
     "Ausbildung, Hospitation."),
    ("unterbringung", "Unterbringung", "Unterbringung und Gemeinschaftsunterkünfte."),
    ("integration", "Integration", "Integrationskonzept, Integrationsmonitoring und "
     "Integration als kommunale Querschnittsaufgabe."),
    ("interkulturelle-oeffnung", "Interkulturelle Öffnung", "Interkulturelle Öffnung der "
     "Verwaltung als Teil des kommunalen Integrationsmanagements."),
    ("arbeitsmarktintegration", "Arbeitsmarktintegration", "Arbeitsgelegenheiten, FIM, "
     "Ausbildung und Vermittlung in Arbeit."),
    ("kostenrechnung", "Kostenrechnung", "Leitfaden für die Kostenrechnung (Bericht 04/2016)."),
    ("risikomanagement", "Risikomanagement", "Leitfaden und Onlinedatenbank mit 160 Maßnahmen."),
]

# slug, theme, title, description, weeks ahead, weekday hour span, venue, address, online,
# capacity, status, registration opens in days (None: open now)
WORKSHOPS = [
    ("interkulturelle-oeffnung-hamburg", "interkulturelle-oeffnung",
     "Interkulturelle Öffnung der Verwaltung: „wir sind Hamburg! – Bist du dabei?“",
     "Wie Hamburg den Anteil der Auszubildenden mit Migrationshintergrund in der Verwaltung "
     "von rund 5 % (2006) auf 16,8 % (2013) gesteigert hat – Zielwert 20 %. Erfahrungen, "
     "Stolpersteine und Übertragbarkeit auf Ihre Kommune.",
     3, (10, 16), "Rathaus Hamburg, Kaisersaal", "Rathausmarkt 1, 20095 Hamburg", None,
     30, "published", None),
    ("berlin-braucht-dich", "personal",
     "„Berlin braucht dich!“ – Ausbildung im öffentlichen Dienst öffnen",
     "Seit 2010 arbeiten bis zu 60 Betriebe mit Schulen zusammen, um ihre Ausbildung für "
     "Jugendliche mit Migrationshintergrund zu öffnen. 2015 hatten 19,5 % der 1.304 "
     "Auszubildenden im öffentlichen Dienst einen Migrationshintergrund.",
     4, (10, 15), "Berliner Rathaus", "Rathausstraße 15, 10178 Berlin", None,
     25, "published", None),
    ("koeln-praktikum-verwaltung", "personal",
     "Köln: Vom Praktikum in die Verwaltungsausbildung",
     "Ein sechsmonatiges Praktikum im Kundenzentrum, im Ordnungs- und Verkehrsdienst oder im "
     "Jobcenter, begleitet vom Studieninstitut mit Schwerpunkt Deutsch – und danach die "
     "Chance auf eine Ausbildung in den Verwaltungsberufen.",
     5, (9, 13), None, None, "https://konferenz.example.org/koeln-praktikum",
     40, "published", None),
    ("arbeitsgelegenheiten-fim", "arbeitsmarktintegration",
     "Arbeitsgelegenheiten und FIM: Crimmitschau und Mülheim berichten",
     "Gemeinnützige Arbeit in Freibädern, Grünanlagen und im Haus der Vereine (Crimmitschau); "
     "30 Geflüchtete in Küche, Elektrowerkstatt und Schneiderei der Diakonie (Mülheim). "
     "Rechtliche Voraussetzungen, Aufwandsentschädigung nach § 5 AsylbLG, Organisation.",
     6, (10, 16), "Kommunales Bildungszentrum", "Bahnhofstraße 10, 08451 Crimmitschau", None,
     3, "published", None),
    ("heidelberg-altenpflege", "arbeitsmarktintegration",
     "Heidelberg: Ausbildung zur Altenpflege für Geflüchtete",
     "Ein Ausbildungsgang, der ein Jahr länger dauert als die Grundausbildung und dafür bis zu "
     "zehn Stunden Sprachförderung pro Woche bietet.",
     8, (10, 14), "Stadtbücherei Heidelberg", "Poststraße 15, 69115 Heidelberg", None,
     20, "published", 14),
    ("bremen-ausbildungsprogramm", "integration",
     "Bremen: Ausbildungsprogramm für junge Geflüchtete",
     "Einstiegsqualifizierung mit Sprachunterricht, Vernetzung mit Berufsschule, "
     "Integrationsnetz und BAMF, adressatengerechte Kommunikation in einfacher Sprache.",
     9, (13, 17), None, None, "https://konferenz.example.org/bremen",
     50, "published", None),
    ("giessen-praktika-vermitteln", "arbeitsmarktintegration",
     "Landkreis Gießen: Praktika gemeinsam vermitteln",
     "Kreisverwaltung, Flüchtlingsseelsorge und der Betreiber der Gemeinschaftsunterkunft "
     "vermitteln gemeinsam Praktika – etwa beim Oberhessischen Diakoniezentrum in Laubach.",
     10, (10, 15), "Kreishaus Gießen", "Riversplatz 1–9, 35394 Gießen", None,
     25, "published", None),
    ("kostenrechnung-leitfaden", "kostenrechnung",
     "Kostenrechnung im Flüchtlingsmanagement: der Leitfaden in der Praxis",
     "Mit dem KGSt-Bericht 04/2016 „Leitfaden für die Kostenrechnung“ Kosten für "
     "Unterbringung und Betreuung transparent machen.",
     11, (10, 16), "KGSt", "Gereonstraße 18–32, 50670 Köln", None,
     30, "published", None),
    ("risikomanagement-anwenden", "risikomanagement",
     "Risikomanagement anwenden: 160 Maßnahmen aus der Onlinedatenbank",
     "Risiken im Flüchtlings- und Integrationsmanagement erkennen und steuern – mit Leitfaden "
     "und den Maßnahmen der Onlinedatenbank.",
     12, (10, 13), None, None, "https://konferenz.example.org/risiko",
     60, "published", None),
    ("unterbringung-steuern", "unterbringung",
     "Unterbringung steuern: Gemeinschaftsunterkünfte und dezentrales Wohnen",
     "Entwurf – Termin und Ort werden noch abgestimmt.",
     14, (10, 16), "Wird noch bekannt gegeben", "", None,
     30, "draft", None),
]

DEMO_PEOPLE = [
    ("Anna Schulz", "anna.schulz@crimmitschau.example", "Stadt Crimmitschau", "Sozialamt"),
    ("Mehmet Yılmaz", "m.yilmaz@muelheim.example", "Stadt Mülheim an der Ruhr",
     "Kommunales Integrationszentrum"),
    ("Julia Becker", "julia.becker@lkgi.example", "Landkreis Gießen",
     "Amt für Gesundheit, Soziales, Migration"),
    ("Thomas Wagner", "t.wagner@bremen.example", "Freie Hansestadt Bremen", "Ausländerbehörde"),
    ("Sabine Hoffmann", "s.hoffmann@heidelberg.example", "Stadt Heidelberg", "Personalamt"),
]
FULL_WORKSHOP = "arbeitsgelegenheiten-fim"


def _at(day: date, hour: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour), zone).astimezone(timezone.utc)


def _next_tuesday(today: date, weeks: int) -> date:
    day = today + timedelta(weeks=weeks)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def seed(today: date | None = None) -> int:
    """Create what is missing; return how many rows were added (0 on a second run)."""
    zone = ZoneInfo(current_app.config["APP_TIMEZONE"])
    now = datetime.now(timezone.utc)
    today = today or now.astimezone(zone).date()
    added = 0

    programme = db.session.scalar(select(Programme).where(Programme.slug == PROGRAMME["slug"]))
    if programme is None:
        programme = Programme(capacity=current_app.config["PROGRAMME_CAPACITY"], **PROGRAMME)
        db.session.add(programme)
        added += 1

    themes = {}
    for position, (slug, name, description) in enumerate(THEMES):
        theme = db.session.scalar(select(Theme).where(Theme.slug == slug))
        if theme is None:
            theme = Theme(slug=slug, name=name, description=description, position=position)
            db.session.add(theme)
            added += 1
        themes[slug] = theme

    for (slug, theme, title, description, weeks, (start, end), venue, address, online,
         capacity, status, opens_in_days) in WORKSHOPS:
        if db.session.scalar(select(Workshop.id).where(Workshop.slug == slug)):
            continue
        day = _next_tuesday(today, weeks)
        db.session.add(Workshop(
            programme=programme, theme=themes[theme], slug=slug, title=title,
            description=description, starts_at=_at(day, start, zone), ends_at=_at(day, end, zone),
            venue_name=venue or "", venue_address=address or "", online_url=online,
            capacity=capacity, status=WorkshopStatus(status),
            registration_opens_at=now + timedelta(days=opens_in_days) if opens_in_days else None,
            registration_closes_at=_at(day - timedelta(days=7), 23, zone),
        ))
        added += 1
    db.session.flush()
    added += _fill_full_workshop(now)
    from events.demo_contributions import seed_contributions  # the practice exchange
    return added + seed_contributions(now)


def _fill_full_workshop(now: datetime) -> int:
    """The FIM workshop (3 seats) is full with three confirmed and two waiting."""
    workshop = db.session.scalar(select(Workshop).where(Workshop.slug == FULL_WORKSHOP))
    added = 0
    for index, (name, email, municipality, role) in enumerate(DEMO_PEOPLE):
        person = db.session.scalar(select(Participant).where(Participant.email == email))
        if person is None:
            person = Participant(name=name, email=email, municipality=municipality, role=role)
            db.session.add(person)
            db.session.flush()
            added += 1
        exists = db.session.scalar(select(Registration.id).where(
            Registration.workshop_id == workshop.id, Registration.participant_id == person.id))
        if exists:
            continue
        when = now - timedelta(days=10 - index)
        confirmed = index < workshop.capacity
        db.session.add(Registration(
            workshop=workshop, participant=person,
            status=RegistrationStatus.confirmed if confirmed else RegistrationStatus.waitlisted,
            created_at=when, requested_at=when, status_changed_at=when,
            confirmed_at=when if confirmed else None,
            consent_version=current_app.config["CONSENT_VERSION"], consent_at=when,
            token_salt=secrets.token_hex(16),
        ))
        added += 1
    db.session.flush()
    return added
