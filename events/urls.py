"""The site's own address in absolute links: one place decides which host a link names.

Floor 1 (next to ``config``): every floor may ask it, and it imports nothing of ours
but the default address.

* ``BASE_URL`` set: every absolute link — pages, API, OpenAPI ``servers``, feeds,
  e-mails, invitations, certificates — uses it.
* ``BASE_URL`` not set, during a request: a page links to the address it was requested
  on (``request.url_root``: ``host_url`` plus the prefix the app is mounted under, if
  any; behind ``TRUSTED_PROXIES`` reverse proxies ProxyFix has already put the client's
  ``X-Forwarded-Host``/``-Proto`` there). A server started on another port, or reached
  under another name, shows links that work.
* ``BASE_URL`` not set, a link that leaves the request (``base_url(mail=True)``: e-mails,
  the ``.ics`` in them, certificate PDFs): the Host header is chosen by whoever sends the
  request, so an attacker could register a victim's address with ``Host: evil.example``
  and the victim's mail would carry the personal link to evil.example. Such links use the
  request's host only when it is trusted — a loopback name (``localhost``, ``127.0.0.1``,
  ``[::1]``, any port: a link there leads nowhere but the reader's own machine) or one in
  ``ALLOWED_HOSTS`` — and otherwise the default ``DEFAULT_BASE_URL``. Pages may reflect
  any host: only the requester sees them.
* Outside a request (worker, CLI) without ``BASE_URL``: ``DEFAULT_BASE_URL``; the worker
  logs a warning at its start (``warn_if_unset``).

Identifiers that must never change with the address (iCalendar UIDs, Message-IDs, Atom
ids) take ``stable_host()``: the host of ``BASE_URL`` or of the default, never the
request's. See SECURITY.md, "Adresse in Links".
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request

from events.config import DEFAULT_BASE_URL

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def configured_base_url() -> str | None:
    """``BASE_URL`` without its trailing slash, or None when it is not set."""
    value = current_app.config.get("BASE_URL")
    return value.rstrip("/") if value else None


def base_url(*, mail: bool = False) -> str:
    """The scheme and host (no trailing slash) to put in front of an absolute path.

    ``mail=True`` for links that leave the request (e-mails, their attachments, PDFs):
    then an untrusted request host is never used (see the module docstring).
    """
    configured = configured_base_url()
    if configured:
        return configured
    if has_request_context() and (not mail or host_is_trusted(request.host)):
        return request.url_root.rstrip("/")  # host_url plus a SCRIPT_NAME prefix, if any
    return DEFAULT_BASE_URL


def host_is_trusted(host: str) -> bool:
    """Loopback, or named in ``ALLOWED_HOSTS`` (``name`` for any port, ``name:port``)."""
    host = (host or "").lower()
    name = urlsplit(f"//{host}").hostname or ""
    if name in LOOPBACK_HOSTS:
        return True
    allowed = current_app.config.get("ALLOWED_HOSTS") or ()
    return host in allowed or name in allowed


def stable_host() -> str:
    """The host for identifiers that outlive a request: never taken from the Host header."""
    return urlsplit(configured_base_url() or DEFAULT_BASE_URL).hostname or "localhost"


def warn_if_unset(app) -> None:
    """Called once at worker start: without BASE_URL, mail links name the default."""
    if not app.config.get("BASE_URL"):
        log.warning("BASE_URL is not set: links in e-mails sent by this worker use %s. "
                    "Set BASE_URL to the public address.", DEFAULT_BASE_URL)
