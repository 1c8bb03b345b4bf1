"""Demo practice examples (Praxisbeispiele): the examples the programme's slides name,
in our own words with the slides' figures; published, verified, each linked to the
demo workshop on its topic. Idempotent: looked up by slug. Called by ``demo.seed``.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from events.extensions import db
from events.models import BodyKind, Contribution, ContributionState, Theme, Workshop
from events.services import contribution_search

# slug, title, municipality, federal state, kind, theme slugs, workshop slug,
# summary, description (Markdown), results (one per line), partners
EXAMPLES = [
    ("wir-sind-hamburg", "„wir sind Hamburg! – Bist du dabei?“: Ausbildung in der Verwaltung",
     "Freie und Hansestadt Hamburg", "Hamburg", "stadt",
     ["interkulturelle-oeffnung", "personal"], "interkulturelle-oeffnung-hamburg",
     "Hamburg wirbt gezielt junge Menschen mit Migrationshintergrund für eine Ausbildung in "
     "der eigenen Verwaltung und hat ihren Anteil an den Auszubildenden deutlich erhöht.",
     "## Worum es geht\n\nDie Kampagne spricht Jugendliche mit Migrationsgeschichte direkt an "
     "– in Schulen, Vereinen und über Vorbilder aus der Verwaltung.\n\n## Was andere "
     "übernehmen können\n\n- ein messbares Ziel für den Anteil der Auszubildenden\n- "
     "Ansprache dort, wo die Jugendlichen sind\n- Begleitung während der Ausbildung",
     "Anteil Auszubildender mit Migrationshintergrund: rund 5 % (2006) → 16,8 % (2013)\n"
     "Zielwert: 20 %", "Schulen, Migrantenorganisationen"),
    ("berlin-braucht-dich", "„Berlin braucht dich!“: Ausbildung für Jugendliche mit "
     "Migrationshintergrund öffnen", "Land Berlin", "Berlin", "stadt",
     ["interkulturelle-oeffnung", "personal"], "berlin-braucht-dich",
     "Eine Senatsinitiative bringt Betriebe und Schulen zusammen, damit Ausbildungsplätze – "
     "auch im öffentlichen Dienst – Jugendlichen mit Migrationshintergrund offenstehen.",
     "Seit 2010 arbeiten Betriebe mit Schulen zusammen: Praktika, Betriebsbesuche und "
     "Bewerbungstrainings machen die Ausbildung bekannt und den Weg hinein leichter.",
     "Bis zu 60 Betriebe arbeiten seit 2010 mit Schulen zusammen\n"
     "Öffentlicher Dienst 2015: 19,5 % von 1.304 Auszubildenden mit Migrationshintergrund "
     "(2014: 17,6 %)\nZielwert: 25 %", "Schulen, Betriebe des Landes Berlin"),
    ("koeln-praktikum-verwaltung", "Köln: Praktikum als Weg in die Verwaltungsausbildung",
     "Stadt Köln", "Nordrhein-Westfalen", "kreisfreie_stadt", ["personal"],
     "koeln-praktikum-verwaltung",
     "Jugendliche mit Migrationshintergrund lernen in einem sechsmonatigen Praktikum die "
     "Verwaltung kennen und können danach in eine Ausbildung übernommen werden.",
     "Die Praktikumsplätze liegen zum Beispiel im Kundenzentrum, im Ordnungs- und "
     "Verkehrsdienst oder im Jobcenter. Begleitend vermittelt das Studieninstitut "
     "theoretische Grundlagen, mit besonderem Gewicht auf Deutsch.",
     "Praktikum: 6 Monate mit Unterricht im Studieninstitut\n"
     "Chance auf Übernahme in eine Ausbildung in den Verwaltungsberufen",
     "Studieninstitut, Jobcenter"),
    ("crimmitschau-gemeinnuetzige-arbeit", "Crimmitschau: Geflüchtete arbeiten gemeinnützig "
     "für die Stadt", "Stadt Crimmitschau", "Sachsen", "stadt", ["arbeitsmarktintegration"],
     "arbeitsgelegenheiten-fim",
     "Asylbewerberinnen und Asylbewerber unterstützen städtische Beschäftigte bei der Pflege "
     "von Freibädern, Grünanlagen und dem Haus der Vereine.",
     "Die Einsätze laufen als Arbeitsgelegenheit. Die Teilnehmenden arbeiten an der Seite "
     "städtischer Mitarbeiterinnen und Mitarbeiter und lernen so Arbeitsalltag und Sprache.",
     "Arbeitsgelegenheit an 3 Tagen pro Woche, je 6 Stunden", ""),
    ("muelheim-arbeitsgelegenheiten-diakonie", "Mülheim an der Ruhr: Arbeitsgelegenheiten "
     "mit der Diakonie", "Stadt Mülheim an der Ruhr", "Nordrhein-Westfalen",
     "kreisfreie_stadt", ["arbeitsmarktintegration"], "arbeitsgelegenheiten-fim",
     "Geflüchtete arbeiten in Küche, Elektrowerkstatt, Warenannahme und Schneiderei eines "
     "Diakoniewerks; die Stadt bezahlt die Löhne aus dem Sozialetat.",
     "Organisation und Anleitung übernimmt das Diakoniewerk Arbeit und Kultur; die Stadt "
     "finanziert. So verbinden sich Beschäftigung und fachliche Anleitung.",
     "30 Geflüchtete beschäftigt\nLöhne aus dem Sozialetat der Stadt",
     "Diakoniewerk Arbeit und Kultur"),
    ("heidelberg-altenpflege", "Heidelberg: Ausbildung zur Altenpflege für Geflüchtete und "
     "Migranten", "Stadt Heidelberg", "Baden-Württemberg", "stadt",
     ["arbeitsmarktintegration"], "heidelberg-altenpflege",
     "Ein eigener Ausbildungsgang zum Altenpfleger dauert ein Jahr länger als die übliche "
     "Grundausbildung und bringt dafür viel Sprachförderung mit.",
     "Das Projekt hat ein zweijähriges Ausbildungskonzept eigens für Geflüchtete "
     "entwickelt. Die zusätzliche Zeit fließt in die Sprache, damit die Fachausbildung "
     "gelingt.", "Sprachförderung bis zu 10 Stunden pro Woche\n"
     "Ausbildung ein Jahr länger als die Grundausbildung", "Pflegeschulen, Träger der "
     "Altenhilfe"),
    ("bremen-ausbildungsprogramm", "Bremen: Ausbildungsprogramm für junge Geflüchtete",
     "Freie Hansestadt Bremen", "Bremen", "stadt", ["integration", "arbeitsmarktintegration"],
     "bremen-ausbildungsprogramm",
     "Junge Geflüchtete kommen über ein Jahr Einstiegsqualifizierung mit Sprachunterricht in "
     "kaufmännische, handwerkliche und IT-technische Ausbildungen.",
     "Bausteine:\n\n- **Einstiegsqualifizierung** vorab (ein Jahr, mit Sprachunterricht)\n"
     "- **Vernetzung** mit Berufsschule, Bremer Integrationsnetz und BAMF\n"
     "- **Lebenslagen ernst nehmen**: Ausbildung lohnt sich, ob man bleibt oder "
     "zurückkehrt\n- **Verständliche Ansprache**: Symbole, einfache Sprache, Schlagworte",
     "Einstiegsqualifizierung: 1 Jahr mit Sprachunterricht",
     "Allgemeine Berufsschule Bremen, Bremer Integrationsnetz, BAMF"),
    ("giessen-praktika-vermitteln", "Landkreis Gießen: Praktika aus der Gemeinschaftsunterkunft "
     "heraus vermitteln", "Landkreis Gießen", "Hessen", "landkreis",
     ["arbeitsmarktintegration"], "giessen-praktika-vermitteln",
     "Kreisverwaltung, Flüchtlingsseelsorge und Betreiber der Gemeinschaftsunterkunft "
     "vermitteln gemeinsam Praktika, zuerst beim Oberhessischen Diakoniezentrum in Laubach.",
     "Das Amt für Gesundheit, Soziales und Migration hat den Weg zusammen mit den "
     "Beteiligten vor Ort gefunden; weitere Praktika sollen auf dieselbe Weise folgen.",
     "Erstes Praktikum vermittelt (Oberhessisches Diakoniezentrum Laubach)\n"
     "Weitere Praktika nach demselben Muster geplant",
     "Flüchtlingsseelsorge, Betreiber der Gemeinschaftsunterkunft, Oberhessisches "
     "Diakoniezentrum"),
    ("joblinge-kompass", "JOBLINGE Kompass: Praktika in der Wirtschaft mit Mentoring",
     "JOBLINGE", "", "partner", ["arbeitsmarktintegration"], "giessen-praktika-vermitteln",
     "Ein von vielen Städten und Landkreisen mitfinanziertes Programm vermittelt junge "
     "Geflüchtete in Praktika der freien Wirtschaft und danach in Ausbildung.",
     "Qualifizierung in der Praxis und eine 1:1-Begleitung durch ehrenamtliche Mentorinnen "
     "und Mentoren, dazu Sprachkurse, interkulturelle Trainings und Hilfe bei "
     "Behördengängen. Ziel ist ein schneller Einstieg in Arbeit und im zweiten Schritt in "
     "eine Ausbildung.", "1:1-Betreuung durch ehrenamtliche Mentoren\n"
     "Mitfinanziert von vielen Städten und Landkreisen", "Städte, Landkreise, Unternehmen"),
    ("wege-in-die-ausbildung", "„Wege in die Ausbildung für Flüchtlinge“: Ausbildung im "
     "Handwerk in drei Stufen", "Bundesministerium für Bildung und Forschung", "",
     "partner", ["arbeitsmarktintegration"], "bremen-ausbildungsprogramm",
     "Eine Förderinitiative des Bundes führt Geflüchtete in drei Stufen an eine Ausbildung "
     "im Handwerk heran – Kommunen können die Angebote vor Ort bekannt machen.",
     "1. Integrationskurs oder vergleichbarer Deutschkurs\n2. Maßnahme „Perspektive für "
     "junge Flüchtlinge im Handwerk“ bei Agentur für Arbeit oder Jobcenter (4 bis 6 "
     "Monate)\n3. Kurs „Berufsorientierung für Flüchtlinge“: bis zu drei Handwerksberufe in "
     "einer Lehrwerkstatt ausprobieren (3 Monate)",
     "Bis zu 10.000 Ausbildungsstellen im Handwerk\n20 Millionen Euro im Jahr 2016",
     "Handwerkskammern, Agentur für Arbeit, Jobcenter"),
]


def seed_contributions(now: datetime) -> int:
    """Add the examples that are missing; return how many were added."""
    added = 0
    for (slug, title, municipality, state, kind, theme_slugs, workshop_slug, summary,
         description, results, partners) in EXAMPLES:
        if db.session.scalar(select(Contribution.id).where(Contribution.slug == slug)):
            continue
        contribution = Contribution(
            slug=slug, title=title, municipality=municipality, federal_state=state,
            body_kind=BodyKind(kind), summary=summary, description=description,
            results=results, partners=partners, state=ContributionState.published,
            submitter_name=current_app.config["CONTACT_NAME"],
            submitter_email=current_app.config["CONTACT_EMAIL"],
            token_salt=secrets.token_hex(16), email_verified_at=now, submitted_at=now,
            published_at=now, created_at=now, updated_at=now,
            featured=slug in ("wir-sind-hamburg", "heidelberg-altenpflege", "joblinge-kompass"))
        contribution.themes = list(db.session.scalars(select(Theme).where(
            Theme.slug.in_(theme_slugs))).all())
        contribution.workshops = list(db.session.scalars(select(Workshop).where(
            Workshop.slug == workshop_slug)).all())
        db.session.add(contribution)
        contribution_search.reindex(contribution)
        added += 1
    return added
