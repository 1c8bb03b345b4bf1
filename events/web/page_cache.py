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
pages without a form never write the session (no Set-Cookie), and for a visitor
without a session cookie nothing about sessions happens at all.

Answers from the cache carry an ETag (the feed's own, else a digest of the body) and get
304 when the client has them; bodies of ``compression.MIN_SIZE`` and more are kept
gzip-compressed as well and sent so to clients that accept it.

Two ways out of the cache: ``cached``/``form_page`` inside Flask (the view's decorator;
it reads the version when due and builds what is missing), and ``FastPath``, a WSGI
middleware in front of Flask that sends an answer the app already sent for the same
request inputs, byte for byte, while the version in memory is current: a kept page then
costs less than a bare Flask route.
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
from werkzeug.http import parse_cookie, parse_etags

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
#: In the WSGI environ: the key ``FastPath`` computed, and what ``serve`` sent for it.
WIRE_KEY = "events.page_cache.key"
SERVED = "events.page_cache.served"
#: Headers of trusted reverse proxies that may change an answer (links, scheme).
FORWARDED = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
             "HTTP_X_FORWARDED_PREFIX")


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
    #: Keyed by live figures too (``form_page``): FastPath, which cannot read them, never
    #: sends it.
    live: bool = False


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
        #: wire key → (entry, {variant: (status line, headers)}), for ``FastPath``
        self._wire: OrderedDict[Hashable, tuple[Entry, dict]] = OrderedDict()

    # --- the data version ----------------------------------------------------------------

    def _current(self) -> bool:
        """The version in memory may be used without reading it again."""
        return (self._version is not None and self.clock() - self._checked < self.seconds
                and (self._next_change is None or utcnow() < self._next_change))

    def version(self) -> tuple:
        """The data version, read from the database when older than ``seconds`` or when a
        time-driven change has come; otherwise the one in memory."""
        if not self._current():
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
            self._wire.clear()
            self._checked = float("-inf")

    # --- entries -------------------------------------------------------------------------

    def _valid(self, entry: Entry, version: tuple) -> bool:
        return entry.version == version and self.clock() - entry.built < MAX_AGE

    def get(self, key: Hashable) -> Entry | None:
        version = self.version()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if not self._valid(entry, version):
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

    def get_or_build(self, key: Hashable, build: Callable[[tuple], tuple[Response, Entry | None]]
                     ) -> tuple[Response | None, Entry | None]:
        """The entry, built by one thread at a time per key (the others wait for it).

        ``build(version)`` gets the version read *before* it reads any data: an entry
        is never labelled with a version newer than what it shows."""
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
                response, entry = build(self.version())
                if entry is not None:
                    self.put(key, entry)
                return response, entry
        finally:
            with self._lock:
                self._builders.pop(key, None)

    def remember_wire(self, key: Hashable, entry: Entry, variant: str, status: str,
                      headers: list[tuple[str, str]]) -> None:
        """What the app sent for ``entry`` in ``variant`` ("plain", "gzip", "304"), headers
        and all, so that ``FastPath`` can send the same without the app."""
        with self._lock:
            kept = self._wire.get(key)
            if kept is None or kept[0] is not entry:
                kept = (entry, {})
                self._wire[key] = kept
            kept[1][variant] = (status, headers)
            self._wire.move_to_end(key)
            while len(self._wire) > self.capacity:
                self._wire.popitem(last=False)

    def wire_answer(self, key: Hashable, environ: dict) -> tuple[str, list, bytes] | None:
        """``(status line, headers, body)`` as the app sent them for this key, if the entry
        is still valid and the version need not be read again; else None (ask the app)."""
        if not self._current():
            return None
        with self._lock:
            kept = self._wire.get(key)
        if kept is None or not self._valid(kept[0], self._version):
            return None
        entry, variants = kept
        if environ.get("HTTP_IF_NONE_MATCH"):
            if parse_etags(environ["HTTP_IF_NONE_MATCH"]).contains_weak(entry.etag):
                variant = "304"
            else:
                variant = _body_variant(entry, environ.get("HTTP_ACCEPT_ENCODING", ""))
        elif environ.get("HTTP_IF_MODIFIED_SINCE"):
            return None  # rare: the app compares the dates
        else:
            variant = _body_variant(entry, environ.get("HTTP_ACCEPT_ENCODING", ""))
        if variant not in variants:
            return None
        status, headers = variants[variant]
        body = {"304": b"", "gzip": entry.gzipped, "plain": entry.body}[variant]
        return status, headers, body

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

    def new_entry(self, response: Response, version: tuple, has_form: bool) -> Entry:
        body = response.get_data()
        live = has_form
        if has_form:
            # the token flask-wtf made while the page was rendered (none: no form on it)
            token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
            has_form = bool(token) and token.encode() in body
            if has_form:
                body = body.replace(token.encode(), CSRF_MARK)
        etag = None
        if not has_form:
            etag = response.get_etag()[0] or hashlib.blake2b(body, digest_size=16).hexdigest()
        headers = [(name, value) for name, value in response.headers.items()
                   if name.lower() not in DROPPED_HEADERS]
        vary = ["Cookie"] if response.mimetype == "text/html" else []  # the language cookie
        gzipped = None
        if not has_form and compression.worth_compressing(response.mimetype, len(body)):
            gzipped = gzip.compress(body, compression.LEVEL, mtime=0)
            vary.append("Accept-Encoding")
        if vary:
            headers.append(("Vary", ", ".join(vary)))
        return Entry(version=version, built=self.clock(), status=response.status_code,
                     headers=tuple(headers), body=body, gzipped=gzipped, etag=etag,
                     last_modified=response.last_modified, has_form=has_form, live=live)


