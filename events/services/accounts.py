"""Organiser accounts: passwords, login with throttling, invitations and resets.

Passwords are hashed with argon2id (argon2-cffi's defaults, rehashed when they
change). A failed login counts against the account (a hash of the address,
whether or not the account exists) and against the client address; after too
many the login is refused for a while with the same words either way, so the
answer never tells whether an account exists. Unknown addresses still cost one
hash verification, so the timing does not tell either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, render_template
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from zxcvbn import zxcvbn

from events.extensions import db
from events.locales import in_language
from events.mail.outbox import enqueue
from events.models import LoginFailure, Organiser, Role, normalise_email, utcnow
from events.services import audit, text
from events.services.errors import DomainError, InvalidInput, InvalidLink, NotFound, StateConflict
from events.urls import base_url

log = logging.getLogger(__name__)
HASHER = PasswordHasher()
#: Verified for unknown addresses, so that both answers take as long.
_DUMMY_HASH = HASHER.hash("praxisaustausch-dummy-password")
MIN_PASSWORD = 12
#: Words of this domain that make a password easier to guess (besides the person's address).
DOMAIN_WORDS = ["praxisaustausch", "kommune", "kompetenzteam", "workshop", "passwort",
                "integration", "fluechtling", "flüchtling"]
#: zxcvbn's estimate (its lists of common passwords, names, words and patterns) must reach
#: 10^10 guesses: days of an offline attack on an argon2id hash, not minutes.
MIN_GUESSES_LOG10 = 10


class LoginRefused(DomainError):
    status = 401
    code = "login_refused"
    default_message = _l("E-Mail-Adresse oder Passwort sind nicht richtig.")


class LoginThrottled(DomainError):
    status = 429
    code = "login_throttled"
    default_message = _l("Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie "
                         "%(minutes)d Minuten und versuchen Sie es dann erneut.")


# --- passwords ----------------------------------------------------------------------


def password_problem(password: str, email: str = "") -> str | None:
    """A German sentence saying why the password is too weak, or None when it is fine."""
    if len(password) < MIN_PASSWORD:
        return str(_l("Das Passwort muss mindestens %(num)d Zeichen lang sein.",
                      num=MIN_PASSWORD))
    if len(password) > 1000:
        return str(_l("Das Passwort ist zu lang (höchstens 1000 Zeichen)."))
    lowered = password.lower()
    local = normalise_email(email).partition("@")[0]
    estimate = zxcvbn(password[:100], user_inputs=[local, *local.split("."), *DOMAIN_WORDS])
    if (estimate["guesses_log10"] < MIN_GUESSES_LOG10 or len(set(password)) < 5
            or (len(local) >= 4 and local in lowered)):
        return str(_l("Dieses Passwort ist zu leicht zu erraten. Bitte wählen Sie ein "
                      "längeres, z. B. aus mehreren Wörtern."))
    return None


def set_password(organiser: Organiser, password: str) -> None:
    """Hash and store; every other session of the account ends. Raises ``InvalidInput``."""
    problem = password_problem(password, organiser.email)
    if problem:
        raise InvalidInput({"password": problem})
    organiser.password_hash = HASHER.hash(password)
    organiser.session_version = (organiser.session_version or 1) + 1
    organiser.reset_salt = ""
    organiser.reset_expires_at = None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False


# --- accounts -------------------------------------------------------------------------


def find(email: str) -> Organiser | None:
    """The account with this address; None for an unknown one. An address with a NUL
    character cannot belong to an account (``create`` refuses it) and is not asked for
    (PostgreSQL refuses NUL in text: a typed one was a server error at the login)."""
    if "\x00" in email:
        return None
    return db.session.scalar(select(Organiser).where(Organiser.email == normalise_email(email)))


def create(email: str, name: str, role: Role, password: str | None = None, *,
           actor: Organiser | None = None) -> Organiser:
    """A new account; without a password it waits for the invitation link.

    Raises ``InvalidInput`` for a bad address, an empty name, an address in use
    or a weak password.
    """
    from events.services.applicants import email_problem

    email = normalise_email(email)
    name = text.line(name)  # no control characters (PostgreSQL refuses NUL)
    errors = {}
    problem = email_problem(email)
    if problem:
        errors["email"] = problem
    elif find(email) is not None:
        errors["email"] = str(_l("Für diese E-Mail-Adresse gibt es schon ein Konto."))
    if not name:
        errors["name"] = str(_l("Bitte geben Sie einen Namen an."))
    elif len(name) > 200:
        errors["name"] = str(_l("Der Name ist zu lang (höchstens 200 Zeichen)."))
    if password is not None:
        problem = password_problem(password, email)
        if problem:
            errors["password"] = problem
    if errors:
        raise InvalidInput(errors)
    organiser = Organiser(email=email, name=name, role=role, active=True,
                          session_version=1, reset_salt="")
    if password is not None:
        organiser.password_hash = HASHER.hash(password)
    db.session.add(organiser)
    db.session.flush()
    audit.record(actor, "organiser.create", "organiser", organiser.id,
                 f"Konto {email} angelegt ({role.value})",
                 after={"email": email, "name": organiser.name, "role": role.value})
    return organiser


def all_accounts() -> list[Organiser]:
    """Every account, active ones first, then by name."""
    return list(db.session.scalars(select(Organiser).order_by(
        Organiser.active.desc(), func.lower(Organiser.name), Organiser.id)))


def get(organiser_id: int) -> Organiser:
    organiser = db.session.get(Organiser, organiser_id) if 0 < organiser_id < 2**63 else None
    if organiser is None:
        raise NotFound(_l("Dieses Konto gibt es nicht."))
    return organiser


def set_active(organiser: Organiser, active: bool, *, actor: Organiser | None) -> None:
    """Deactivate (every session and token stops working at once) or reactivate.

    Raises ``InvalidInput`` when an admin would lock out the last active admin or
    deactivate their own account.
    """
    if not active and actor is not None and actor.id == organiser.id:
        raise InvalidInput({"active": str(_l("Ihr eigenes Konto können Sie nicht "
                                             "deaktivieren. Bitten Sie eine andere Person "
                                             "mit Admin-Rolle darum."))})
    if not active and organiser.is_admin and _other_active_admins(organiser) == 0:
        raise InvalidInput({"active": str(_l("Das letzte aktive Admin-Konto kann nicht "
                                             "deaktiviert werden."))})
    if organiser.active == active:
        return
    organiser.active = active
    organiser.session_version = (organiser.session_version or 1) + 1
    audit.record(actor, "organiser.activate" if active else "organiser.deactivate",
                 "organiser", organiser.id,
                 f"Konto {organiser.email} {'aktiviert' if active else 'deaktiviert'}",
                 before={"active": not active}, after={"active": active})


def set_role(organiser: Organiser, role: Role, *, actor: Organiser | None) -> None:
    """Change the role; every session of the account ends (the menu changes with it).

    Raises ``InvalidInput`` for one's own role and when the last active admin would
    lose the role.
    """
    if organiser.role == role:
        return
    if actor is not None and actor.id == organiser.id:
        raise InvalidInput({"role": str(_l("Ihre eigene Rolle können Sie nicht ändern. "
                                           "Bitten Sie eine andere Person mit Admin-Rolle "
                                           "darum."))})
    if organiser.is_admin and role != Role.admin and _other_active_admins(organiser) == 0:
        raise InvalidInput({"role": str(_l("Das letzte aktive Admin-Konto muss Admin "
                                           "bleiben."))})
    before = organiser.role.value
    organiser.role = role
    organiser.session_version = (organiser.session_version or 1) + 1
    audit.record(actor, "organiser.role", "organiser", organiser.id,
                 f"Rolle von {organiser.email}: {before} → {role.value}",
                 before={"role": before}, after={"role": role.value})


def _other_active_admins(organiser: Organiser) -> int:
    return db.session.scalar(select(func.count(Organiser.id)).where(
        Organiser.role == Role.admin, Organiser.active.is_(True), Organiser.id != organiser.id))


# --- login and throttling ----------------------------------------------------------------


def _account_key(email: str) -> str:
    return "account:" + hashlib.sha256(normalise_email(email).encode()).hexdigest()[:40]


def _failures(key: str, since: datetime) -> int:
    return db.session.scalar(select(func.count(LoginFailure.id)).where(
        LoginFailure.key == key, LoginFailure.at >= since))


def authenticate(email: str, password: str, address: str, now: datetime | None = None
                 ) -> Organiser:
    """The active account with this address and password.

    Raises ``LoginThrottled`` after too many recent failures for the account or
    the address (checked first, so guessing stops even with the right password),
    else ``LoginRefused`` — the same for an unknown address, a wrong password and
    a deactivated account. Failures are added to the session: the caller commits
    either way.
    """
    config = current_app.config
    now = now or utcnow()
    window = timedelta(minutes=config["LOGIN_THROTTLE_MINUTES"])
    account_key, address_key = _account_key(email), f"address:{address}"[:120]
    if (_failures(account_key, now - window) >= config["LOGIN_MAX_FAILURES"]
            or _failures(address_key, now - window) >= config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        HASHER.verify(_DUMMY_HASH, "praxisaustausch-dummy-password")  # same cost as a try
        raise LoginThrottled(str(LoginThrottled.default_message)
                             % {"minutes": config["LOGIN_THROTTLE_MINUTES"]})
    organiser = find(email)
    ok = _verify(organiser.password_hash if organiser else "", password)
    if not ok or organiser is None or not organiser.active or not organiser.password_hash:
        db.session.add_all([LoginFailure(key=account_key, at=now),
                            LoginFailure(key=address_key, at=now)])
        # the keys (a hash of the typed address, the client address), never the password
        audit.record(None, "organiser.login_failed", "organiser",
                     organiser.id if organiser is not None else None,
                     "Anmeldung fehlgeschlagen", after={"account_key": account_key,
                                                        "address_key": address_key})
        log.info("failed organiser login from %s", address)
        raise LoginRefused()
    if HASHER.check_needs_rehash(organiser.password_hash):
        organiser.password_hash = HASHER.hash(password)
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == account_key))
    organiser.last_login_at = now
    log.info("organiser %s logged in", organiser.id)
    return organiser


def purge_failures(now: datetime | None = None) -> int:
    """Forget failures older than a day (called by the worker)."""
    cutoff = (now or utcnow()) - timedelta(days=1)
    return db.session.execute(delete(LoginFailure).where(LoginFailure.at < cutoff)).rowcount


def load(user_id: str) -> Organiser | None:
    """flask-login's loader: ``<id>:<session version>``; None when it no longer matches."""
    raw_id, _, version = (user_id or "").partition(":")
    if not raw_id.isdigit() or not version.isdigit() or len(raw_id) > 18:
        return None
    organiser = db.session.get(Organiser, int(raw_id))
    if organiser is None or not organiser.active or str(organiser.session_version) != version:
        return None
    return organiser


