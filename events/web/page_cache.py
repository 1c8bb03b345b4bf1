"""Public pages kept rendered in memory, per process, as long as the site's data is the same.

Why: the catalogue of 500 workshops takes half a second to render, the API list and the
calendar feed a good part of that, while what they show changes a few times a day. So
whole answers (HTML, JSON, .ics) are kept and served again until the data changes.

How fresh (the documented window):

* Every entry carries the data version it was built under: the fingerprint of
  ``services.site_version`` (workshops, programme, registrations, practice examples).
  A process reads that version at most every ``PAGE_CACHE_SECONDS`` seconds (one
  statement; the requests in between cost no database round trip), and at once when a
  workshop's time changes what pages show (registration opens or closes, a workshop
  starts or ends). A change made anywhere (in any process, on any server using the same
  database) therefore shows after at most ``PAGE_CACHE_SECONDS`` seconds, plus the time
  it takes to build the page again.
* Whatever the fingerprint cannot see is rebuilt after ``MAX_AGE`` seconds at the latest.
* ``PAGE_CACHE_SECONDS=0`` turns the cache off: every page is built on every request.
* Never stale: the seat counts next to the registration form (the workshop page keeps
  its rendered variants keyed by the seat counts and the registration state, which it
  reads on every request with one indexed query), and everything personal (the personal
  page, the personal feed and the result page are never cached).

What an entry depends on, and so its key: scheme, host, path and query string, and the
language (cookie ``sprache``; on the API also Accept-Language). Never from the cache nor
into it: requests other than GET/HEAD; a logged-in organiser or a visitor with a flash
message waiting (their session says so); answers other than 200, answers that set a
cookie or consumed a flash message. A page with a form is kept without its CSRF token,
which is filled in per request (so the visitor's session gets its token as before);
pages without a form neither read nor write the session when they come from the cache.

Answers from the cache carry an ETag (the feed's own, else a digest of the body) and get
304 when the client has them; bodies of ``compression.MIN_SIZE`` and more are kept
gzip-compressed as well and sent so to clients that accept it.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import Flask, Response, current_app, g, request, session
from flask_wtf.csrf import generate_csrf

from events.models import utcnow
from events.services import site_version
from events.web import compression, language

#: Seconds after which an entry is rebuilt whatever the data version says.
MAX_AGE = 300.0
#: Session keys that make a visitor's pages their own: a flash message waits, an organiser.
PERSONAL_SESSION_KEYS = ("_flashes", "_user_id")
#: Headers of the built answer not kept in an entry (set per answer, or meaningless).
DROPPED_HEADERS = frozenset({"content-length", "content-encoding", "etag", "set-cookie"})
#: Stands for the CSRF token in a kept page with a form (random: no page text contains it).
CSRF_MARK = f"csrf-{secrets.token_hex(16)}".encode()
EXTENSION = "page_cache"


@dataclass(frozen=True)
class Entry:
    version: tuple
    built: float
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    gzipped: bytes | None
    etag: str | None  # without quotes; None for a page with a form (its token differs)
    last_modified: datetime | None
    has_form: bool


class PageCache:
    """The entries of one app in one process, and the data version they are checked against.

    ``clock`` (monotonic seconds) can be replaced in tests.
    """

    def __init__(self, seconds: float, capacity: int, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.capacity = capacity
        self.clock = clock
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._values: dict[Hashable, tuple[tuple, object]] = {}
        self._lock = threading.Lock()
        self._builders: dict[Hashable, threading.Lock] = {}
        self._refreshing = threading.Lock()
        self._version: tuple | None = None
        self._checked = float("-inf")
        self._next_change: datetime | None = None

    # --- the data version ----------------------------------------------------------------

    def version(self) -> tuple:
        """The data version, read from the database when older than ``seconds`` or when a
        time-driven change has come; otherwise the one in memory."""
        if (self._version is None or self.clock() - self._checked >= self.seconds
                or (self._next_change is not None and utcnow() >= self._next_change)):
            self._refresh()
        return self._version

    def _refresh(self) -> None:
        # One thread reads; the others go on with the version they have (if any).
        if not self._refreshing.acquire(blocking=self._version is None):
            return
        try:
            checked = self.clock()
            current = site_version.read()
            self._version = (current.fingerprint, current.next_change)
            self._next_change = current.next_change
            self._checked = checked
        finally:
            self._refreshing.release()

    def invalidate(self) -> None:
        """Forget every entry and read the version again at the next request."""
        with self._lock:
            self._entries.clear()
            self._values.clear()
            self._checked = float("-inf")

    # --- entries -------------------------------------------------------------------------

    def get(self, key: Hashable) -> Entry | None:
        version = self.version()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.version != version or self.clock() - entry.built >= MAX_AGE:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, entry: Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def get_or_build(self, key: Hashable, build: Callable[[], tuple[Response, Entry | None]]
                     ) -> tuple[Response | None, Entry | None]:
        """The entry, built by one thread at a time per key (the others wait for it)."""
        entry = self.get(key)
        if entry is not None:
            return None, entry
        with self._lock:
            builder = self._builders.setdefault(key, threading.Lock())
        try:
            with builder:
                entry = self.get(key)
                if entry is not None:
                    return None, entry
                response, entry = build()
                if entry is not None:
                    self.put(key, entry)
                return response, entry
        finally:
            with self._lock:
                self._builders.pop(key, None)

    def value(self, key: Hashable, compute: Callable[[], object]):
        """``compute()``, kept under the data version like a page (small read models)."""
        version = self.version()
        with self._lock:
            kept = self._values.get(key)
        if kept is not None and kept[0] == version:
            return kept[1]
        result = compute()
        with self._lock:
            if len(self._values) >= self.capacity:
                self._values.clear()
            self._values[key] = (version, result)
        return result

    def new_entry(self, response: Response, has_form: bool) -> Entry:
        body = response.get_data()
        if has_form:
            token = generate_csrf().encode()
            has_form = token in body
            body = body.replace(token, CSRF_MARK)
        etag = None
        if not has_form:
            etag = response.get_etag()[0] or hashlib.blake2b(body, digest_size=16).hexdigest()
        headers = [(name, value) for name, value in response.headers.items()
                   if name.lower() not in DROPPED_HEADERS]
        if response.mimetype == "text/html":
            headers.append(("Vary", "Cookie"))  # the language cookie
        gzipped = None
        if not has_form and compression.worth_compressing(response.mimetype, len(body)):
            gzipped = gzip.compress(body, compression.LEVEL, mtime=0)
            headers.append(("Vary", "Accept-Encoding"))
        return Entry(version=self.version(), built=self.clock(), status=response.status_code,
                     headers=tuple(headers), body=body, gzipped=gzipped, etag=etag,
                     last_modified=response.last_modified, has_form=has_form)


# --- the app's cache and the request ---------------------------------------------------------


def register(app: Flask) -> None:
    """A cache for the app when ``PAGE_CACHE_SECONDS`` is above 0."""
    seconds = float(app.config.get("PAGE_CACHE_SECONDS", 0) or 0)
    if seconds > 0:
        app.extensions[EXTENSION] = PageCache(seconds, int(app.config["PAGE_CACHE_ENTRIES"]))


def cache_of(app: Flask) -> PageCache | None:
    return app.extensions.get(EXTENSION)


def _shareable_request() -> bool:
    """GET/HEAD by a visitor whose session holds nothing personal (none at all: no cookie)."""
    if request.method not in ("GET", "HEAD"):
        return False
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return True
    return not any(name in session for name in PERSONAL_SESSION_KEYS)


def active() -> PageCache | None:
    """The app's cache, if it is on and this request may be answered from it."""
    cache = current_app.extensions.get(EXTENSION)
    if cache is None or not _shareable_request():
        return None
    return cache