# --- the app's cache and the request ---------------------------------------------------------


def register(app: Flask) -> None:
    """A cache for the app when ``PAGE_CACHE_SECONDS`` is above 0."""
    seconds = float(app.config.get("PAGE_CACHE_SECONDS", 0) or 0)
    if seconds > 0:
        cache = PageCache(seconds, int(app.config["PAGE_CACHE_ENTRIES"]))
        app.extensions[EXTENSION] = cache
        app.wsgi_app = FastPath(app, cache)


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


def _build(cache: PageCache, version: tuple, view: Callable[[], object], has_form: bool
           ) -> tuple[Response, Entry | None]:
    g._page_cache_building = True
    try:
        response = current_app.make_response(view())
    finally:
        g._page_cache_building = False
    storable = (response.status_code == 200 and not response.direct_passthrough
                and not response.is_streamed and "Set-Cookie" not in response.headers
                and (has_form or not session.modified) and not _flashes_consumed())
    return response, cache.new_entry(response, version, has_form) if storable else None


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
    variant = "plain"
    if entry.etag is not None and _client_has(entry):
        variant = "304"
        response = response_class(status=304)
        for name, value in entry.headers:
            if name.lower() in ("cache-control", "vary", "expires", "content-location"):
                response.headers.add(name, value)
    else:
        body, encoded = entry.body, False
        if entry.has_form:
            body = body.replace(CSRF_MARK, generate_csrf().encode())
        elif entry.gzipped is not None and compression.accepts_gzip():
            body, encoded, variant = entry.gzipped, True, "gzip"
        response = response_class(body, status=entry.status, headers=list(entry.headers))
        if encoded:
            response.headers["Content-Encoding"] = "gzip"
    if entry.etag is not None:
        response.set_etag(entry.etag, weak=response.headers.get("Content-Encoding") == "gzip")
        response.last_modified = entry.last_modified
    if not entry.live and WIRE_KEY in request.environ:
        request.environ[SERVED] = (entry, variant)  # FastPath keeps what goes out
    return response


