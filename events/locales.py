"""The languages of the site and writing a text in a person's language. Floor 1.

German is the default and the fallback (``BABEL_DEFAULT_LOCALE``, from ``APP_LOCALE``);
English may be chosen. A registration and a contribution keep the language their person
chose (the page's language when registering, ``Accept-Language`` in the API), and every
message to that person is written in it: ``in_language`` wraps the rendering of subject,
text, HTML and calendar file. It is the one switch: gettext through flask-babel's
``force_locale`` (per app context, so it is safe in threads), dates through
``formatting.written_in``. Mails to organiser accounts are written in the default.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, has_app_context

from events import formatting

#: Languages a person may choose; the first one is the fallback when no app is running.
LANGUAGES = ("de", "en")


def default() -> str:
    """The site's default language (``APP_LOCALE``), if it is one of ``LANGUAGES``."""
    configured = (current_app.config.get("BABEL_DEFAULT_LOCALE") if has_app_context()
                  else None) or LANGUAGES[0]
    return configured if configured in LANGUAGES else LANGUAGES[0]


def known(code: str | None) -> str:
    """``code`` if it is a language we offer (``en``, ``en_GB`` → ``en``), else the default."""
    short = (code or "").replace("-", "_").split("_")[0].lower()
    return short if short in LANGUAGES else default()


def current() -> str:
    """The language flask-babel selected for this request (page or API), as a code."""
    from flask_babel import get_locale

    chosen = get_locale() if has_app_context() else None
    return known(str(chosen) if chosen else None)


@contextmanager
def in_language(code: str | None) -> Iterator[str]:
    """Render everything inside in ``code`` (unknown or empty: the default language)."""
    from flask_babel import force_locale

    language = known(code)
    with force_locale(language), formatting.written_in(language):
        yield language
