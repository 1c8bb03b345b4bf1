"""Forms of the printable documents and certificates (``organiser.documents``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice

from events.services import pdfs
from events.web.forms import ErrorsMixin


class BadgeLayoutForm(ErrorsMixin, FlaskForm):
    """Which label sheet the badges are printed on (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    format = SelectField(_l("Format der Namensschilder"),
                         choices=[SelectChoice(key, layout.label)
                                  for key, layout in pdfs.LAYOUTS.items()],
                         default=pdfs.DEFAULT_LAYOUT)


class SendCertificatesForm(ErrorsMixin, FlaskForm):
    """"Alle Bescheinigungen per E-Mail senden"; the box is the yes to sending again."""

    again = BooleanField(_l("Ja, die Bescheinigungen noch einmal an alle senden"))
