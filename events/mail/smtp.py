"""The SMTP side of sending: a connection with a timeout and verified TLS, and the
sorting of SMTP errors into permanent and transient. Knows no database.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass

from flask_mail import Connection

from events.mail import mime

_ADDRESS = re.compile(r"[^\s<>\"'(),;:@\[\]]+@[^\s<>\"'(),;:\[\]]+")


def redact(text: str) -> str:
    """Remove e-mail addresses from server replies before they reach a log or the CLI."""
    return _ADDRESS.sub("[Adresse]", text)


class TimeoutConnection(Connection):
    """Flask-Mail's connection with ``MAIL_TIMEOUT`` on every socket operation.

    Flask-Mail opens ``smtplib.SMTP`` without a timeout (a silent server blocks
    forever) and without a TLS context (``smtplib`` then accepts any
    certificate). This one passes both.
    """

    def __init__(self, state, timeout: float) -> None:
        super().__init__(state)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(self.mail.server, self.mail.port, timeout=self.timeout,
                                    context=context)
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=self.timeout)
        try:
            host.ehlo_or_helo_if_needed()
            if self.mail.use_tls:
                host.starttls(context=context)
                host.ehlo()
            if self.mail.username and self.mail.password:
                host.login(self.mail.username, self.mail.password)
        except BaseException:
            host.close()
            raise
        return host

    def send_envelope(self, envelope: mime.Envelope) -> None:
        self.host.sendmail(envelope.mail_from, [envelope.rcpt_to], envelope.raw,
                           list(envelope.mail_options))

    def drop(self) -> None:
        """Forget the connection without talking to the server again."""
        if self.host is not None:
            self.host.close()
        self.host = None

    def close(self) -> None:
        if self.host is None:
            return
        try:
            self.host.quit()
        except (smtplib.SMTPException, OSError):
            self.host.close()
        self.host = None


@dataclass(frozen=True)
class Failure:
    text: str
    #: The message itself was refused (5xx) or cannot be sent: do not retry.
    permanent: bool = False
    #: The connection is unusable afterwards: drop it.
    drop_connection: bool = False
    #: The server is unwell (network, protocol): end the round, the rest waits.
    end_round: bool = False


class ServerUnavailable(Exception):
    """Connecting, greeting, STARTTLS or login failed: nothing can be sent this round."""


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}"


def classify(exc: Exception) -> Failure:
    """Sort an error from sending one message into permanent or transient."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (0, b""))
        lost = code == 421  # smtplib has closed the connection
        return Failure(f"Empfänger abgelehnt: {_reply(code, text)}", 500 <= code < 600,
                       lost, lost)
    if isinstance(exc, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        code, lost = exc.smtp_code, exc.smtp_code == 421 or exc.smtp_code < 400
        return Failure(_reply(code, exc.smtp_error), 500 <= code < 600, lost, lost)
    if isinstance(exc, smtplib.SMTPNotSupportedError):  # SMTPUTF8 needed, server lacks it
        return Failure(f"vom Server nicht unterstützt: {exc}", permanent=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        return Failure(_reply(exc.smtp_code, exc.smtp_error), drop_connection=True,
                       end_round=True)
    if isinstance(exc, (smtplib.SMTPException, OSError)):  # timeout, reset, disconnected
        return Failure(f"{type(exc).__name__}: {exc}", drop_connection=True, end_round=True)
    # Not the server's doing (e.g. an encoding error half-way through a command):
    # this message cannot go; a fresh connection for the next one.
    return Failure(f"{type(exc).__name__}: {exc}", permanent=True, drop_connection=True)