def _request_key() -> tuple:
    return (request.scheme, request.host, request.root_path, request.path,
            request.query_string, language.select_locale() or "")


def building() -> bool:
    """True while a view runs to fill the cache: it then builds the full answer (a feed
    answers 200 with the calendar even to a conditional GET; the cache does the 304)."""
    return g.get("_page_cache_building", False)


def _flashes_consumed() -> bool:
    from flask.globals import request_ctx

    return bool(getattr(request_ctx, "flashes", None))


def _build(cache: PageCache, view: Callable[[], object], has_form: bool
           ) -> tuple[Response, Entry | None]:
    g._page_cache_building = True
    try:
        response = current_app.make_response(view())
    finally:
        g._page_cache_building = False
    storable = (response.status_code == 200 and not response.direct_passthrough
                and not response.is_streamed and "Set-Cookie" not in response.headers
                and (has_form or not session.modified) and not _flashes_consumed())
    return response, cache.new_entry(response, has_form) if storable else None


def _client_has(entry: Entry) -> bool:
    """The conditional GET matches (If-None-Match first, else If-Modified-Since)."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(entry.etag)
    since = request.if_modified_since
    if since is not None and entry.last_modified is not None:
        return entry.last_modified.replace(microsecond=0) <= since.astimezone(timezone.utc)
    return False


def serve(entry: Entry) -> Response:
    """The kept answer, compressed when the client accepts gzip, 304 when it is current."""
    response_class = current_app.response_class
    if entry.etag is not None and _client_has(entry):
        response = response_class(status=304)
        for name, value in entry.headers:
            if name.lower() in ("cache-control", "vary", "expires", "content-location"):
                response.headers.add(name, value)
    else:
        body, encoded = entry.body, False
        if entry.has_form:
            body = body.replace(CSRF_MARK, generate_csrf().encode())
        elif entry.gzipped is not None and compression.accepts_gzip():
            body, encoded = entry.gzipped, True
        response = response_class(body, status=entry.status, headers=list(entry.headers))
        if encoded:
            response.headers["Content-Encoding"] = "gzip"
    if entry.etag is not None:
        response.set_etag(entry.etag, weak=response.headers.get("Content-Encoding") == "gzip")
        response.last_modified = entry.last_modified
    return response


def cached(view):
    """Serve the view's answer from the cache (see the module's docstring for when)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        cache = active()
        if cache is None:
            return view(*args, **kwargs)
        response, entry = cache.get_or_build(
            _request_key(), lambda: _build(cache, lambda: view(*args, **kwargs), False))
        return serve(entry) if entry is not None else response

    return wrapper


def form_page(live: Hashable, render: Callable[[], object]):
    """A page with a form from the cache: kept without its CSRF token and keyed by ``live``
    as well — the figures that must never be stale, read by the caller on every request
    (the page it renders must show exactly those)."""
    cache = active()
    if cache is None:
        return render()
    response, entry = cache.get_or_build(
        (*_request_key(), live), lambda: _build(cache, render, True))
    return serve(entry) if entry is not None else response


def remember(key: Hashable, compute: Callable[[], object]):
    """``compute()`` kept under the data version (``compute()`` itself when the cache is off
    for this request)."""
    cache = active()
    return compute() if cache is None else cache.value(key, compute)
