"""The one iCalendar builder: invitations, updates, cancellations, downloads and feeds.

Floor 3 (knows models and settings, no rule). Everything the app emits as
``text/calendar`` is built here with ``icalendar``, so UIDs, time zones,
escaping and folding (75 octets, CRLF) are the same everywhere.

Choices, each for a client we must please:

* **VTIMEZONE in the compact form** (one STANDARD and one DAYLIGHT with a
  yearly RRULE), as Outlook, Google and Thunderbird write it. ``icalendar``'s own
  ``Timezone.from_tzinfo`` lists every transition as RDATEs up to 2038, which
  Outlook is reported to mis-read as another zone. The rules are derived from
  the zoneinfo database and checked against it for the coming years.
* **UIDs carry a host** and belong to the models (``Registration.ical_uid``,
  ``Workshop.ical_uid``): an invitation's UID is the participant's, so updates
  and cancellations find that copy; feeds use the workshop's UID.
* **ORGANIZER only in e-mailed invitations** (iTIP needs it there). It is the
  contact mailbox (``ORGANIZER_EMAIL``), which receives mail, because some
  clients answer an invitation even when asked not to. The participant is the
  ATTENDEE with ``PARTSTAT=ACCEPTED`` and ``RSVP=FALSE``: registering already was
  the answer, so no reply is requested. Feeds and downloads have no ORGANIZER,
  so subscribing never turns into a meeting request.
* **The online link** of an online workshop goes only into a confirmed
  participant's REQUEST, never into feeds, downloads or cancellations.
* **Language**: the texts we add (labels of the description, "Abgesagt:") are in the
  current language: a participant's copy is built inside ``notify``'s
  ``locales.in_language``, so it speaks the registration's language; feeds and
  downloads are shared by everyone and always speak the default language.
"""

from __future__ import annotations

import calendar as _calendar
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vDuration,
)

from events.locales import default as default_language
from events.locales import in_language
from events.models import Registration, RegistrationStatus, Workshop, utcnow
from events.urls import base_url

log = logging.getLogger(__name__)

PRODID = "-//Kompetenzteam Flüchtlings- und Integrationsmanagement//Praxisaustausch//DE"
#: How often subscribed clients should fetch a feed again.
REFRESH_INTERVAL = timedelta(hours=1)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


# --- settings ---------------------------------------------------------------------------


def zone_name() -> str:
    return current_app.config.get("APP_TIMEZONE") or "Europe/Berlin"


def workshop_url(workshop: Workshop, *, mail: bool = False) -> str:
    """The workshop's public page (absolute; ``mail`` for an invitation that is e-mailed,
    see ``events.urls.base_url``)."""
    return f"{base_url(mail=mail)}/workshops/{workshop.slug}"


def _organizer() -> vCalAddress:
    config = current_app.config
    email = config.get("ORGANIZER_EMAIL") or config["CONTACT_EMAIL"]
    name = config.get("ORGANIZER_NAME") or config["CONTACT_NAME"]
    organizer = vCalAddress(f"mailto:{email}")
    organizer.params["CN"] = name
    return organizer


