"""Dates and times for German readers, in the programme's time zone. Floor 1.

``Di., 12. Januar 2027, 10:00 Uhr`` and ``Di., 12. Januar 2027, 10:00–16:00 Uhr``.
Called from Python (services, PDFs, exports): the app config's locale. Inside
``written_in`` (which ``locales.in_language`` enters for every message to a person): that
language. Through the Jinja filters (``for_page``): the page's language, so English pages
read ``Tue 12 January 2027, 10:00``; in a mail, the page's language is the mail's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import wraps
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as _babel_format
from flask import current_app, has_app_context, has_request_context

DATE = "EEE, d. MMMM y"
TIME = "HH:mm"
#: Other languages than German: their date pattern, the word after a time, "bis".
OTHER = {"en": ("EEE d MMMM y", "", "to")}
#: Set by ``written_in`` (a message's language, or the page's while a filter formats).
_LOCALE: ContextVar[str | None] = ContextVar("written_in", default=None)


def _zone() -> ZoneInfo:
    name = current_app.config["APP_TIMEZONE"] if has_app_context() else "Europe/Berlin"
    return ZoneInfo(name)


def _locale() -> str:
    chosen = _LOCALE.get()
    if chosen:
        return chosen
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "de") if has_app_context() else "de"


@contextmanager
def written_in(locale: str | None) -> Iterator[None]:
    """Dates formatted inside are written in ``locale`` (None: the config's locale)."""
    token = _LOCALE.set(locale)
    try:
        yield
    finally:
        _LOCALE.reset(token)


def for_page(function):
    """``function`` as a Jinja filter: in a request it formats in the page's language."""
    @wraps(function)
    def page_filter(*args, **kwargs):
        if not has_request_context():
            return function(*args, **kwargs)
        from flask_babel import get_locale

        chosen = get_locale()
        with written_in(str(chosen) if chosen else None):
            return function(*args, **kwargs)
    return page_filter


def _words() -> tuple[str, str, str]:
    """(date pattern, " Uhr" or nothing, "bis") for the current language."""
    pattern, after, until = OTHER.get(_locale()[:2], (DATE, "Uhr", "bis"))
    return pattern, f" {after}" if after else "", until


def local(value: datetime) -> datetime:
    """The aware datetime in the programme's time zone."""
    return value.astimezone(_zone())


def format_date(value: datetime) -> str:
    return _babel_format(local(value), _words()[0], locale=_locale())


def format_datetime(value: datetime) -> str:
    """``Di., 12. Januar 2027, 10:00 Uhr``"""
    after = _words()[1]
    return f"{format_date(value)}, {_babel_format(local(value), TIME, locale=_locale())}{after}"


def format_range(start: datetime, end: datetime) -> str:
    """``Di., 12. Januar 2027, 10:00–16:00 Uhr``; across days both dates are named."""
    start_l, end_l = local(start), local(end)
    if start_l.date() == end_l.date():
        return (f"{format_date(start)}, {_babel_format(start_l, TIME, locale=_locale())}–"
                f"{_babel_format(end_l, TIME, locale=_locale())}{_words()[1]}")
    return f"{format_datetime(start)} {_words()[2]} {format_datetime(end)}"


def isoformat_local(value: datetime) -> str:
    """ISO 8601 with the local offset, e.g. ``2027-01-12T10:00:00+01:00``."""
    return local(value).isoformat()
