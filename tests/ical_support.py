"""Reading what we emit as two independent clients would: Mozilla's ical.js and vobject.

``icaljs(texts)`` runs ``node tests/js/parse_ics.mjs`` once over several
calendars (every VTIMEZONE registered with ical.js's TimezoneService, so no
time floats). ``vobject_events(text)`` parses with python ``vobject``.
``calendar_parts(message)`` checks the MIME structure Outlook needs for a
meeting request and returns the inline part and the attachment.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import vobject

ROOT = Path(__file__).resolve().parent.parent
PARSER = ROOT / "tests" / "js" / "parse_ics.mjs"


# --- ical.js --------------------------------------------------------------------------------


def icaljs(texts: dict[str, str], folder: Path) -> dict[str, dict]:
    """Parse each calendar (name → text) with ical.js; name → the parser's JSON."""
    node = shutil.which("node")
    assert node, "node is needed for the ical.js checks (apt-get install nodejs)"
    assert (ROOT / "node_modules" / "ical.js").is_dir(), "run `npm ci` for ical.js"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for index, (name, text) in enumerate(texts.items()):
        path = folder / f"{index:02d}.ics"
        path.write_bytes(text.encode("utf-8"))
        paths[str(path)] = name
    done = subprocess.run([node, str(PARSER), *paths], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, f"ical.js could not parse: {done.stderr}"
    return {paths[path]: parsed for path, parsed in json.loads(done.stdout).items()}


# --- vobject --------------------------------------------------------------------------------


@dataclass(frozen=True)
class VEvent:
    method: str | None
    uid: str
    sequence: int
    status: str | None
    summary: str
    description: str
    location: str | None
    start: datetime
    end: datetime
    start_tzid: str | None
    tz_from_file: bool
    organizer: str | None
    attendees: list[tuple[str, dict]]


def vobject_events(text: str) -> list[VEvent]:
    calendar = vobject.readOne(text)
    method = calendar.method.value if hasattr(calendar, "method") else None
    events = []
    for event in getattr(calendar, "vevent_list", []):
        start = event.dtstart.value
        tzids = event.dtstart.params.get("X-VOBJ-ORIGINAL-TZID") or event.dtstart.params.get(
            "TZID") or [None]
        events.append(VEvent(
            method=method,
            uid=event.uid.value,
            sequence=int(event.sequence.value) if hasattr(event, "sequence") else 0,
            status=event.status.value if hasattr(event, "status") else None,
            summary=event.summary.value,
            description=event.description.value if hasattr(event, "description") else "",
            location=event.location.value if hasattr(event, "location") else None,
            start=start,
            end=event.dtend.value,
            start_tzid=tzids[0],
            # vobject builds a dateutil tz from the file's VTIMEZONE (not a system zone)
            tz_from_file=type(start.tzinfo).__name__ == "_tzicalvtz",
            organizer=event.organizer.value if hasattr(event, "organizer") else None,
            attendees=[(a.value, dict(a.params)) for a in getattr(event, "attendee_list", [])],
        ))
    return events


# --- comparing with the API ---------------------------------------------------------------


def assert_times_match_api(js_event: dict, vo_event: VEvent, api: dict,
                           zone: str = "Europe/Berlin") -> None:
    """Both parsers read the same start, end and zone as ``GET /api/v1/workshops/<id>``."""
    for key, js_time, vo_time in (("starts_at", js_event["start"], vo_event.start),
                                  ("ends_at", js_event["end"], vo_event.end)):
        expected = datetime.fromisoformat(api[key])
        # ical.js: the wall clock, the zone from the file's VTIMEZONE, the offset it implies
        assert js_time["tzid_param"] == zone and js_time["zone"] == zone, js_time
        assert js_time["local"] == expected.replace(tzinfo=None).isoformat(), (key, js_time)
        assert js_time["utc_offset_seconds"] == expected.utcoffset().total_seconds(), js_time
        assert js_time["unix"] == expected.timestamp(), (key, js_time)
        # vobject: the same instant, wall clock and offset, from the file's VTIMEZONE
        assert vo_event.start_tzid == zone and vo_event.tz_from_file
        assert vo_time == expected, (key, vo_time, expected)
        assert vo_time.replace(tzinfo=None) == expected.replace(tzinfo=None)
        assert vo_time.utcoffset() == expected.utcoffset()
    assert js_event["start_unix"] == datetime.fromisoformat(api["starts_at"]).timestamp()
    assert js_event["end_unix"] == datetime.fromisoformat(api["ends_at"]).timestamp()


# --- the e-mail -------------------------------------------------------------------------------


def calendar_parts(message: EmailMessage, method: str) -> tuple[EmailMessage, EmailMessage]:
    """Check the meeting-request structure and return (inline calendar part, attachment).

    multipart/mixed[ multipart/alternative[ text/plain, text/html,
    text/calendar; method=…; charset=utf-8 ], text/calendar attachment *.ics ]
    """
    assert message.get_content_type() == "multipart/mixed"
    top = list(message.iter_parts())
    assert [part.get_content_type() for part in top] == ["multipart/alternative",
                                                         "text/calendar"]
    alternative, attachment = top
    inner = list(alternative.iter_parts())
    assert [part.get_content_type() for part in inner] == ["text/plain", "text/html",
                                                           "text/calendar"]
    inline = inner[2]
    for part in (inline, attachment):
        assert part.get_param("method") == method
        assert part.get_content_charset().lower() == "utf-8"
    assert inline.get_content_disposition() is None
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename().endswith(".ics")
    return inline, attachment


def calendar_text(part: EmailMessage) -> str:
    """The part's calendar as text, byte for byte (CRLF kept)."""
    return part.get_payload(decode=True).decode("utf-8")


def unfolded_lines(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")