def _body_variant(entry: Entry, accept_encoding: str) -> str:
    if entry.has_form:
        return "form"  # never sent by FastPath: the token is the visitor's own
    if entry.gzipped is not None and compression.accepts_gzip(accept_encoding):
        return "gzip"
    return "plain"


class FastPath:
    """WSGI middleware in front of the app: a kept answer that the app already sent once
    goes out again without entering Flask — same status, same headers (security headers
    and all), same body — as long as the data version in memory is current. Everything
    else (a session with a flash message or an organiser, a page with a form, another
    method, a stale version, a variant not sent yet) goes to the app, which refreshes
    what is kept here. Visitors with and without a session are kept apart.

    The key holds every input the app's answer may depend on: scheme, host, forwarded
    headers, path, query string, the language cookie's raw value and the raw
    Accept-Language; the variant (plain, gzip, 304) follows Accept-Encoding and
    If-None-Match as ``serve`` decides them.
    """

    def __init__(self, app: Flask, cache: PageCache):
        self.app = app
        self.wsgi_app = app.wsgi_app
        self.cache = cache
        self.session_cookie = app.config["SESSION_COOKIE_NAME"]

    def _personal(self, cookie: str, environ: dict) -> bool:
        """The session holds a flash message or an organiser (as ``_shareable_request``
        reads it); a cookie that does not verify is an empty session, as for Flask. Read
        once: Flask's session takes what is read here (``session_cookie``)."""
        data = self.app.session_interface.read(self.app, cookie, environ)
        return not isinstance(data, dict) or any(name in data for name in
                                                  PERSONAL_SESSION_KEYS)

    def key(self, environ: dict) -> tuple | None:
        chosen, has_session = "", False
        cookies = environ.get("HTTP_COOKIE")
        if cookies:
            jar = parse_cookie(cookies)
            if self.session_cookie in jar:
                if self._personal(jar[self.session_cookie], environ):
                    return None  # flash messages, organisers: the app decides
                has_session = True  # its answers are kept apart (Vary: Cookie and all)
            chosen = jar.get(language.COOKIE, "")
        return (has_session, environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"),
                environ.get("SERVER_NAME"), environ.get("SERVER_PORT"),
                environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""),
                environ.get("QUERY_STRING", ""), chosen, environ.get("HTTP_ACCEPT_LANGUAGE", ""),
                *(environ.get(name, "") for name in FORWARDED))

    def __call__(self, environ: dict, start_response):
        method = environ.get("REQUEST_METHOD")
        key = self.key(environ) if method in ("GET", "HEAD") else None
        if key is None:
            return self.wsgi_app(environ, start_response)
        answer = self.cache.wire_answer(key, environ)
        if answer is not None:
            status, headers, body = answer
            start_response(status, list(headers))
            return [b""] if method == "HEAD" else [body]
        environ[WIRE_KEY] = key
        sent: dict = {}

        def capture(status, headers, exc_info=None):
            sent["status"], sent["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, capture)
        served = environ.get(SERVED)
        if (served is not None and "status" in sent
                and not any(name.lower() == "set-cookie" for name, _ in sent["headers"])):
            entry, variant = served
            self.cache.remember_wire(key, entry, variant, sent["status"], list(sent["headers"]))
        return result


def cached(view):
    """Serve the view's answer from the cache (see the module's docstring for when)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        cache = active()
        if cache is None:
            return view(*args, **kwargs)
        response, entry = cache.get_or_build(
            _request_key(),
            lambda version: _build(cache, version, lambda: view(*args, **kwargs), False))
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
        (*_request_key(), live), lambda version: _build(cache, version, render, True))
    return serve(entry) if entry is not None else response


def remember(key: Hashable, compute: Callable[[], object]):
    """``compute()`` kept under the data version (``compute()`` itself when the cache is off
    for this request)."""
    cache = active()
    return compute() if cache is None else cache.value(key, compute)
