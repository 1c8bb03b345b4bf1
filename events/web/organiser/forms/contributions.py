"""Forms of the moderation pages (one per use case); the checks are in the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField

from events.web.forms import ErrorsMixin
from events.web.forms_contributions import CheckboxesField, ContributionFields


class ModerationEditForm(ContributionFields):
    """The organiser edits a contribution's fields, themes and workshops."""


class ReturnForm(ErrorsMixin, FlaskForm):
    """Send back to the submitter with a comment (mailed with the private link)."""

    comment = TextAreaField(_l("Rückfrage an die Einreichenden"))


class FeatureForm(ErrorsMixin, FlaskForm):
    """Show on the home page, or stop showing it."""

    featured = BooleanField(_l("Auf der Startseite zeigen"))


class WorkshopsForm(ErrorsMixin, FlaskForm):
    """Link the contribution to the workshops where it was presented."""

    workshops = CheckboxesField(_l("Vorgestellt in diesen Workshops"))
