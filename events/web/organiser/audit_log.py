"""Protokoll: the audit log, newest first, filtered and paginated. Read only: there is
no route that edits or deletes an entry."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from events.services import audit_labels, audit_queries
from events.web.organiser.forms.audit import AuditFilterForm

bp = Blueprint("audit_log", __name__, url_prefix="/protokoll")
FILTERS = ("actor", "action", "object_type", "object_id", "date_from", "date_to")


def _action_choices(codes: list[str]) -> list[SelectChoice]:
    """One option group per code prefix: "all of the group" first, then each action
    by its German name (the code in brackets for those who know it)."""
    groups: dict[str, list[str]] = {}
    for code in codes:
        if not code.endswith("."):
            groups.setdefault(code.split(".")[0], []).append(code)
    choices = []
    for prefix in sorted(groups, key=audit_labels.group_order):
        group = audit_labels.group_label(prefix)
        choices.append(SelectChoice(f"{prefix}.", _("Alle: %(group)s", group=group),
                                    optgroup=group))
        choices += [SelectChoice(code, f"{audit_labels.action_label(code)} ({code})",
                                 optgroup=group)
                    for code in sorted(groups[prefix], key=audit_labels.action_label)]
    return choices


def _form(args, filters: audit_queries.Filters) -> AuditFilterForm:
    organisers, types, actions = audit_queries.choices()
    form = AuditFilterForm(formdata=args)
    form.actor.choices = [SelectChoice("", _("Alle")), SelectChoice(audit_queries.SYSTEM,
                                                                     _("System / Befehlszeile"))]
    form.actor.choices += [SelectChoice(str(o.id), f"{o.name} ({o.email})") for o in organisers]
    form.action.choices = [SelectChoice("", _("Alle"))] + _action_choices(actions)
    form.object_type.choices = [SelectChoice("", _("Alle"))] + sorted(
        (SelectChoice(t, audit_labels.object_label(t)) for t in types),
        key=lambda choice: choice.label)
    for name in ("action", "object_type"):  # a value typed into the address stays visible
        value = getattr(filters, name)
        field = form[name]
        if value and value not in {choice.value for choice in field.choices}:
            field.choices.insert(1, SelectChoice(value, value))
    return form


def _page_number() -> int:
    value = request.args.get("seite", "1")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 7 else 1


@bp.get("/")
def index():
    filters, errors = audit_queries.parse(request.args.to_dict())
    form = _form(request.args, filters)
    if errors:
        form.show_errors(errors)
    page = audit_queries.search(filters, _page_number())
    query = {k: v for k, v in request.args.items() if k in FILTERS and v}
    return render_template("organiser/audit_log/index.html", form=form, page=page,
                           query=query, action_label=audit_labels.action_label,
                           object_label=audit_labels.object_label)
