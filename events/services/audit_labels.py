"""German names for the codes the audit log stores: actions, their groups, object types.

The codes stay in the database as they are (``workshop.update``); the page shows these
names and the code in small print. A code missing here (an older or a new one) is shown
as it is: ``action_label`` and friends never fail.

Keep ``ACTIONS`` complete: ``grep -rn 'audit.record(' events`` lists what is recorded
(tests/test_organiser_audit_log.py checks that every literal code has a name).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: Every action code recorded by the services and views.
ACTIONS = {
    "workshop.create": _l("Workshop angelegt"),
    "workshop.update": _l("Workshop geändert"),
    "workshop.duplicate": _l("Workshop kopiert"),
    "workshop.publish": _l("Workshop veröffentlicht"),
    "workshop.unpublish": _l("Workshop zurückgezogen (Entwurf)"),
    "workshop.cancel": _l("Workshop abgesagt"),
    "workshop.capacity": _l("Kapazität geändert"),
    "theme.create": _l("Thema angelegt"),
    "theme.update": _l("Thema geändert"),
    "theme.move": _l("Thema verschoben"),
    "registration.add": _l("Anmeldung von Hand hinzugefügt"),
    "registration.confirm": _l("Anmeldung bestätigt"),
    "registration.cancel": _l("Anmeldung storniert"),
    "registration.seat": _l("Platz von der Warteliste vergeben"),
    "registration.move": _l("Anmeldung in anderen Workshop verschoben"),
    "registration.resend_link": _l("Bestätigungslink erneut gesendet"),
    "registration.resend_invitation": _l("Einladung erneut gesendet"),
    "registration.check_in": _l("Check-in"),
    "registration.check_in_undo": _l("Check-in zurückgenommen"),
    "attendees.export": _l("Teilnehmendenliste exportiert"),
    "message.send": _l("Nachricht gesendet"),
    "certificate.issue": _l("Teilnahmebescheinigung ausgestellt"),
    "certificate.mail_all": _l("Teilnahmebescheinigungen per E-Mail gesendet"),
    "contribution.publish": _l("Praxisbeispiel veröffentlicht"),
    "contribution.return": _l("Praxisbeispiel zurückgegeben"),
    "contribution.unpublish": _l("Veröffentlichung zurückgenommen"),
    "contribution.feature": _l("Praxisbeispiel auf die Startseite"),
    "contribution.unfeature": _l("Praxisbeispiel von der Startseite genommen"),
    "contribution.update": _l("Praxisbeispiel bearbeitet"),
    "contribution.workshops": _l("Workshops verknüpft"),
    "contribution.revision.accept": _l("Änderung übernommen"),
    "contribution.revision.reject": _l("Änderung abgelehnt"),
    "contribution.export": _l("Praxisbeispiele exportiert"),
    "contribution.erase": _l("Praxisbeispiel auf Wunsch gelöscht"),
    "contribution.anonymise": _l("Praxisbeispiel anonymisiert"),
    "participant.export": _l("Auskunft erteilt (Datenexport)"),
    "participant.erase": _l("Personenbezogene Daten gelöscht"),
    "programme.create": _l("Programm angelegt"),
    "programme.update": _l("Programmeinstellungen geändert"),
    "organiser.login": _l("Angemeldet"),
    "organiser.password": _l("Passwort gesetzt"),
    "organiser.create": _l("Konto angelegt (eingeladen)"),
    "organiser.activate": _l("Konto aktiviert"),
    "organiser.deactivate": _l("Konto deaktiviert"),
    "organiser.role": _l("Rolle geändert"),
    "organiser.reinvite": _l("Einladung erneut gesendet"),
    "organiser.reset": _l("Passwort zurückgesetzt"),
    "organiser.reset_requested": _l("Passwort-Link angefordert"),
    "organiser.reset_requested_unknown": _l("Passwort-Link für unbekannte Adresse angefordert"),
    "organiser.login_failed": _l("Anmeldung fehlgeschlagen"),
    "organiser.second_factor_enable": _l("Zweiter Faktor eingerichtet"),
    "organiser.second_factor_disable": _l("Zweiter Faktor abgeschaltet"),
    "organiser.second_factor_reset": _l("Zweiter Faktor zurückgesetzt"),
    "organiser.second_factor_failed": _l("Falscher Code (zweiter Faktor)"),
    "organiser.recovery_code_used": _l("Wiederherstellungscode benutzt"),
    "organiser.recovery_codes_renewed": _l("Neue Wiederherstellungscodes"),
    "security.second_factor_required": _l("Pflicht zum zweiten Faktor geändert"),
    "api_token.create": _l("API-Token angelegt"),
    "api_token.revoke": _l("API-Token widerrufen"),
}

#: The groups of the action filter (the code's first part) in the order offered.
GROUPS = {
    "workshop": _l("Workshops"),
    "theme": _l("Themen"),
    "registration": _l("Anmeldungen"),
    "attendees": _l("Teilnehmendenlisten"),
    "message": _l("Nachrichten"),
    "certificate": _l("Teilnahmebescheinigungen"),
    "contribution": _l("Praxisbeispiele"),
    "participant": _l("Personen (Datenschutz)"),
    "programme": _l("Programm"),
    "organiser": _l("Konten"),
    "api_token": _l("API-Tokens"),
    "security": _l("Sicherheit"),
}

#: What an entry is about (``object_type``).
OBJECTS = {
    "workshop": _l("Workshop"),
    "theme": _l("Thema"),
    "registration": _l("Anmeldung"),
    "message": _l("Nachricht"),
    "certificate": _l("Teilnahmebescheinigung"),
    "contribution": _l("Praxisbeispiel"),
    "participant": _l("Person"),
    "programme": _l("Programm"),
    "organiser": _l("Konto"),
    "api_token": _l("API-Token"),
    "security_setting": _l("Sicherheitseinstellung"),
}


def action_label(code: str) -> str:
    """The German name of an action code; the code itself when there is none."""
    return str(ACTIONS[code]) if code in ACTIONS else code


def group_label(prefix: str) -> str:
    """The German name of an action group (``"workshop"`` or ``"workshop."``)."""
    prefix = prefix.removesuffix(".")
    return str(GROUPS[prefix]) if prefix in GROUPS else prefix


def object_label(code: str) -> str:
    """The German name of an object type; the code itself when there is none."""
    return str(OBJECTS[code]) if code in OBJECTS else code


def group_order(prefix: str) -> tuple[int, str]:
    """Sort key: known groups in the order of ``GROUPS``, unknown ones after them."""
    prefix = prefix.removesuffix(".")
    keys = list(GROUPS)
    return (keys.index(prefix) if prefix in keys else len(keys), prefix)


#: German names of stored values, per key (and per object type where a key means
#: different things: a workshop's and a registration's ``status``).
VALUES = {
    ("registration", "status"): {
        "pending": _l("reserviert"), "confirmed": _l("bestätigt"),
        "waitlisted": _l("Warteliste"), "cancelled": _l("storniert"),
        "expired": _l("verfallen")},
    ("workshop", "status"): {
        "draft": _l("Entwurf"), "published": _l("veröffentlicht"), "cancelled": _l("abgesagt")},
    ("", "state"): {
        "submitted": _l("eingereicht"), "published": _l("veröffentlicht"),
        "returned": _l("zurückgegeben"), "withdrawn": _l("zurückgezogen")},
    ("", "role"): {"admin": _l("Admin"), "organiser": _l("Organisation")},
    ("", "audience"): {
        "confirmed": _l("alle Bestätigten"), "waitlisted": _l("alle auf der Warteliste"),
        "selection": _l("ausgewählte Personen"),
        "certificates": _l("Teilnahmebescheinigungen")},
    ("", "source"): {"public": _l("öffentliches Formular"), "organiser": _l("Verwaltung")},
    ("", "revision_state"): {"rejected": _l("abgelehnt"), "accepted": _l("übernommen")},
}


def value_label(object_type: str, key: str, value: object) -> str | None:
    """The German name of a stored value (``"confirmed"`` → ``"bestätigt"``), or None."""
    names = VALUES.get((object_type, key)) or VALUES.get(("", key)) or {}
    return str(names[value]) if isinstance(value, str) and value in names else None
