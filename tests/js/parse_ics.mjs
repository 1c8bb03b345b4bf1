// Parse .ics files with Mozilla's ical.js (Thunderbird's parser) and print JSON.
//
//   node tests/js/parse_ics.mjs FILE [FILE ...]
//
// Prints {"FILE": {...calendar...}, ...}. Every VTIMEZONE of a file is registered
// with ICAL.TimezoneService before its events are read, so DTSTART;TZID=... is
// interpreted with the zone the file defines (without that, times float).
// A parse error of any file ends the script with exit code 1 and the message.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

function time(prop) {
  if (!prop) return null;
  const value = prop.getFirstValue();
  const tzid = prop.getParameter("tzid");
  const zone = value.zone ? value.zone.tzid : null;
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return {
    tzid_param: tzid || null,
    zone,
    is_utc: value.zone === ICAL.Timezone.utcTimezone,
    local: `${pad(value.year, 4)}-${pad(value.month)}-${pad(value.day)}T` +
      `${pad(value.hour)}:${pad(value.minute)}:${pad(value.second)}`,
    utc_offset_seconds: value.utcOffset(),
    unix: value.toUnixTime(),
  };
}

function address(prop) {
  const params = {};
  for (const name of ["cn", "rsvp", "partstat", "role", "cutype"]) {
    const v = prop.getParameter(name);
    if (v !== undefined && v !== null) params[name] = v;
  }
  return { value: prop.getFirstValue(), params };
}

function parseFile(path) {
  const text = readFileSync(path, "utf8");
  const root = new ICAL.Component(ICAL.parse(text));
  const timezones = [];
  for (const vtz of root.getAllSubcomponents("vtimezone")) {
    const tz = new ICAL.Timezone(vtz);
    ICAL.TimezoneService.register(tz);
    timezones.push({
      tzid: tz.tzid,
      standard: vtz.getAllSubcomponents("standard").map(c => ({
        rrule: c.getFirstPropertyValue("rrule")?.toString() ?? null,
        rdate: c.getAllProperties("rdate").length,
      })),
      daylight: vtz.getAllSubcomponents("daylight").map(c => ({
        rrule: c.getFirstPropertyValue("rrule")?.toString() ?? null,
        rdate: c.getAllProperties("rdate").length,
      })),
    });
  }
  const events = root.getAllSubcomponents("vevent").map(vevent => {
    const event = new ICAL.Event(vevent);
    const organizer = vevent.getFirstProperty("organizer");
    return {
      uid: event.uid,
      sequence: event.sequence,
      status: vevent.getFirstPropertyValue("status"),
      summary: event.summary,
      description: event.description,
      location: event.location,
      url: vevent.getFirstPropertyValue("url"),
      dtstamp: time(vevent.getFirstProperty("dtstamp")),
      start: time(vevent.getFirstProperty("dtstart")),
      end: time(vevent.getFirstProperty("dtend")),
      // ical.js's own reading of the event's times (uses the registered zone)
      start_unix: event.startDate.toUnixTime(),
      end_unix: event.endDate.toUnixTime(),
      organizer: organizer ? address(organizer) : null,
      attendees: vevent.getAllProperties("attendee").map(address),
    };
  });
  const prop = name => root.getFirstPropertyValue(name);
  return {
    method: prop("method"),
    prodid: prop("prodid"),
    version: prop("version"),
    name: prop("name"),
    x_wr_calname: prop("x-wr-calname"),
    refresh_interval: prop("refresh-interval")?.toString() ?? null,
    x_published_ttl: prop("x-published-ttl")?.toString() ?? null,
    timezones,
    events,
  };
}

const result = {};
for (const path of process.argv.slice(2)) {
  try {
    result[path] = parseFile(path);
  } catch (error) {
    console.error(`${path}: ${error.message}`);
    process.exit(1);
  }
}
console.log(JSON.stringify(result));
