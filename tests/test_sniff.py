"""Formats are judged from the bytes: a file's name says nothing, and anything unreadable is named."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import docx
import pytest
from PIL import Image

from assistant.readers.sniff import UnknownFormat, sniff

REPORT = "NEC Report – 24 January 2017\n\nLeader's report\n\nWe approved 12 new parliamentary candidates for Wales.\n"
EMAIL = (
    "Received: from mail.example.org by mx.example.net; Thu, 26 Jan 2017 09:30:00 +0000\n"
    "From: Ann Black <ann@example.org>\n"
    "To: members@example.org\n"
    "Subject: NEC report - 24 January 2017\n"
    "Date: Thu, 26 Jan 2017 09:30:00 +0000\n"
    "Message-ID: <123@example.org>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n" + REPORT
)
PAGE = "<!DOCTYPE html>\n<html><head><title>NEC Report</title></head><body><p>We approved 12.</p></body></html>"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _word() -> bytes:
    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph(REPORT)
    document.save(buffer)
    return buffer.getvalue()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    return buffer.getvalue()


def _unknown(data: bytes) -> str:
    with pytest.raises(UnknownFormat) as caught:
        sniff(data)
    assert str(caught.value).startswith(f"this is {caught.value.what}; readable formats are PDF")
    return caught.value.what


@pytest.mark.parametrize("data, expected", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "pdf"),
    (_word(), "docx"),
    (EMAIL.encode(), "email"),
    (PAGE.encode(), "html"),
    (REPORT.encode(), "text"),
], ids=["pdf", "docx", "email", "html", "text"])
def test_each_format_is_known_from_its_bytes_whatever_the_file_is_called(tmp_path, data, expected):
    misnamed = tmp_path / "report.txt"
    misnamed.write_bytes(data)
    assert sniff(misnamed.read_bytes()) == expected


def test_a_report_that_starts_with_from_and_subject_lines_stays_text():
    assert sniff(b"From: Ann Black\nSubject: NEC report\n\n" + REPORT.encode()) == "text"
    assert sniff(b"From: Ann Black\nDate: 26 January 2017\n\n" + REPORT.encode()) == "text"


def test_an_email_saved_as_an_mbox_or_with_a_bom_is_still_an_email():
    assert sniff(b"From ann@example.org Thu Jan 26 09:30:00 2017\n" + EMAIL.encode()) == "email"
    assert sniff("\ufeff".encode() + EMAIL.encode()) == "email"


def test_an_email_whose_body_is_a_web_page_is_an_email():
    assert sniff(EMAIL.replace("text/plain", "text/html").replace(REPORT, PAGE).encode()) == "email"


@pytest.mark.parametrize("page", [
    "\ufeff  <!-- saved from url=(0042)https://example.org/nec -->\n<html lang='en'><p>NEC</p></html>",
    "<?xml version='1.0'?>\n<!doctype HTML><title>NEC</title>",
    "<meta charset='utf-8'>\n<head><title>NEC</title></head>",
    "<div>A fragment</div>\n<BODY>NEC</BODY>",
], ids=["comment-first", "xml-declaration", "head-late", "body-tag"])
def test_web_pages_are_known_by_how_they_open(page):
    assert sniff(page.encode()) == "html"


def test_text_that_mentions_html_tags_late_on_stays_text():
    assert sniff((REPORT * 100 + "Use <body> for the page.").encode()) == "text"


def test_text_with_a_byte_order_mark_and_an_empty_file_are_text():
    assert sniff("\ufeff".encode() + REPORT.encode()) == "text"
    assert sniff(b"") == "text"


def test_a_pdf_with_leading_whitespace_is_a_pdf():
    assert sniff(b"\r\n%PDF-1.4\n") == "pdf"


def test_images_and_other_binaries_are_named():
    assert _unknown(_png()) == "a PNG image"
    assert _unknown(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "a JPEG image"
    assert _unknown(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)).startswith("an old-style Office file")
    assert _unknown(b"{\\rtf1\\ansi NEC report}").startswith("an RTF document")
    assert _unknown("NEC report".encode("utf-16")) == "UTF-16 text: save it as UTF-8"


def test_zip_archives_that_are_not_word_documents_are_named():
    assert _unknown(_zip({"photo.jpg": b"\xff\xd8\xff"})) == "a zip archive that is not a Word document"
    assert _unknown(_zip({"xl/workbook.xml": b"<workbook/>"})).startswith("an Excel workbook")
    assert _unknown(b"PK\x03\x04" + bytes(40)) == "a damaged zip archive"


def test_random_bytes_are_binary_data():
    assert _unknown(random.Random(0).randbytes(4096)) == "binary data"
    assert _unknown(b"NEC\x00report") == "binary data"


def test_text_in_another_encoding_is_named_with_where_it_goes_wrong():
    what = _unknown("NEC report – 24 January".encode("cp1252"))
    assert what == "text that is not UTF-8 (byte 11): save it as UTF-8"


def test_the_reports_in_the_corpus_are_text():
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    assert {sniff(path.read_bytes()) for path in corpus.glob("*.txt")} == {"text"}
