"""Themes of the programme: create, rename, order — each change audited.

A theme's slug is made once from its name and then kept: it is part of public
addresses (``/themes/<slug>``, its calendar feed). Errors: ``InvalidInput``
(``name``, ``description``), ``NotFound``.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import func, select

from events.extensions import db
from events.models import Organiser, Programme, Theme, Workshop
from events.services import audit, text
from events.services.errors import InvalidInput, NotFound

FIELDS = ("name", "slug", "description", "position")


def ordered() -> list[Theme]:
    return list(db.session.scalars(select(Theme).order_by(Theme.position, Theme.name,
                                                          Theme.id)))


def workshop_counts() -> dict[int, int]:
    return dict(db.session.execute(
        select(Workshop.theme_id, func.count(Workshop.id)).group_by(Workshop.theme_id)).all())


def _checked(name: str, description: str, exclude_id: int | None = None) -> tuple[str, str]:
    name, description = text.line(name), text.text(description)
    errors = {}
    if not name:
        errors["name"] = _("Bitte geben Sie einen Namen an.")
    elif len(name) > 120:
        errors["name"] = _("Bitte höchstens %(num)d Zeichen.", num=120)
    elif db.session.scalar(select(Theme.id).where(func.lower(Theme.name) == name.lower(),
                                                  Theme.id != (exclude_id or 0))):
        errors["name"] = _("Ein Thema mit diesem Namen gibt es schon.")
    if len(description) > 5000:
        errors["description"] = _("Bitte höchstens %(num)d Zeichen.", num=5000)
    if errors:
        raise InvalidInput(errors)
    return name, description


def _unique_slug(name: str) -> str:
    base = text.slugify(name, 74, fallback="thema")
    taken = set(db.session.scalars(select(Theme.slug).where(Theme.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create(actor: Organiser | None, name: str, description: str = "") -> Theme:
    """A new theme at the end of the order."""
    name, description = _checked(name, description)
    last = db.session.scalar(select(func.max(Theme.position)))
    theme = Theme(name=name, description=description, slug=_unique_slug(name),
                  position=(last if last is not None else -1) + 1)
    db.session.add(theme)
    db.session.flush()
    audit.record(actor, "theme.create", "theme", theme.id, f"Thema „{name}“ angelegt",
                 after=audit.snapshot(theme, FIELDS))
    return theme


def update(actor: Organiser | None, theme_id: int, name: str, description: str) -> Theme:
    """Rename or describe a theme (the slug stays, so public links keep working)."""
    theme = get(theme_id)
    name, description = _checked(name, description, exclude_id=theme.id)
    before = audit.snapshot(theme, FIELDS)
    theme.name, theme.description = name, description
    old, new = audit.changed(before, audit.snapshot(theme, FIELDS))
    if new:
        programme_bump()
        audit.record(actor, "theme.update", "theme", theme.id, f"Thema „{name}“ geändert",
                     before=old, after=new)
    return theme


def move(actor: Organiser | None, theme_id: int, direction: str) -> Theme:
    """Move a theme one place ``up`` or ``down`` in the order (no-op at either end)."""
    if direction not in ("up", "down"):
        raise InvalidInput({"direction": _("Unbekannte Richtung.")})
    theme = get(theme_id)
    themes = ordered()
    before = [t.id for t in themes]
    index = before.index(theme.id)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(themes):
        themes[index], themes[other] = themes[other], themes[index]
    for position, item in enumerate(themes):
        item.position = position
    after = [t.id for t in themes]
    if after != before:
        programme_bump()
        audit.record(actor, "theme.move", "theme", theme.id,
                     f"Thema „{theme.name}“ {'nach oben' if direction == 'up' else 'nach unten'}"
                     " verschoben", before={"order": before}, after={"order": after})
    return theme


def get(theme_id: int) -> Theme:
    theme = db.session.get(Theme, theme_id) if 0 < theme_id < 2**31 else None
    if theme is None:
        raise NotFound(_("Dieses Thema gibt es nicht."))
    return theme


def programme_bump() -> None:
    """Names and order of themes show in the calendar feeds: new ETags."""
    db.session.execute(sa.update(Programme).values(feed_version=Programme.feed_version + 1))

