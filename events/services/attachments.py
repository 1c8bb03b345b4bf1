"""Attachments of contributions: the type decided from the content, files kept in step
with the database.

Files live under ``ATTACHMENT_DIR`` (outside the static folder) by a random
``storage_key``; the uploaded name is only shown. ``inspect`` decides the type
from the bytes (``%PDF-``, OOXML and ODF ZIP containers, OLE2) and refuses ZIP
bombs. ``stage`` writes a checked file under a temporary name and ties it to the
session's transaction: after the commit it is renamed to its key, after a
rollback removed. ``delete_later`` removes a file once the deletion commits. So a
refused or rolled-back submission leaves no file, and a committed row its file.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
#: ZIP containers: more unpacked than this, a higher packing ratio or more entries is a bomb.
MAX_UNPACKED = 100 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 2000
#: The ratio counts from this size on (a tiny file is no bomb, and XML packs well).
RATIO_FROM = 1024 * 1024
ARCHIVE_ENDINGS = (".zip", ".rar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".tar", ".cab", ".jar")
PART_PREFIX = ".part-"

#: Extension → MIME type for every type we accept.
TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
}
#: OOXML: extension → the part its package must hold.
OOXML_PARTS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
ODF_TYPES = {TYPES["odt"]: "odt", TYPES["ods"]: "ods", TYPES["odp"]: "odp"}
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class Refused(ValueError):
    """The file cannot be accepted; ``str()`` is the German reason."""


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: its name and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Checked:
    filename: str
    extension: str
    content_type: str
    size: int
    sha256: str
    data: bytes


def accepted_endings() -> str:
    return ", ".join(f".{ext}" for ext in TYPES)


def clean_filename(name: str) -> str:
    """The name without folders, control characters and surrounding space (≤ 200 chars)."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c not in '"<>|:*?')
    name = " ".join(name.split()).strip(". ")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = stem[: 200 - len(ext) - 1] + dot + ext if dot and len(ext) <= 10 else name[:200]
    return name


def _extension(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def inspect(upload: Upload) -> Checked:
    """Check one file; raise ``Refused`` with a German reason.

    The type comes from the content; the name's ending must agree with it (a file
    named .pdf that is no PDF is refused, not renamed).
    """
    name = clean_filename(upload.filename)
    data = upload.data
    if not data:
        raise Refused(_("Die Datei „%(name)s“ ist leer.", name=name or "?"))
    if len(data) > MAX_BYTES:
        raise Refused(_("Die Datei „%(name)s“ ist größer als 10 MB.", name=name))
    claimed = _extension(name)
    if claimed not in TYPES:
        raise Refused(_("„%(name)s“: Erlaubt sind PDF- und Office-Dateien (%(endings)s).",
                        name=name, endings=accepted_endings()))
    found = _detect(data, claimed, name)
    if found != claimed:
        raise Refused(_("Der Inhalt von „%(name)s“ passt nicht zur Endung .%(ext)s.",
                        name=name, ext=claimed))
    return Checked(filename=name, extension=found, content_type=TYPES[found], size=len(data),
                   sha256=hashlib.sha256(data).hexdigest(), data=data)


def _detect(data: bytes, claimed: str, name: str) -> str | None:
    """The type the bytes are, or None when they are none of ours."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(OLE2):
        # the legacy formats share one container; the name tells which program
        return claimed if claimed in ("doc", "xls", "ppt") else "ole2"
    if data.startswith(b"PK\x03\x04"):
        return _detect_zip(data, name)
    return None


def _detect_zip(data: bytes, name: str) -> str | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None
    _refuse_bomb(entries, len(data), name)
    names = {entry.filename for entry in entries}
    try:
        if "mimetype" in names:
            mimetype = archive.read("mimetype")[:200].decode("ascii", "replace").strip()
            return ODF_TYPES.get(mimetype)
        if "[Content_Types].xml" in names:
            with archive.open("[Content_Types].xml") as handle:
                types = handle.read(1024 * 1024).decode("utf-8", "replace")
            if "macroEnabled" in types or any(n.endswith("vbaProject.bin") for n in names):
                raise Refused(_("„%(name)s“ enthält Makros; bitte speichern Sie die Datei "
                                "ohne Makros.", name=name))
            for ext, part in OOXML_PARTS.items():
                if any(n.startswith(part) for n in names):
                    return ext
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, RuntimeError,
            NotImplementedError) as exc:
        log.info("attachment zip unreadable: %s", type(exc).__name__)
        return None
    return None


def _refuse_bomb(entries: list[zipfile.ZipInfo], packed: int, name: str) -> None:
    unpacked = sum(entry.file_size for entry in entries)
    too_big = unpacked > MAX_UNPACKED or len(entries) > MAX_ENTRIES
    too_dense = unpacked > RATIO_FROM and unpacked > MAX_RATIO * max(packed, 1)
    nested = any(entry.filename.lower().endswith(ARCHIVE_ENDINGS) for entry in entries)
    if too_big or too_dense or nested:
        raise Refused(_("„%(name)s“ sieht nicht wie ein gewöhnliches Dokument aus (zu stark "
                        "gepackt, zu viele Teile oder ein Archiv im Archiv).", name=name))


# --- storage -------------------------------------------------------------------------


def folder() -> Path:
    path = Path(current_app.config["ATTACHMENT_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_key() -> str:
    return secrets.token_hex(24)


def _final(key: str) -> Path:
    if not key or not all(c in "0123456789abcdef" for c in key):
        raise FileNotFoundError(key)
    return folder() / key


def path_for(key: str) -> Path:
    """Where the file of ``key`` is; raises ``FileNotFoundError``.

    A file whose commit happened but whose rename did not (the process died in
    between) still has its temporary name: it is renamed now.
    """
    final = _final(key)
    if final.exists():
        return final
    part = final.with_name(PART_PREFIX + key)
    if part.exists():
        os.replace(part, final)
        return final
    raise FileNotFoundError(key)


def stage(session: Session, checked: Checked) -> str:
    """Write the file under a temporary name; return its new key.

    It is renamed to the key after ``session`` commits, removed after a rollback.
    """
    session.connection()  # a transaction whose end decides the file's fate
    key = new_key()
    part = folder() / (PART_PREFIX + key)
    with open(part, "xb") as handle:
        handle.write(checked.data)
    session.info.setdefault("attachments_staged", []).append(part)
    return key


def delete_later(session: Session, key: str) -> None:
    """Remove the file of ``key`` once ``session`` commits (kept after a rollback)."""
    session.connection()
    session.info.setdefault("attachments_deleted", []).append(key)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for part in session.info.pop("attachments_staged", []):
        try:
            os.replace(part, part.with_name(part.name[len(PART_PREFIX):]))
        except OSError as exc:  # path_for renames it later
            log.warning("attachment %s not renamed: %s", part.name, exc)
    for key in session.info.pop("attachments_deleted", []):
        for candidate in (key, PART_PREFIX + key):
            try:
                (Path(current_app.config["ATTACHMENT_DIR"]) / candidate).unlink()
            except (FileNotFoundError, RuntimeError):
                pass


@event.listens_for(Session, "after_transaction_end")
def _after_end(session: Session, transaction) -> None:
    """The transaction ended without a commit (rollback or close): drop its files."""
    if transaction.nested or transaction.parent is not None:
        return  # a savepoint: the outer transaction may still commit
    for part in session.info.pop("attachments_staged", []):
        try:
            part.unlink()
        except FileNotFoundError:
            pass
    session.info.pop("attachments_deleted", None)
