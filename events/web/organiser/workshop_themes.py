"""Themes (routes of ``workshops``): list with create form, rename, move up/down.

Ordering is two POST buttons per theme (no JavaScript needed); the order is the
one the public catalogue shows.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from events.extensions import db
from events.services import themes
from events.services.errors import DomainError, InvalidInput, NotFound
from events.web.organiser.forms.workshops import MoveForm, ThemeForm


def attach(bp: Blueprint) -> None:
    """Add the theme routes to the workshops blueprint."""

    def _list(form: ThemeForm, status: int = 200):
        return render_template("organiser/workshops/themes.html", form=form,
                               themes=themes.ordered(), counts=themes.workshop_counts(),
                               move_form=MoveForm()), status

    @bp.route("/themen", methods=["GET", "POST"])
    def themes_index():
        form = ThemeForm()
        if request.method == "GET":
            return _list(form)
        if not form.validate_on_submit():
            abort(400)
        try:
            theme = themes.create(current_user, form.name.data or "", form.description.data or "")
        except InvalidInput as error:
            db.session.rollback()
            form.show_errors(error.errors)
            return _list(form, 422)
        db.session.commit()
        flash(_("Das Thema „%(name)s“ ist angelegt.", name=theme.name), "success")
        return redirect(url_for(".themes_index"), 303)

    @bp.route("/themen/<int:theme_id>", methods=["GET", "POST"])
    def theme_edit(theme_id: int):
        try:
            theme = themes.get(theme_id)
        except NotFound:
            abort(404)
        form = ThemeForm()
        if request.method == "GET":
            form.name.data, form.description.data = theme.name, theme.description
            return render_template("organiser/workshops/theme_edit.html", form=form, theme=theme)
        if not form.validate_on_submit():
            abort(400)
        try:
            themes.update(current_user, theme_id, form.name.data or "",
                          form.description.data or "")
        except InvalidInput as error:
            db.session.rollback()
            form.show_errors(error.errors)
            return render_template("organiser/workshops/theme_edit.html", form=form,
                                   theme=themes.get(theme_id)), 422
        db.session.commit()
        flash(_("Das Thema ist gespeichert."), "success")
        return redirect(url_for(".themes_index"), 303)

    @bp.post("/themen/<int:theme_id>/verschieben")
    def theme_move(theme_id: int):
        form = MoveForm()
        if not form.validate_on_submit():
            abort(400)
        try:
            themes.move(current_user, theme_id, form.direction.data or "")
        except NotFound:
            db.session.rollback()
            abort(404)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for(".themes_index"), 303)
        db.session.commit()
        return redirect(url_for(".themes_index", _anchor=f"thema-{theme_id}"), 303)
