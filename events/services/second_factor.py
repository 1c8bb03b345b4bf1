"""The optional second factor of organiser accounts: TOTP (RFC 6238) and recovery codes.

An account enrols with a secret the page shows (QR code and text) and confirms it
with a current code; it then gets ten recovery codes, shown once and stored as
salted SHA-256 hashes, each good once. A TOTP code is good once too: the last
accepted time step is stored, so a code seen over a shoulder cannot be replayed.
Wrong codes count like wrong passwords (``LoginFailure`` per account and per client
address, ``LOGIN_MAX_FAILURES`` in ``LOGIN_THROTTLE_MINUTES``). An admin can
require a second factor for everyone (``SecuritySetting``) and reset an account's.

No ``request`` here and no commit: the view commits once (failures included).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
from datetime import datetime, timedelta

import pyotp
import segno
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from events.extensions import db
from events.models import LoginFailure, Organiser, RecoveryCode, SecuritySetting, utcnow
from events.services import audit
from events.services.accounts import HASHER, LoginThrottled
from events.services.errors import DomainError, InvalidInput, StateConflict

ISSUER = "Praxisaustausch"
RECOVERY_CODES = 10
#: Recovery code characters: lower case and digits without look-alikes (0/o, 1/l/i).
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10  # 31**10: about 50 random bits
#: Codes of the previous and the next 30 seconds count too (clocks drift).
WINDOW = 1
_DIGITS = re.compile(r"\d{6}")


class CodeRefused(DomainError):
    status = 422
    code = "code_refused"
    default_message = _l("Der Code stimmt nicht. Bitte geben Sie den aktuellen Code aus "
                         "Ihrer App ein (oder einen unbenutzten Wiederherstellungscode).")


# --- secrets, QR code, codes ---------------------------------------------------------------


def new_secret() -> str:
    """A fresh base32 secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(organiser: Organiser, secret: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=organiser.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> bytes:
    """The QR code of ``uri`` as an SVG document drawn here (attributes only, no styles)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=6, border=4, xmldecl=True,
                                    title=str(_l("QR-Code für die Authenticator-App")))
    return out.getvalue()


def grouped(secret: str) -> str:
    """The secret in groups of four characters, easier to type."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _clean(code: str) -> str:
    return re.sub(r"[\s\-]", "", code or "").lower()[:64]


def _step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose TOTP is ``code`` (within the window), else None."""
    if not _DIGITS.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def _new_recovery_codes(organiser: Organiser, now: datetime) -> list[str]:
    """Replace the account's recovery codes by ten new ones; returns them (shown once)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.organiser_id == organiser.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        code = "".join(secrets.choice(ALPHABET) for _ in range(RECOVERY_LENGTH))
        salt = secrets.token_hex(16)
        db.session.add(RecoveryCode(organiser_id=organiser.id, salt=salt,
                                    code_hash=_hash(salt, code), created_at=now))
        codes.append(f"{code[:5]}-{code[5:]}")
    return codes


def _use_recovery_code(organiser: Organiser, code: str, now: datetime) -> bool:
    """Mark the matching unused recovery code used; False when none matches."""
    if len(code) != RECOVERY_LENGTH:
        return False
    for row in db.session.scalars(select(RecoveryCode).where(
            RecoveryCode.organiser_id == organiser.id, RecoveryCode.used_at.is_(None))):
        if hmac.compare_digest(row.code_hash, _hash(row.salt, code)):
            row.used_at = now
            return True
    return False


def recovery_codes_left(organiser: Organiser) -> int:
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.organiser_id == organiser.id, RecoveryCode.used_at.is_(None))) or 0


# --- throttling ----------------------------------------------------------------------------


def _keys(organiser: Organiser, address: str) -> tuple[str, str]:
    return f"second_factor:{organiser.id}", f"address:{address}"[:120]


