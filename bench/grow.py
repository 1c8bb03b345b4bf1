"""A grown programme: many workshops, registrations and practice examples, from a seed.

    .venv/bin/python bench/grow.py --database sqlite:///grown.db            # defaults below
    .venv/bin/python bench/grow.py --database postgresql+psycopg://…/db --workshops 5000
    .venv/bin/python bench/grow.py --database sqlite:///g.db --workshops 50 \\
        --registrations 2000 --contributions 1000 --seed 7 --today 2027-01-05

Defaults: 500 workshops over 12 themes, 20,000 registrations, 10,000 published practice
examples. The database is migrated first (``flask db upgrade``) and must be empty.

Why not through the services: registering 20,000 people one by one through
``services.seats`` takes minutes (one lock, a dozen statements and an outbox mail each).
So the seat rules are *replayed in memory* instead, in the order they would have happened,
and the outcome is written with bulk inserts. The replay follows ``services.seats``:

* one programme (the site serves the first one) whose cap on distinct seat holders is
  ``--cap`` (default: 80 % of the people, so the cap binds late in the run and some
  people wait for it, as they would); pending and confirmed hold a seat;
* a request takes a seat (``pending``) while the workshop has room and the person holds a
  seat already or the cap has room, else it joins the waiting list (``requested_at`` order,
  ties by id); a pending seat is confirmed or expires; confirmed seats are sometimes
  cancelled; whatever frees a place promotes the earliest waiting entries that fit, of
  workshops that have not started; cancelled workshops end their registrations;
* every row carries what the service writes: random token and feed salts, the consent
  version, ``expires_at`` on pending seats, ``confirmed_at``/``cancelled_at``.

Practice examples are inserted in bulk too (``contribution_rows``, shared with
``bench/contribution_search_bench.py``) and then indexed with ``contribution_search.rebuild``,
which writes the same search rows ``reindex`` would. Dates are relative to ``--today``
(default: the real day, so the catalogue always has upcoming workshops); with the same
seed and ``--today`` the database is the same.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402

from events.extensions import db  # noqa: E402
from events.models import (  # noqa: E402
    FEDERAL_STATES,
    BodyKind,
    Contribution,
    ContributionState,
    Participant,
    Programme,
    Registration,
    RegistrationStatus,
    Theme,
    Workshop,
    WorkshopStatus,
)
from events.models.contributions import contribution_theme, contribution_workshop  # noqa: E402

S = RegistrationStatus

THEMES = ["Organisation", "Personal", "Unterbringung", "Integration",
          "Interkulturelle Öffnung", "Arbeitsmarktintegration", "Kostenrechnung",
          "Risikomanagement", "Sprachförderung", "Ehrenamt", "Wohnen", "Gesundheit",
          "Bildung", "Digitalisierung", "Steuerung", "Beratung"]
PLACES = ["Hamburg", "Berlin", "Köln", "Crimmitschau", "Mülheim an der Ruhr", "Heidelberg",
          "Bremen", "Landkreis Gießen", "Düsseldorf", "Nürnberg", "Lüneburg", "Görlitz",
          "Würzburg", "Münster", "Saarbrücken", "Erfurt", "Kiel", "Passau", "Tübingen",
          "Cottbus", "Landkreis Lippe", "Rhein-Sieg-Kreis", "Landkreis Görlitz", "Bielefeld"]
TOPICS = ["Ausbildung zur Altenpflege", "Willkommenslotsen", "Sprachcafé", "Wohnraum für "
          "Geflüchtete", "Integrationsplan", "Nachwuchs für die Verwaltung", "Gesundheitskarte",
          "Jobcoaching", "Patenschaften", "Elternarbeit in Kitas", "Berufsorientierung",
          "Interkulturelle Öffnung", "Ehrenamtskoordination", "Anerkennung ausländischer "
          "Abschlüsse", "Frauen in Arbeit", "Mentoring für Studierende"]
FORMATS = ["Werkstatt", "Praxisdialog", "Fachtag", "Online-Seminar", "Erfahrungsaustausch"]
WORDS = ("Kommune Verwaltung Integration Beratung Ausbildung Arbeitsmarkt Sprache Kurs Förderung "
         "Netzwerk Jobcenter Ausländerbehörde Ehrenamtliche Begleitung Wohnung Schule Kita "
         "Eltern Jugendliche Frauen Gesundheit Pflege Handwerk Betriebe Praktikum Migration "
         "Geflüchtete Neuzugewanderte Quartier Stadtteil Landkreis Gemeinde Projekt Konzept "
         "Steuerung Koordination Fachkräfte Qualifizierung Sprachförderung Übergang Beruf "
         "Teilhabe Willkommenskultur Dolmetscher Mehrsprachigkeit Sozialraum Träger Caritas "
         "Diakonie Handwerkskammer IHK Volkshochschule Bibliothek Sportverein Nachbarschaft "
         "Evaluation Ergebnisse Kennzahlen Finanzierung Landesprogramm Bundesmittel").split()
FIRST_NAMES = ["Anna", "Mehmet", "Julia", "Thomas", "Sabine", "Ayşe", "Jürgen", "Katarzyna",
               "Lukas", "Fatma", "Stefan", "Elif", "Monika", "Olena", "Peter", "Sören"]
LAST_NAMES = ["Schulz", "Yılmaz", "Becker", "Wagner", "Hoffmann", "Öztürk", "Müller",
              "Nowak", "Weiß", "Schröder", "Kaya", "Krüger", "Petrenko", "Zimmermann"]
ROLES = ["Sozialamt", "Integrationsbüro", "Ausländerbehörde", "Personalamt", "Jobcenter",
         "Kommunales Integrationszentrum", "Amt für Wohnen"]
ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ı": "i", "ş": "s",
                            " ": "-"})


@dataclass(frozen=True)
class Sizes:
    workshops: int = 500
    themes: int = 12
    registrations: int = 20_000
    contributions: int = 10_000
    #: Distinct people; default: a third of the registrations (three workshops each).
    people: int | None = None
    #: The programme's cap; default: 80 % of the people.
    cap: int | None = None

    @property
    def people_count(self) -> int:
        return self.people or max(1, self.registrations // 3)

    @property
    def cap_value(self) -> int:
        return self.cap if self.cap is not None else max(1, self.people_count * 4 // 5)


def salt(rng: random.Random) -> str:
    """32 hex digits, as ``services.tokens.new_salt`` makes them, but from the seed."""
    return f"{rng.getrandbits(128):032x}"


def slugify(name: str) -> str:
    return name.lower().translate(ASCII)


# --- practice examples ------------------------------------------------------------------


def contribution_rows(rng: random.Random, count: int, theme_ids: list[int],
                      workshop_ids: list[int] = (), places: list[str] = PLACES,
                      first_id: int = 1) -> tuple[list[dict], list[dict], list[dict]]:
    """``count`` published, verified examples: rows for ``contribution`` and its links to
    one or two themes and (for a third of them, when given) one workshop."""
    kinds = list(BodyKind)
    published = datetime(2026, 1, 1, 8, tzinfo=timezone.utc)
    rows, themes, workshops = [], [], []
    for n in range(first_id, first_id + count):
        place = rng.choice(places)
        municipality = place if place.startswith(("Landkreis", "Rhein")) else f"Stadt {place}"
        rows.append({
            "id": n, "slug": f"beispiel-{n}",
            "title": f"{rng.choice(TOPICS)} in {place}", "municipality": municipality,
            "federal_state": rng.choice(FEDERAL_STATES), "body_kind": rng.choice(kinds),
            "summary": " ".join(rng.choices(WORDS, k=18)),
            "description": " ".join(rng.choices(WORDS, k=150)),
            "results": f"Teilnehmende: {rng.randint(10, 400)} ({rng.randint(2012, 2020)})\n"
                       f"Anteil in Arbeit: {rng.randint(5, 60)} %",
            "partners": ", ".join(rng.sample(WORDS[-12:], 2)), "links": "",
            "contact_name": "", "contact_email": "", "contact_phone": "",
            "contact_public": False, "state": ContributionState.published,
            "submitter_name": "Bench", "submitter_email": f"bench{n}@kommune.example",
            "email_verified_at": published, "token_salt": salt(rng),
            "moderation_comment": "", "featured": n % 500 == 1, "language": "de",
            "created_at": published, "updated_at": published, "submitted_at": published,
            "published_at": published + timedelta(minutes=n),
        })
        themes += [{"contribution_id": n, "theme_id": theme_id}
                   for theme_id in rng.sample(theme_ids, min(len(theme_ids),
                                                             rng.randint(1, 2)))]
        if workshop_ids and n % 3 == 0:
            workshops.append({"contribution_id": n, "workshop_id": rng.choice(workshop_ids)})
    return rows, themes, workshops


def add_contributions(rng: random.Random, count: int, theme_ids: list[int],
                      workshop_ids: list[int] = ()) -> None:
    """Insert ``count`` examples and (re)build the search index over all of them."""
    from events.services import contribution_search  # floor 4, only for the index

    if not count:
        return
    first = (db.session.scalar(select(func.max(Contribution.id))) or 0) + 1
    rows, themes, workshops = contribution_rows(rng, count, theme_ids, workshop_ids,
                                                first_id=first)
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(Contribution), rows[start:start + 2000])
    db.session.execute(insert(contribution_theme), themes)
    if workshops:
        db.session.execute(insert(contribution_workshop), workshops)
    contribution_search.rebuild()


# --- workshops --------------------------------------------------------------------------


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


def workshop_rows(rng: random.Random, count: int, programme_id: int, theme_ids: list[int],
                  today: date) -> list[dict]:
    """Workshops from eight weeks ago to a year ahead: 90 % published, 5 % cancelled,
    5 % drafts; closing a week before the start; a tenth opening only later."""
    created = _at(today - timedelta(days=120), 8)
    rows = []
    for n in range(1, count + 1):
        place = rng.choice(PLACES)
        topic = rng.choice(TOPICS)
        day = today + timedelta(days=rng.randint(-56, 365))
        start = rng.choice((9, 10, 13))
        online = rng.random() < 0.25
        roll = rng.random()
        status = (WorkshopStatus.draft if roll < 0.05 else
                  WorkshopStatus.cancelled if roll < 0.10 else WorkshopStatus.published)
        opens_later = day > today + timedelta(days=60) and rng.random() < 0.1
        rows.append({
            "id": n, "programme_id": programme_id, "theme_id": theme_ids[n % len(theme_ids)],
            "slug": f"{slugify(topic)[:60]}-{slugify(place)[:30]}-{n}",
            "title": f"{rng.choice(FORMATS)}: {topic} – {place} berichtet",
            "description": " ".join(rng.choices(WORDS, k=60)),
            "starts_at": _at(day, start), "ends_at": _at(day, start + rng.choice((3, 4, 6))),
            "venue_name": "" if online else f"Rathaus {place}",
            "venue_address": "" if online else f"Marktplatz {n % 40 + 1}, {place}",
            "online_url": f"https://konferenz.example.org/w{n}" if online else None,
            "capacity": rng.choice((15, 20, 25, 30, 40, 50, 60)),
            "registration_opens_at": (_at(day - timedelta(days=60), 8) if opens_later
                                      else None),
            "registration_closes_at": _at(day - timedelta(days=7), 23),
            "status": status,
            "cancel_reason": "Die Referentin ist erkrankt." if roll < 0.10 and roll >= 0.05
                             else "",
            "sequence": 1 if status == WorkshopStatus.cancelled else 0,
            "created_at": created, "updated_at": created,
        })
    return rows


# --- people and the replayed seat rules -------------------------------------------------


def participant_rows(rng: random.Random, count: int, today: date) -> list[dict]:
    created = _at(today - timedelta(days=120), 8)
    rows = []
    for n in range(1, count + 1):
        first, last, place = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), rng.choice(PLACES)
        municipality = place if place.startswith(("Landkreis", "Rhein")) else f"Stadt {place}"
        rows.append({
            "id": n, "name": f"{first} {last}",
            "email": f"{slugify(first)}.{slugify(last)}.{n}@{slugify(place)}.example",
            "municipality": municipality, "role": rng.choice(ROLES),
            "federal_state": rng.choice(FEDERAL_STATES + ("",)), "feed_salt": salt(rng),
            "created_at": created,
        })
    return rows


@dataclass
class _Seat:
    """One registration row while the replay runs."""

    id: int
    workshop: dict
    participant_id: int
    requested_at: datetime
    status: RegistrationStatus = S.waitlisted
    status_changed_at: datetime | None = None
    expires_at: datetime | None = None
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None


@dataclass
class _Replay:
    """The seat rules of ``services.seats`` over in-memory rows (one programme)."""

    cap: int
    confirmation: timedelta
    rng: random.Random
    taken: dict[int, int] = field(default_factory=dict)
    #: participant id → seats held (the cap counts distinct holders).
    holding: dict[int, int] = field(default_factory=dict)
    #: Per workshop, its waiting entries in ``requested_at`` order (requests arrive so).
    waiting: dict[int, list[_Seat]] = field(default_factory=dict)
    #: Workshops with room and someone waiting (held back by the cap): ``promote`` skips
    #: full workshops, so only these can move — no need to walk every waiting entry.
    roomy: set[int] = field(default_factory=set)
    events: list[tuple] = field(default_factory=list)  # heap of (when, order, kind, seat)
    order: int = 0

    def schedule(self, when: datetime, kind: str, seat: _Seat) -> None:
        self.order += 1
        heapq.heappush(self.events, (when, self.order, kind, seat))

    def _fits(self, seat: _Seat) -> bool:
        w = seat.workshop
        return (self.taken.get(w["id"], 0) < w["capacity"]
                and (seat.participant_id in self.holding or len(self.holding) < self.cap))

    def _has_room(self, workshop: dict) -> bool:
        return self.taken.get(workshop["id"], 0) < workshop["capacity"]

    def _take(self, seat: _Seat, now: datetime) -> None:
        seat.status, seat.status_changed_at = S.pending, now
        seat.expires_at = min(now + self.confirmation, seat.workshop["starts_at"])
        self.taken[seat.workshop["id"]] = self.taken.get(seat.workshop["id"], 0) + 1
        if not self._has_room(seat.workshop):
            self.roomy.discard(seat.workshop["id"])
        self.holding[seat.participant_id] = self.holding.get(seat.participant_id, 0) + 1
        # most confirm within hours; one in ten lets the reservation expire
        if self.rng.random() < 0.9:
            self.schedule(now + timedelta(minutes=self.rng.randint(5, 2000)), "confirm", seat)
        else:
            self.schedule(seat.expires_at, "expire", seat)

    def _free(self, seat: _Seat, status: RegistrationStatus, now: datetime) -> None:
        if seat.status in (S.pending, S.confirmed):
            self.taken[seat.workshop["id"]] -= 1
            self.holding[seat.participant_id] -= 1
            if not self.holding[seat.participant_id]:
                del self.holding[seat.participant_id]
            if self.waiting.get(seat.workshop["id"]):
                self.roomy.add(seat.workshop["id"])
        seat.status, seat.status_changed_at, seat.expires_at = status, now, None
        if status == S.cancelled:
            seat.cancelled_at = now

    def _promote(self, now: datetime) -> None:
        """``seats.promote``: earliest first, each that fits; started workshops skipped."""
        lists = []
        for workshop_id in list(self.roomy):
            entries = [s for s in self.waiting[workshop_id] if s.status == S.waitlisted]
            self.waiting[workshop_id] = entries
            if (not entries or entries[0].workshop["starts_at"] <= now
                    or not self._has_room(entries[0].workshop)):
                self.roomy.discard(workshop_id)
            else:
                lists.append(entries)
        for seat in list(heapq.merge(*lists, key=lambda s: (s.requested_at, s.id))):
            if self._fits(seat):
                self._take(seat, now)

    def run(self, until: datetime) -> None:
        while self.events and self.events[0][0] <= until:
            now, _, kind, seat = heapq.heappop(self.events)
            if kind == "request":
                seat.status_changed_at = now
                if self._fits(seat):
                    self._take(seat, now)
                else:
                    self.waiting.setdefault(seat.workshop["id"], []).append(seat)
                    if self._has_room(seat.workshop):
                        self.roomy.add(seat.workshop["id"])
            elif kind == "confirm" and seat.status == S.pending and now < seat.expires_at:
                seat.status, seat.status_changed_at, seat.confirmed_at = S.confirmed, now, now
                if self.rng.random() < 0.06:  # a few cancel later on
                    later = now + timedelta(days=self.rng.randint(1, 30))
                    if later < seat.workshop["starts_at"]:
                        self.schedule(later, "cancel", seat)
            elif kind in ("expire", "confirm") and seat.status == S.pending:  # too late
                self._free(seat, S.expired, now)
                self._promote(now)
            elif kind == "cancel" and seat.status in (S.pending, S.confirmed, S.waitlisted):
                self._free(seat, S.cancelled, now)
                self._promote(now)
            elif kind == "cancel_workshop":
                for other in seat:  # here ``seat`` is the workshop's list of seats
                    if other.status in (S.pending, S.confirmed, S.waitlisted):
                        self._free(other, S.cancelled, now)
                self._promote(now)


def cancelled_at(workshop: dict, now: datetime) -> datetime:
    """When a cancelled workshop was cancelled (before ``now``: it is cancelled); for the
    others the end of time. Nobody registers for it afterwards."""
    if workshop["status"] != WorkshopStatus.cancelled:
        return datetime.max.replace(tzinfo=timezone.utc)
    return min(workshop["starts_at"] - timedelta(days=3), now - timedelta(hours=1))


def registration_rows(rng: random.Random, workshops: list[dict], people: int,
                      count: int, cap: int, now: datetime, confirmation: timedelta,
                      consent_version: str) -> list[dict]:
    """``count`` registrations of ``people`` people, replayed through the seat rules up
    to ``now``; one row per (workshop, person)."""
    open_ = [w for w in workshops if w["status"] != WorkshopStatus.draft]
    if not open_ or not people:
        return []
    # popular workshops draw more people: a weight per workshop
    weights = list(itertools.accumulate(rng.choice((1, 1, 2, 3, 6)) for _ in open_))
    replay = _Replay(cap=cap, confirmation=confirmation, rng=rng)
    seats: list[_Seat] = []
    pairs: set[tuple[int, int]] = set()
    per_workshop: dict[int, list[_Seat]] = {}
    requests = []
    attempts = 0
    while len(requests) < count and attempts < count * 20:
        attempts += 1
        w = rng.choices(open_, cum_weights=weights)[0]
        person = rng.randint(1, people)
        if (w["id"], person) in pairs:
            continue
        opens = w["registration_opens_at"] or w["created_at"]
        last = min(w["registration_closes_at"], now, cancelled_at(w, now))
        if last <= opens:
            continue
        pairs.add((w["id"], person))
        span = (last - opens).total_seconds()
        requests.append((opens + timedelta(seconds=int(rng.random() * span)), w, person))
    requests.sort(key=lambda r: r[0])
    for n, (when, w, person) in enumerate(requests, start=1):
        seat = _Seat(id=n, workshop=w, participant_id=person, requested_at=when)
        seats.append(seat)
        per_workshop.setdefault(w["id"], []).append(seat)
        replay.schedule(when, "request", seat)
    for w in open_:
        if w["status"] == WorkshopStatus.cancelled:
            replay.schedule(cancelled_at(w, now), "cancel_workshop",
                            per_workshop.get(w["id"], []))
    replay.run(now)
    return [{
        "id": s.id, "workshop_id": s.workshop["id"], "participant_id": s.participant_id,
        "status": s.status, "created_at": s.requested_at, "requested_at": s.requested_at,
        "status_changed_at": s.status_changed_at or s.requested_at, "expires_at": s.expires_at,
        "confirmed_at": s.confirmed_at, "cancelled_at": s.cancelled_at,
        "consent_version": consent_version, "consent_at": s.requested_at, "remarks": "",
        "token_salt": salt(rng), "ical_sequence": 0, "source": "public",
        "attended_at": (s.workshop["starts_at"] + timedelta(minutes=rng.randint(0, 20))
                        if s.status == S.confirmed and s.workshop["ends_at"] < now
                        and rng.random() < 0.85 else None),
    } for s in seats]


# --- all of it --------------------------------------------------------------------------


def grow(sizes: Sizes = Sizes(), seed: int = 15, today: date | None = None,
         now: datetime | None = None) -> dict[str, int]:
    """Fill the (migrated, empty) database of the current app; commit; return the counts.

    ``now`` is the moment the replay stops: by default noon of ``today`` when a day is
    given (the same data on every run), else the real present (no row in the future)."""
    from flask import current_app

    rng = random.Random(seed)
    if now is None:
        now = _at(today, 12) if today else datetime.now(timezone.utc)
    today = today or now.date()
    config = current_app.config
    programme = Programme(slug="workshopreihe-fim", name="Workshopreihe Flüchtlings- und "
                          "Integrationsmanagement", description="Workshops für kommunale "
                          "Praktikerinnen und Praktiker.", capacity=sizes.cap_value)
    db.session.add(programme)
    names = (THEMES * (sizes.themes // len(THEMES) + 1))[:sizes.themes]
    themes = [Theme(slug=f"{slugify(name)}-{i}" if i >= len(THEMES) else slugify(name),
                    name=name if i < len(THEMES) else f"{name} {i // len(THEMES) + 1}",
                    description=f"Alles zum Thema {name}.", position=i)
              for i, name in enumerate(names)]
    db.session.add_all(themes)
    db.session.flush()
    theme_ids = [t.id for t in themes]
    workshops = workshop_rows(rng, sizes.workshops, programme.id, theme_ids, today)
    for start in range(0, len(workshops), 2000):
        db.session.execute(insert(Workshop), workshops[start:start + 2000])
    people = participant_rows(rng, sizes.people_count, today)
    registrations = registration_rows(
        rng, workshops, len(people), sizes.registrations, sizes.cap_value, now,
        timedelta(hours=config["CONFIRMATION_HOURS"]), config["CONSENT_VERSION"])
    used = {row["participant_id"] for row in registrations}
    people = [p for p in people if p["id"] in used]  # a person exists once registered
    for start in range(0, len(people), 5000):
        db.session.execute(insert(Participant), people[start:start + 5000])
    for start in range(0, len(registrations), 5000):
        db.session.execute(insert(Registration), registrations[start:start + 5000])
    add_contributions(rng, sizes.contributions, theme_ids,
                      [w["id"] for w in workshops if w["status"] != WorkshopStatus.draft])
    _restart_sequences()
    db.session.commit()
    db.session.execute(text("ANALYZE"))  # as autovacuum would after a bulk load
    db.session.commit()
    return {"workshops": len(workshops), "themes": len(themes), "people": len(people),
            "registrations": len(registrations), "contributions": sizes.contributions,
            "cap": sizes.cap_value}


def broken_rules(now: datetime) -> list[str]:
    """What in the database breaks a seat rule (empty when nothing): a workshop over its
    capacity, the programme over its cap, a waiting entry that the service would have
    promoted (room in its upcoming workshop and under the cap), a seat in a cancelled
    workshop, a pending seat past its deadline."""
    from events.services import catalogue, seats

    problems = []
    programme = catalogue.current_programme()
    holders = seats.seat_holders(programme.id)
    if len(holders) + programme.deleted_participants > programme.capacity:
        problems.append(f"programme cap {programme.capacity} < {len(holders)} holders")
    full_cap = len(holders) + programme.deleted_participants >= programme.capacity
    for item in catalogue.list_workshops(now=now):
        w = item.workshop
        if item.seats_taken > w.capacity:
            problems.append(f"workshop {w.id}: {item.seats_taken} seats > {w.capacity}")
        if w.is_cancelled and item.seats_taken + item.waitlist_length:
            problems.append(f"workshop {w.id} cancelled with active registrations")
    waiting = db.session.execute(
        select(Registration.participant_id, Workshop.id, Workshop.capacity)
        .join(Workshop, Workshop.id == Registration.workshop_id)
        .where(Registration.status == S.waitlisted, Workshop.starts_at > now,
               Workshop.status == WorkshopStatus.published)).all()
    taken = {item.workshop.id: item.seats_taken for item in catalogue.list_workshops(now=now)}
    for person, workshop_id, capacity in waiting:
        if taken[workshop_id] < capacity and (person in holders or not full_cap):
            problems.append(f"waiting entry of person {person} in workshop {workshop_id} "
                            "fits and was not promoted")
    late = db.session.scalar(select(func.count(Registration.id)).where(
        Registration.status == S.pending, Registration.expires_at <= now))
    if late:
        problems.append(f"{late} pending seats past their deadline")
    return problems


def _restart_sequences() -> None:
    """PostgreSQL: explicit ids do not move the sequences; move them past the rows."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("workshop", "participant", "registration", "contribution"):
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True,
                        help="SQLAlchemy URL of an empty database (it is migrated first)")
    parser.add_argument("--workshops", type=int, default=Sizes.workshops,
                        help="e.g. 50, 500 (default) or 5000")
    parser.add_argument("--themes", type=int, default=Sizes.themes)
    parser.add_argument("--registrations", type=int, default=Sizes.registrations)
    parser.add_argument("--contributions", type=int, default=Sizes.contributions)
    parser.add_argument("--people", type=int, default=None,
                        help="distinct people (default: a third of the registrations)")
    parser.add_argument("--cap", type=int, default=None,
                        help="the programme's cap (default: 80 %% of the people)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="the day the data is relative to (default: today)")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    from flask_migrate import upgrade

    from bench.support import bench_app

    args = arguments(argv)
    app = bench_app(args.database, Path(tempfile.gettempdir()))  # sends no mail
    with app.app_context():
        upgrade()
        begin = time.perf_counter()
        counts = grow(Sizes(args.workshops, args.themes, args.registrations, args.contributions,
                            args.people, args.cap), seed=args.seed, today=args.today)
        print(", ".join(f"{k} {v}" for k, v in counts.items())
              + f" — in {time.perf_counter() - begin:.1f} s")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
