"""Attachments: the type from the content, ZIP bombs refused, files in step with commits."""

from __future__ import annotations

import io
import zipfile

import pytest

from events.extensions import db
from events.services import attachments
from events.services.attachments import Refused, Upload, inspect


@pytest.fixture
def config_overrides(tmp_path):
    return {"ATTACHMENT_DIR": str(tmp_path / "attachments")}


def zipped(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="x"></Types>'


def docx() -> bytes:
    return zipped({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w/>"})


def xlsx() -> bytes:
    return zipped({"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": b"<x/>"})


def pptx() -> bytes:
    return zipped({"[Content_Types].xml": CONTENT_TYPES, "ppt/presentation.xml": b"<p/>"})


def odf(kind: str) -> bytes:
    return zipped({"mimetype": f"application/vnd.oasis.opendocument.{kind}".encode(),
                   "content.xml": b"<o/>"}, zipfile.ZIP_STORED)


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512


def zip_bomb() -> bytes:
    """~200 MB of zeros packed into a few hundred KB, dressed as a Word file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        with archive.open("word/document.xml", "w", force_zip64=True) as handle:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(200):
                handle.write(chunk)
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "data", "content_type"), [
    ("Bericht.pdf", b"%PDF-1.7\n%\xe2\xe3\n1 0 obj", "application/pdf"),
    ("Konzept.docx", docx(), attachments.TYPES["docx"]),
    ("Zahlen.xlsx", xlsx(), attachments.TYPES["xlsx"]),
    ("Folien.pptx", pptx(), attachments.TYPES["pptx"]),
    ("Text.odt", odf("text"), attachments.TYPES["odt"]),
    ("Tabelle.ods", odf("spreadsheet"), attachments.TYPES["ods"]),
    ("Vortrag.odp", odf("presentation"), attachments.TYPES["odp"]),
    ("Alt.doc", OLE, "application/msword"),
    ("Alt.xls", OLE, "application/vnd.ms-excel"),
    ("Alt.PPT", OLE, "application/vnd.ms-powerpoint"),
])
def test_accepted_types_are_decided_from_the_content(app, name, data, content_type):
    checked = inspect(Upload(name, data))
    assert checked.content_type == content_type
    assert checked.size == len(data)


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("Bericht.pdf", b"<html><script>alert(1)</script>", "passt nicht zur Endung .pdf"),
    ("Bericht.pdf", docx(), "passt nicht zur Endung .pdf"),
    ("Konzept.docx", b"%PDF-1.4 eigentlich ein PDF", "passt nicht zur Endung .docx"),
    ("Konzept.docx", odf("text"), "passt nicht zur Endung .docx"),
    ("Konzept.docx", zipped({"a.txt": b"x"}), "passt nicht zur Endung .docx"),
    ("Konzept.docx", b"PK\x03\x04 kaputt", "passt nicht zur Endung .docx"),
    ("Zahlen.xlsx", docx(), "passt nicht zur Endung .xlsx"),
    ("Bild.png", b"\x89PNG\r\n", "Erlaubt sind PDF- und Office-Dateien"),
    ("ohne_endung", b"%PDF-1.4", "Erlaubt sind PDF- und Office-Dateien"),
    ("Programm.exe", b"MZ\x90\x00", "Erlaubt sind PDF- und Office-Dateien"),
    ("leer.pdf", b"", "ist leer"),
    ("Alt.docx", OLE, "passt nicht zur Endung .docx"),
    ("Makro.docx", zipped({"[Content_Types].xml": b"application/vnd.ms-word.document."
                                                   b"macroEnabled.main+xml",
                           "word/document.xml": b"<w/>", "word/vbaProject.bin": b"x"}),
     "enthält Makros"),
    ("Archiv.docx", zipped({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"x",
                            "word/innen.zip": zipped({"a": b"b"})}), "Archiv im Archiv"),
    ("Viele.docx", zipped({"[Content_Types].xml": CONTENT_TYPES,
                           **{f"word/{n}.xml": b"x" for n in range(2001)}}),
     "zu viele Teile"),
])
def test_refused_files_name_the_reason(app, name, data, reason):
    with pytest.raises(Refused) as refused:
        inspect(Upload(name, data))
    assert reason in str(refused.value)


def test_a_zip_bomb_named_docx_is_refused(app):
    bomb = zip_bomb()
    assert len(bomb) < attachments.MAX_BYTES
    with pytest.raises(Refused, match="zu stark gepackt"):
        inspect(Upload("Konzept.docx", bomb))


def test_more_than_ten_megabytes_are_refused(app):
    with pytest.raises(Refused, match="größer als 10 MB"):
        inspect(Upload("gross.pdf", b"%PDF-1.4" + b"0" * attachments.MAX_BYTES))


@pytest.mark.parametrize(("raw", "clean"), [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\x\\Bericht 2024.pdf", "Bericht 2024.pdf"),
    ("Über\x00sicht\n\t.pdf", "Übersicht.pdf"),
    ('a"<b>|c.pdf', "abc.pdf"),
    ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ("Bericht.pdf\u202egnp", "Bericht.pdfgnp"),
])
def test_file_names_lose_folders_and_control_characters(raw, clean):
    assert attachments.clean_filename(raw) == clean


def test_a_staged_file_appears_after_commit_and_vanishes_after_rollback(app, tmp_path):
    folder = tmp_path / "attachments"
    checked = inspect(Upload("a.pdf", b"%PDF-1.4 a"))
    kept = attachments.stage(db.session, checked)
    db.session.commit()
    assert (folder / kept).read_bytes() == b"%PDF-1.4 a"
    dropped = attachments.stage(db.session, checked)
    assert list(folder.glob(".part-*"))
    db.session.rollback()
    assert sorted(p.name for p in folder.iterdir()) == [kept]
    assert dropped != kept
    attachments.delete_later(db.session, kept)
    db.session.rollback()  # the deletion did not happen: the file stays
    assert (folder / kept).exists()
    attachments.delete_later(db.session, kept)
    db.session.commit()
    assert list(folder.iterdir()) == []


def test_a_file_left_under_its_temporary_name_is_found_by_its_key(app, tmp_path):
    folder = tmp_path / "attachments"
    folder.mkdir()
    (folder / ".part-abc123").write_bytes(b"%PDF")
    assert attachments.path_for("abc123").read_bytes() == b"%PDF"
    with pytest.raises(FileNotFoundError):
        attachments.path_for("../secret_key")
    with pytest.raises(FileNotFoundError):
        attachments.path_for("")