def _throttle(organiser: Organiser, address: str, now: datetime) -> None:
    config = current_app.config
    since = now - timedelta(minutes=config["LOGIN_THROTTLE_MINUTES"])
    account_key, address_key = _keys(organiser, address)

    def count(key: str) -> int:
        return db.session.scalar(select(func.count(LoginFailure.id)).where(
            LoginFailure.key == key, LoginFailure.at >= since))

    if (count(account_key) >= config["LOGIN_MAX_FAILURES"]
            or count(address_key) >= config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        raise LoginThrottled(str(LoginThrottled.default_message)
                             % {"minutes": config["LOGIN_THROTTLE_MINUTES"]})


def _fail(organiser: Organiser, address: str, now: datetime, what: str) -> None:
    account_key, address_key = _keys(organiser, address)
    db.session.add_all([LoginFailure(key=account_key, at=now),
                        LoginFailure(key=address_key, at=now)])
    audit.record(None, "organiser.second_factor_failed", "organiser", organiser.id,
                 f"Falscher Code ({what}) für {organiser.email}",
                 after={"address_key": address_key})


def check(organiser: Organiser, code: str, address: str, now: datetime | None = None) -> str:
    """Accept a current TOTP code or an unused recovery code of ``organiser``.

    Returns ``"totp"`` or ``"recovery"``. Raises ``LoginThrottled`` after too many
    wrong codes (checked first) and ``CodeRefused`` for a wrong, reused or malformed
    code; the failure is added to the session (the caller commits either way).
    """
    now = now or utcnow()
    _throttle(organiser, address, now)
    code = _clean(code)
    step = _step(organiser.totp_secret, code, now) if organiser.has_second_factor else None
    if step is not None and step > (organiser.totp_last_step or 0):
        organiser.totp_last_step = step
        kind = "totp"
    elif organiser.has_second_factor and _use_recovery_code(organiser, code, now):
        kind = "recovery"
        audit.record(organiser, "organiser.recovery_code_used", "organiser", organiser.id,
                     f"Wiederherstellungscode benutzt ({recovery_codes_left(organiser)} "
                     "übrig)")
    else:
        _fail(organiser, address, now, "Anmeldung" if step is None else "schon benutzt")
        raise CodeRefused()
    db.session.execute(delete(LoginFailure).where(
        LoginFailure.key == _keys(organiser, address)[0]))
    return kind


# --- enrolment, disabling, reset -------------------------------------------------------------


def enable(organiser: Organiser, secret: str, code: str, now: datetime | None = None
           ) -> list[str]:
    """Switch the second factor on with ``secret`` once ``code`` fits it.

    Returns the ten recovery codes (to show once). Raises ``StateConflict`` when the
    account has one already and ``InvalidInput`` (field ``code``) for a wrong code.
    """
    now = now or utcnow()
    if organiser.has_second_factor:
        raise StateConflict(_l("Für Ihr Konto ist der zweite Faktor schon eingerichtet."))
    step = _step(secret, _clean(code), now) if secret else None
    if step is None:
        raise InvalidInput({"code": str(_l("Der Code passt nicht. Bitte geben Sie den "
                                           "Code ein, den Ihre App gerade anzeigt."))})
    organiser.totp_secret = secret
    organiser.totp_enabled_at = now
    organiser.totp_last_step = step
    audit.record(organiser, "organiser.second_factor_enable", "organiser", organiser.id,
                 f"Zweiter Faktor für {organiser.email} eingerichtet")
    return _new_recovery_codes(organiser, now)


def renew_recovery_codes(organiser: Organiser, code: str, address: str,
                         now: datetime | None = None) -> list[str]:
    """Ten new recovery codes (the old ones stop working) after a current code.

    Raises like ``check``; ``StateConflict`` without a second factor.
    """
    now = now or utcnow()
    if not organiser.has_second_factor:
        raise StateConflict(_l("Für Ihr Konto ist kein zweiter Faktor eingerichtet."))
    check(organiser, code, address, now)
    audit.record(organiser, "organiser.recovery_codes_renewed", "organiser", organiser.id,
                 f"Neue Wiederherstellungscodes für {organiser.email}")
    return _new_recovery_codes(organiser, now)


def _clear(organiser: Organiser) -> None:
    organiser.totp_secret = ""
    organiser.totp_enabled_at = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.organiser_id == organiser.id))


def disable(organiser: Organiser, password: str, code: str, address: str,
            now: datetime | None = None) -> None:
    """Switch one's own second factor off with the password and a code.

    Raises ``StateConflict`` without one or while the admin requires it,
    ``LoginThrottled``, ``InvalidInput`` (``password``) or ``CodeRefused``.
    """
    now = now or utcnow()
    if not organiser.has_second_factor:
        raise StateConflict(_l("Für Ihr Konto ist kein zweiter Faktor eingerichtet."))
    if required():
        raise StateConflict(_l("Der zweite Faktor ist für alle Konten vorgeschrieben; Sie "
                               "können ihn nicht abschalten."))
    _throttle(organiser, address, now)
    try:
        password_ok = HASHER.verify(organiser.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        password_ok = False
    if not password_ok:
        _fail(organiser, address, now, "Passwort beim Abschalten")
        raise InvalidInput({"password": str(_l("Das Passwort stimmt nicht."))})
    check(organiser, code, address, now)
    _clear(organiser)
    audit.record(organiser, "organiser.second_factor_disable", "organiser", organiser.id,
                 f"Zweiter Faktor für {organiser.email} abgeschaltet")


def reset(organiser: Organiser, *, actor: Organiser) -> None:
    """An admin removes another account's second factor (lost phone); audited.

    Raises ``StateConflict`` for one's own account and for one without a second factor.
    """
    if actor.id == organiser.id:
        raise StateConflict(_l("Ihren eigenen zweiten Faktor schalten Sie auf der Seite "
                               "„Sicherheit“ ab."))
    if not organiser.has_second_factor:
        raise StateConflict(_l("Für dieses Konto ist kein zweiter Faktor eingerichtet."))
    _clear(organiser)
    audit.record(actor, "organiser.second_factor_reset", "organiser", organiser.id,
                 f"Zweiter Faktor von {organiser.email} zurückgesetzt")


# --- the requirement -------------------------------------------------------------------------


def required() -> bool:
    """Whether every organiser must have a second factor."""
    return bool(db.session.scalar(select(SecuritySetting.require_second_factor).where(
        SecuritySetting.id == 1)))


def set_required(value: bool, *, actor: Organiser) -> None:
    """Require the second factor for everyone, or not; audited when it changes."""
    setting = db.session.get(SecuritySetting, 1)
    if setting is None:
        setting = SecuritySetting(id=1, require_second_factor=False)
        db.session.add(setting)
    if setting.require_second_factor == value:
        return
    setting.require_second_factor = value
    audit.record(actor, "security.second_factor_required", "security_setting", 1,
                 "Zweiter Faktor für alle Konten " + ("vorgeschrieben" if value
                                                      else "freigestellt"),
                 before={"require_second_factor": not value},
                 after={"require_second_factor": value})


def enrolment_due(organiser: Organiser) -> bool:
    """The account must enrol before it may do anything else."""
    return not organiser.has_second_factor and required()
