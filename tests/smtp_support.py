"""Real SMTP servers on loopback for the mail tests (no mocks).

``SmtpServer`` is aiosmtpd on a fixed free port that a test can start and stop
(server down, then up). Its handler records the bytes of every accepted
message and answers as the test asks: accept, ``451`` once per message then
``250``, or ``550`` always. ``SilentServer`` accepts TCP connections and never
says a word (no banner): the case where only a client timeout helps.
"""

from __future__ import annotations

import asyncio
import email
import logging
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

ACCEPT, TEMPFAIL_ONCE, REJECT = "accept", "tempfail_once", "reject"

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    #: aiosmtpd's id of the SMTP session (one per client connection).
    session: int

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=default)

    @property
    def message_id(self) -> str:
        return self.message["Message-ID"]


class RecordingHandler:
    """aiosmtpd handler: answers per ``behaviour`` and records what it accepted.

    ``gate_sessions=n`` holds every DATA until ``n`` client connections have
    reached DATA (or 30 s passed): proof that several senders overlap in time.
    """

    def __init__(self) -> None:
        self.behaviour = ACCEPT
        self.reject_reply = "550 5.7.1 Nachricht abgelehnt"
        self.received: list[Received] = []
        self.refused: list[str] = []  # Message-IDs answered with an error
        self.gate_sessions = 0
        self.delay = 0.0  # seconds before answering DATA: a slow server
        self._tempfailed: set[str] = set()
        self._sessions: set[int] = set()
        self._gate: asyncio.Event | None = None
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message_id = email.message_from_bytes(raw, policy=default)["Message-ID"]
        if self.gate_sessions:
            await self._wait_for_sessions(id(session))
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            if self.behaviour == REJECT:
                self.refused.append(message_id)
                return self.reject_reply
            if self.behaviour == TEMPFAIL_ONCE and message_id not in self._tempfailed:
                self._tempfailed.add(message_id)
                self.refused.append(message_id)
                return "451 4.3.0 Bitte später erneut versuchen"
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), raw,
                                          id(session)))
        return "250 2.0.0 OK"

    async def _wait_for_sessions(self, session: int) -> None:
        if self._gate is None:
            self._gate = asyncio.Event()
        self._sessions.add(session)
        if len(self._sessions) >= self.gate_sessions:
            self._gate.set()
        try:
            await asyncio.wait_for(self._gate.wait(), 30)
        except asyncio.TimeoutError:
            pass

    @property
    def sessions_at_gate(self) -> int:
        return len(self._sessions)

    def message_ids(self) -> list[str]:
        with self._lock:
            return [item.message_id for item in self.received]


class SmtpServer:
    """aiosmtpd on ``127.0.0.1:<port>``; ``start()``/``stop()`` as often as needed."""

    def __init__(self, port: int | None = None, **smtp_options) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.handler = RecordingHandler()
        self.smtp_options = smtp_options  # e.g. tls_context=…, require_starttls=True
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(self.handler, hostname=self.host, port=self.port,
                                      enable_SMTPUTF8=True, **self.smtp_options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received


class SilentServer:
    """Accepts TCP connections and never answers (no SMTP banner)."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                connection, _ = self._sock.accept()
            except TimeoutError:
                continue
            self.connections.append(connection)

    def close(self) -> None:
        self._closing.set()
        self._thread.join(5)
        self._sock.close()
        for connection in self.connections:
            connection.close()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1 (Debian's ``openssl`` command)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True)
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


# --- fixtures (loaded for every test module through ``pytest_plugins`` in conftest) -----


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on a loopback port that records what it receives."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_config(smtp) -> dict:
    """App settings that send mail to the ``smtp`` fixture's server."""
    return {"MAIL_SERVER": smtp.host, "MAIL_PORT": smtp.port, "MAIL_TIMEOUT": 5}
