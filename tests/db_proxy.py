"""A TCP proxy for tests that can take the database away like a restart does.

``DatabaseProxy`` listens on a free loopback port and pipes every connection to
the real server (``127.0.0.1:5432``). ``outage(seconds)`` is a restart seen from
the clients: every open connection is cut at once (both directions, so the
server rolls back what was open), and for ``seconds`` the port refuses new
connections (the listening socket is closed, so a connect gets
``ECONNREFUSED``); then it listens again on the same port. The shared server
itself is never touched, so other tests using it go on undisturbed.

Threads only (one accept loop, two pumps per connection): no event loop to
share with the tests' aiosmtpd.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import suppress

from sqlalchemy.engine import make_url


class DatabaseProxy:
    """``with DatabaseProxy("127.0.0.1", 5432) as proxy: proxy.url_for(url)``."""

    def __init__(self, upstream_host: str = "127.0.0.1", upstream_port: int = 5432) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.accepted = 0  # connections piped so far (all time)
        self.cuts = 0  # connections cut by outages
        self._listener: socket.socket | None = None
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    # --- life cycle ------------------------------------------------------------------

    def start(self) -> DatabaseProxy:
        self._listen()
        self._thread = threading.Thread(target=self._accept_loop, name="db-proxy", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._closed.set()
        self._stop_listening()
        self.cut_all()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> DatabaseProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def url_for(self, database_url: str) -> str:
        """``database_url`` with host and port replaced by the proxy's."""
        return make_url(database_url).set(host="127.0.0.1", port=self.port).render_as_string(
            hide_password=False)

    # --- the outage ------------------------------------------------------------------

    def outage(self, seconds: float) -> None:
        """Cut every connection, refuse new ones for ``seconds``, then listen again.

        Blocks for ``seconds``; run it in a thread to keep a test going meanwhile.
        """
        self._stop_listening()
        self.cut_all()
        time.sleep(seconds)
        self.cut_all()  # a connection accepted just before the listener closed
        self._listen()

    @property
    def down(self) -> bool:
        return self._listener is None

    def cut_all(self) -> int:
        """Close both ends of every piped connection now; return how many."""
        with self._lock:
            pairs, self._pairs = self._pairs, set()
        for pair in pairs:
            for sock in pair:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with suppress(OSError):
                    sock.close()
        self.cuts += len(pairs)
        return len(pairs)

    # --- internals -------------------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener = listener

    def _stop_listening(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with suppress(OSError):
                listener.close()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            listener = self._listener
            if listener is None:
                time.sleep(0.05)
                continue
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            client.settimeout(None)
            pair = (client, server)
            with self._lock:
                if self._listener is None:  # the outage began while we connected
                    client.close()
                    server.close()
                    continue
                self._pairs.add(pair)
                self.accepted += 1
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(pair, source, target),
                                 daemon=True).start()

    def _pump(self, pair, source: socket.socket, target: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        # one side ended: end the other too, as a real connection would
        with self._lock:
            self._pairs.discard(pair)
        for sock in pair:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with suppress(OSError):
                sock.close()
