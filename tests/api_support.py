"""Request bodies for the registration API, shared by test_api.py and test_openapi.py.

``INVALID_BODIES`` lists bodies the API must answer with 422, each with the
fields it must name and a piece of each German message; test_openapi.py checks
that the documented request schema rejects the same bodies.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from events.models import utcnow

VALID = {
    "name": "Erika Mustermann",
    "email": "erika.mustermann@kommune.example",
    "municipality": "Stadt Köln",
    "role": "Integrationsbüro",
    "consent": True,
}


def body(n: int | None = None, **fields) -> dict:
    """A valid body; ``n`` makes the e-mail address unique; ``None`` values drop a field."""
    data = {**VALID, **fields}
    if n is not None and "email" not in fields:
        data["email"] = f"person{n}@kommune.example"
    return {key: value for key, value in data.items() if value is not None}


def without(*names: str) -> dict:
    return {key: value for key, value in VALID.items() if key not in names}


INVALID_BODIES = [
    pytest.param({}, {"name": "Namen", "email": "E-Mail-Adresse", "municipality": "Kommune",
                      "consent": "Verarbeitung"}, id="empty-object"),
    pytest.param(without("name"), {"name": "Ihren Namen"}, id="missing-name"),
    pytest.param(body(name="   "), {"name": "Ihren Namen"}, id="blank-name"),
    pytest.param(without("email"), {"email": "E-Mail-Adresse an"}, id="missing-email"),
    pytest.param(without("municipality"), {"municipality": "Kommune oder Ihren Landkreis"},
                 id="missing-municipality"),
    pytest.param(without("consent"), {"consent": "stimmen Sie der Verarbeitung"},
                 id="missing-consent"),
    pytest.param(body(consent=False), {"consent": "keine Anmeldung möglich"},
                 id="consent-false"),
    pytest.param(body(consent="true"), {"consent": "true oder false"}, id="consent-string"),
    pytest.param(body(consent=1), {"consent": "true oder false"}, id="consent-number"),
    pytest.param(body(name=42), {"name": "Erwartet wird ein Text"}, id="name-number"),
    pytest.param(body(email=["a@kommune.example"]), {"email": "Erwartet wird ein Text"},
                 id="email-list"),
    pytest.param(body(role={"x": 1}), {"role": "Erwartet wird ein Text"}, id="role-object"),
    pytest.param(body(email="kein-at-zeichen"), {"email": "gültige E-Mail-Adresse"},
                 id="email-without-at"),
    pytest.param(body(email="erika@@kommune.example"), {"email": "gültige E-Mail-Adresse"},
                 id="email-double-at"),
    pytest.param(body(telefon="0221 123"), {"telefon": "unbekannt"}, id="unknown-field"),
    pytest.param(body(name="x" * 201), {"name": "höchstens 200 Zeichen"}, id="name-too-long"),
    pytest.param(body(accessibility_needs="Rollstuhlgerechter Zugang"),
                 {"accessibility_consent": "ausdrücklichen Einwilligung"},
                 id="accessibility-without-its-consent"),
    pytest.param({"name": 7, "consent": True},
                 {"name": "Erwartet wird ein Text", "email": "E-Mail-Adresse an",
                  "municipality": "Kommune"}, id="type-error-and-missing-fields-together"),
    pytest.param([VALID], {"body": "JSON-Objekt"}, id="array-not-object"),
    pytest.param("Erika", {"body": "JSON-Objekt"}, id="string-not-object"),
]


def upcoming(days: int = 14):
    """A start time in the real future: the API registers at the real 'now'."""
    return utcnow().replace(microsecond=0) + timedelta(days=days)
