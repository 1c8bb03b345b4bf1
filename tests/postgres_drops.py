"""PostgreSQL test databases dropped in the background, waited for at the end of the session.

PostgreSQL 15 makes ``DROP DATABASE`` wait for a checkpoint of the whole server, which
took up to 20 s while the other test process wrote. ``drop_later`` drops in a thread of
its own so the test goes on; ``wait_for_drops`` (conftest's ``dropped_databases``, torn
down last) waits for all of them and names every database that could not be dropped.

A module of its own: conftest.py is imported twice (by pytest as ``conftest``, by the
test modules as ``tests.conftest``), so a list kept there would be two lists.
"""

from __future__ import annotations

import threading

from sqlalchemy import text

_DROPS: list[threading.Thread] = []
_FAILURES: list[str] = []


def drop_later(admin, name: str) -> None:
    """``DROP DATABASE name`` through the AUTOCOMMIT engine ``admin``, then dispose of it."""

    def drop() -> None:
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except Exception as exc:  # noqa: BLE001 - reported by wait_for_drops
            _FAILURES.append(f"{name}: {type(exc).__name__}: {exc}")
        finally:
            admin.dispose()

    thread = threading.Thread(target=drop, name=f"drop {name}")
    thread.start()
    _DROPS.append(thread)


def wait_for_drops(timeout: float = 300) -> list[str]:
    """Wait for every drop started so far; the databases not dropped, with the reason."""
    for thread in _DROPS:
        thread.join(timeout=timeout)
    return _FAILURES + [f"{thread.name}: still waiting" for thread in _DROPS
                        if thread.is_alive()]
