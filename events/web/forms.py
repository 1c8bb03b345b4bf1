"""One FlaskForm per use case."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ActionForm(FlaskForm):
    """An empty form for POST-only buttons (confirm, cancel): it carries the CSRF token."""