# --- invitation and reset links -------------------------------------------------------


def _mac(organiser_id: int, salt: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"organiser-password:{organiser_id}:{salt}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode().rstrip("=")


def password_link(organiser: Organiser, now: datetime | None = None) -> str:
    """Open a new invitation/reset link (the older one stops working) and return its URL."""
    now = now or utcnow()
    organiser.reset_salt = secrets.token_hex(16)
    organiser.reset_expires_at = now + timedelta(hours=current_app.config[
        "ORGANISER_INVITE_HOURS"])
    token = f"{organiser.id}.{_mac(organiser.id, organiser.reset_salt)}"
    return f"{base_url(mail=True)}/organiser/passwort/{token}"


def organiser_for_link(token: str, now: datetime | None = None) -> Organiser:
    """The account whose open link this is; ``InvalidLink`` when unknown, used or expired."""
    raw_id, _, mac = (token or "").partition(".")
    if not raw_id.isdigit() or len(raw_id) > 18 or not mac:
        raise InvalidLink(_l("Dieser Link ist ungültig, abgelaufen oder wurde schon benutzt."))
    organiser = db.session.get(Organiser, int(raw_id))
    expected = _mac(int(raw_id), organiser.reset_salt if organiser else "x")
    if (organiser is None or not organiser.reset_salt or not organiser.active
            or not hmac.compare_digest(mac.encode(), expected.encode())
            or organiser.reset_expires_at is None
            or organiser.reset_expires_at <= (now or utcnow())):
        raise InvalidLink(_l("Dieser Link ist ungültig, abgelaufen oder wurde schon benutzt."))
    return organiser


def send_password_mail(organiser: Organiser, kind: str) -> None:
    """``kind`` ``organiser_invite`` or ``organiser_reset``: a mail with a fresh link."""
    url = password_link(organiser)
    config = current_app.config
    context = {"organiser": organiser, "url": url, "hours": config["ORGANISER_INVITE_HOURS"],
               "contact_name": config["CONTACT_NAME"], "contact_email": config["CONTACT_EMAIL"],
               "base_url": base_url(mail=True)}
    with in_language(None) as language:  # organiser accounts: the default language
        subject = (gettext("Ihr Zugang zum Verwaltungsbereich des Praxisaustauschs")
                   if kind == "organiser_invite"
                   else gettext("Passwort für den Praxisaustausch neu setzen"))
        context.update(subject=subject, language=language)
        enqueue(kind=kind, recipient=organiser.email, subject=subject,
                body_text=render_template(f"mail/{kind}.txt", **context),
                body_html=render_template(f"mail/{kind}.html", **context))


def invite(email: str, name: str, role: Role, *, actor: Organiser) -> Organiser:
    """Create the account without a password and mail the invitation link."""
    organiser = create(email, name, role, actor=actor)
    send_password_mail(organiser, "organiser_invite")
    return organiser


def invitation_open(organiser: Organiser) -> bool:
    """Invited, but no password set and never logged in yet."""
    return not organiser.password_hash and organiser.last_login_at is None


def reset(organiser: Organiser, *, actor: Organiser | None) -> str:
    """An admin's reset: the password stops working at once, a link goes out.

    For an invitation not yet taken up the invitation goes out again instead.
    Returns the mail's kind. Raises ``StateConflict`` for a deactivated account
    (its link would not work) and for one's own (that would end one's session).
    """
    if actor is not None and actor.id == organiser.id:
        raise StateConflict(_l("Ihr eigenes Passwort setzen Sie über „Passwort vergessen“ "
                               "auf der Anmeldeseite neu."))
    if not organiser.active:
        raise StateConflict(_l("Das Konto ist deaktiviert. Aktivieren Sie es zuerst wieder."))
    kind = "organiser_invite" if invitation_open(organiser) else "organiser_reset"
    organiser.password_hash = ""
    organiser.session_version = (organiser.session_version or 1) + 1
    send_password_mail(organiser, kind)
    if kind == "organiser_invite":
        audit.record(actor, "organiser.reinvite", "organiser", organiser.id,
                     f"Einladung an {organiser.email} erneut gesendet")
    else:
        audit.record(actor, "organiser.reset", "organiser", organiser.id,
                     f"Passwort von {organiser.email} zurückgesetzt")
    return kind


def request_reset(email: str) -> None:
    """Self-service "Passwort vergessen": a mail only if an active account exists.

    The caller shows the same answer either way.
    """
    organiser = find(email)
    if organiser is not None and organiser.active:
        send_password_mail(organiser, "organiser_reset")
        audit.record(None, "organiser.reset_requested", "organiser", organiser.id,
                     f"Passwort-Link für {organiser.email} angefordert")
        return
    # The same work for an unknown address (render the mail, write one row), so that the
    # answer's timing does not tell whether the account exists; nothing is sent.
    stand_in = Organiser(id=0, email=normalise_email(email)[:254], name="", reset_salt="")
    config = current_app.config
    with in_language(None) as language:
        render_template("mail/organiser_reset.txt", organiser=stand_in,
                        url=password_link(stand_in), hours=config["ORGANISER_INVITE_HOURS"],
                        contact_name=config["CONTACT_NAME"],
                        contact_email=config["CONTACT_EMAIL"], base_url=base_url(mail=True),
                        subject="", language=language)
    audit.record(None, "organiser.reset_requested_unknown", "organiser", None,
                 "Passwort-Link für eine Adresse ohne aktives Konto angefordert",
                 after={"account_key": _account_key(email)})