# --- VTIMEZONE in the compact RRULE form -------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """One yearly transition: at ``local_time`` (wall clock before it) on ``byday`` of
    ``month``, the offset goes from ``offset_from`` to ``offset_to``."""

    month: int
    week: int  # 1..4, or -1 for the last such weekday of the month
    weekday: int  # 0 = Monday
    hour: int
    minute: int
    offset_from: timedelta
    offset_to: timedelta
    name: str
    is_dst: bool

    def date_in(self, year: int) -> datetime:
        """The local (naive) moment of this transition in ``year``."""
        days = _calendar.monthrange(year, self.month)[1]
        candidates = [day for day in range(1, days + 1)
                      if _calendar.weekday(year, self.month, day) == self.weekday]
        day = candidates[-1] if self.week == -1 else candidates[self.week - 1]
        return datetime(year, self.month, day, self.hour, self.minute)


def _transitions(zone: ZoneInfo, year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """Offset changes in ``year``: (UTC instant, offset before, offset after)."""
    found = []
    start = datetime(year, 1, 1, tzinfo=timezone.utc)
    step = timedelta(days=1)  # zones change at most once a day; bisect to the minute
    moment = start
    before = moment.astimezone(zone).utcoffset()
    while moment.year == year:
        nxt = moment + step
        after = nxt.astimezone(zone).utcoffset()
        if after != before:
            low, high = moment, nxt  # the change lies in (low, high]
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            found.append((high.replace(second=0, microsecond=0), before, after))
            before = after
        moment = nxt
    return found


def _rule_for(zone: ZoneInfo, instant: datetime, before: timedelta, after: timedelta) -> _Rule:
    local = (instant + before).replace(tzinfo=None)
    days = _calendar.monthrange(local.year, local.month)[1]
    week = -1 if local.day + 7 > days else (local.day - 1) // 7 + 1
    return _Rule(local.month, week, local.weekday(), local.hour, local.minute, before, after,
                 instant.astimezone(zone).tzname() or "", after > before)


@lru_cache(maxsize=8)
def _compact_rules(name: str) -> tuple[_Rule, ...] | None:
    """Yearly rules of the zone, or None when they do not describe the coming years."""
    zone = ZoneInfo(name)
    this_year = datetime.now(timezone.utc).year
    sample = _transitions(zone, this_year)
    rules = tuple(_rule_for(zone, *change) for change in sample)
    if len(rules) not in (0, 2):
        return None
    for year in range(this_year - 1, this_year + 20):
        actual = _transitions(zone, year)
        expected = [(rule.date_in(year), rule.offset_from, rule.offset_to) for rule in rules]
        if [((i + b).replace(tzinfo=None), b, a) for i, b, a in actual] != expected:
            return None
    return rules


def _component(kind, name: str, start: datetime, offset_from: timedelta,
               offset_to: timedelta, rrule: dict | None):
    part = kind()
    part.add("tzname", name)
    part.add("tzoffsetfrom", offset_from)
    part.add("tzoffsetto", offset_to)
    part.add("dtstart", start)
    if rrule:
        part.add("rrule", rrule)
    return part


@lru_cache(maxsize=8)
def _vtimezone_ical(name: str) -> bytes:
    zone = ZoneInfo(name)
    rules = _compact_rules(name)
    if rules is None:  # irregular zone: the long form is still correct
        log.warning("time zone %s has no yearly rule; using the long VTIMEZONE form", name)
        return Timezone.from_tzinfo(zone, tzid=name).to_ical()
    vtimezone = Timezone()
    vtimezone.add("tzid", name)
    vtimezone.add("x-lic-location", name)
    if not rules:  # no daylight saving time at all
        offset = datetime.now(timezone.utc).astimezone(zone).utcoffset()
        tzname = datetime.now(timezone.utc).astimezone(zone).tzname() or name
        vtimezone.add_component(_component(TimezoneStandard, tzname, datetime(1970, 1, 1),
                                           offset, offset, None))
        return vtimezone.to_ical()
    for rule in sorted(rules, key=lambda r: not r.is_dst):  # DAYLIGHT first, as Outlook
        byday = f"{rule.week}{WEEKDAYS[rule.weekday]}"
        vtimezone.add_component(_component(
            TimezoneDaylight if rule.is_dst else TimezoneStandard, rule.name,
            rule.date_in(1970), rule.offset_from, rule.offset_to,
            {"freq": "yearly", "bymonth": rule.month, "byday": byday}))
    return vtimezone.to_ical()


def vtimezone(name: str | None = None) -> Timezone:
    """The VTIMEZONE of ``name`` (default: APP_TIMEZONE), compact where possible."""
    return Timezone.from_ical(_vtimezone_ical(name or zone_name()))


# --- events -------------------------------------------------------------------------------


def _calendar_for(method: str, name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    if name:
        cal.add("name", name)
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", zone_name())
        cal.add("refresh-interval", vDuration(REFRESH_INTERVAL),
                parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", vDuration(REFRESH_INTERVAL))
    cal.add_component(vtimezone())
    return cal


def location(workshop: Workshop, online_url: str | None = None) -> str:
    """``Rathaus, Marktplatz 1, 50667 Köln``; ``Online`` (with the link if given)."""
    if workshop.venue_name:
        return ", ".join(part for part in (workshop.venue_name, workshop.venue_address) if part)
    if online_url:
        return f"Online: {online_url}"  # the same word in German and English
    return "Online" if workshop.online_url else workshop.venue_address


def _event(workshop: Workshop, *, uid: str, sequence: int, stamp: datetime,
           description: str, cancelled: bool, online_url: str | None = None,
           summary: str | None = None, mail: bool = False) -> Event:
    local = ZoneInfo(zone_name())
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(timezone.utc))
    event.add("sequence", sequence)
    event.add("dtstart", workshop.starts_at.astimezone(local))
    event.add("dtend", workshop.ends_at.astimezone(local))
    event.add("summary", summary or workshop.title)
    event.add("description", description)
    place = location(workshop, online_url)
    if place:
        event.add("location", place)
    event.add("url", workshop_url(workshop, mail=mail))
    if workshop.theme is not None:
        event.add("categories", [workshop.theme.name])
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("class", "PUBLIC")
    if workshop.created_at:
        event.add("created", workshop.created_at.astimezone(timezone.utc))
    if workshop.updated_at:
        event.add("last-modified", workshop.updated_at.astimezone(timezone.utc))
    return event


def _text(*paragraphs: str | None) -> str:
    return "\n\n".join(p.strip() for p in paragraphs if p and p.strip())


def invitation(registration: Registration, method: str, *, manage_url: str,
               stamp: datetime | None = None) -> str:
    """The participant's own copy of the event, to send by e-mail (iTIP).

    ``method`` is ``REQUEST`` (invitation, update, reminder) or ``CANCEL``
    (the participant left or the workshop was cancelled: STATUS:CANCELLED).
    The SEQUENCE is ``registration.ical_sequence``; the caller raises it for
    every new version. The online link is only in a confirmed participant's
    REQUEST.
    """
    method = method.upper()
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported METHOD {method!r}")
    workshop = registration.workshop
    cancelled = method == "CANCEL"
    online = (workshop.online_url if not cancelled
              and registration.status == RegistrationStatus.confirmed else None)
    description = _text(
        workshop.description,
        _("Zugang zum Online-Workshop: %(url)s", url=online) if online else None,
        _("Ihre Anmeldung ansehen oder stornieren: %(url)s", url=manage_url),
        _("Workshop-Seite: %(url)s", url=workshop_url(workshop, mail=True)),
    )
    cal = _calendar_for(method)
    event = _event(workshop, uid=registration.ical_uid, sequence=registration.ical_sequence,
                   stamp=stamp or utcnow(), description=description, cancelled=cancelled,
                   online_url=online, mail=True)
    event.add("organizer", _organizer())
    attendee = vCalAddress(f"mailto:{registration.participant.email}")
    attendee.params["CN"] = registration.participant.name
    attendee.params["CUTYPE"] = "INDIVIDUAL"
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = "DECLINED" if cancelled else "ACCEPTED"
    attendee.params["RSVP"] = "FALSE"
    event.add("attendee", attendee)
    cal.add_component(event)
    return cal.to_ical().decode("utf-8")


def cancelled_summary(title: str) -> str:
    """The SUMMARY of a cancelled workshop: several clients do not show STATUS."""
    return _("Abgesagt: %(title)s", title=title)


def _public_event(workshop: Workshop) -> Event:
    """Shared by every subscriber: in the default language (whatever the page's)."""
    cancelled = workshop.is_cancelled
    with in_language(None):
        description = _text(
            _("ABGESAGT. %(reason)s", reason=workshop.cancel_reason).strip()
            if cancelled else None,
            workshop.description,
            _("Anmeldung und Details: %(url)s", url=workshop_url(workshop)),
        )
        summary = cancelled_summary(workshop.title) if cancelled else None
    return _event(workshop, uid=workshop.ical_uid, sequence=workshop.sequence,
                  stamp=workshop.updated_at or utcnow(), description=description,
                  cancelled=cancelled, summary=summary)


def _public_event_key(workshop: Workshop) -> tuple:
    """Everything a public VEVENT is made of: equal keys give equal text."""
    return (workshop.id, workshop.slug, workshop.sequence, workshop.status, workshop.title,
            workshop.description, workshop.starts_at, workshop.ends_at, workshop.venue_name,
            workshop.venue_address, bool(workshop.online_url), workshop.cancel_reason,
            workshop.theme.name if workshop.theme else None, workshop.created_at,
            workshop.updated_at, base_url(), zone_name(), workshop.ical_uid,
            default_language())


#: Serialised public VEVENTs by ``_public_event_key``. icalendar spends about 0.7 ms
#: per event (folding is done character by character), which made a 500-workshop
#: feed cost a third of a second; an edit now rebuilds only the event it changed.
_EVENTS: OrderedDict[tuple, str] = OrderedDict()
_EVENTS_MAX = 4096
_EVENTS_LOCK = threading.Lock()


def _public_event_text(workshop: Workshop) -> str:
    key = _public_event_key(workshop)
    with _EVENTS_LOCK:
        text = _EVENTS.get(key)
        if text is not None:
            _EVENTS.move_to_end(key)
            return text
    text = _public_event(workshop).to_ical().decode("utf-8")
    with _EVENTS_LOCK:
        _EVENTS[key] = text
        while len(_EVENTS) > _EVENTS_MAX:
            _EVENTS.popitem(last=False)
    return text


def _publish(workshops: Iterable[Workshop], name: str | None) -> str:
    """A PUBLISH calendar: icalendar's head and VTIMEZONE, then the (cached) VEVENTs."""
    text = _calendar_for("PUBLISH", name=name).to_ical().decode("utf-8")
    end = "END:VCALENDAR\r\n"
    assert text.endswith(end)
    return text[: -len(end)] + "".join(_public_event_text(w) for w in workshops) + end


def single_event(workshop: Workshop) -> str:
    """One workshop as a download ("In Kalender übernehmen"): METHOD:PUBLISH."""
    return _publish([workshop], name=None)


def feed(workshops: Iterable[Workshop], name: str) -> str:
    """A subscription feed: METHOD:PUBLISH, NAME, refresh hints, one VEVENT per workshop.

    Cancelled workshops stay in with STATUS:CANCELLED (and "Abgesagt:" in the
    title, since several clients do not show the status), so subscribers see
    the cancellation instead of a silent disappearance.
    """
    return _publish(workshops, name=name)
