"""Judge a file's format from its content, never its name: a PDF saved as report.txt is still a PDF.

Binary formats are known by their first bytes (and a zip archive by what it holds); text is an
email when it opens with a real message's headers, a web page when it opens like one, and plain
text otherwise. A file that is none of these is named ("a PNG image") so the person adding it
learns what they actually have.
"""

from __future__ import annotations

import io
import re
import zipfile
from email import message_from_bytes
from typing import Literal

Format = Literal["pdf", "docx", "email", "html", "text"]

_SIGNATURES = [  # (first bytes, what the file is)
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-style Office file (.doc, .xls or Outlook .msg): "
                                          "save it as .docx or PDF"),
    (b"{\\rtf", "an RTF document: save it as .docx or PDF"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\xff\xfe", "UTF-16 text: save it as UTF-8"),
    (b"\xfe\xff", "UTF-16 text: save it as UTF-8"),
]
_ZIPPED = [  # (a part only that kind of archive has, what it is)
    ("xl/workbook.xml", "an Excel workbook (.xlsx), not a Word document"),
    ("ppt/presentation.xml", "a PowerPoint presentation (.pptx), not a Word document"),
    ("content.xml", "an OpenDocument file (.odt): save it as .docx or PDF"),
]
_EMAIL_MARKS = {"mime-version", "message-id", "received", "content-type"}  # headers a mail system writes
_HTML_START = re.compile(r"(?:\s|<!--.*?-->|<\?xml[^>]*>)*<(?:!doctype\s+html|html)\b", re.I | re.S)
_HTML_TAG = re.compile(r"<(?:head|body)\b", re.I)
_HTML_WINDOW = 4096  # a page's opening, <head> or <body> comes this early
_HEADER_WINDOW = 65536  # an email's headers fit in this


class UnknownFormat(ValueError):
    """A file in no readable format; the message says what it seems to be."""

    def __init__(self, what: str, line: int | None = None):
        super().__init__(f"this is {what}; readable formats are PDF, Word (.docx), email, "
                         "web page (HTML) and UTF-8 text")
        self.what, self.line = what, line


def sniff(data: bytes) -> Format:
    """The format of a file's bytes; raises UnknownFormat naming anything else."""
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"%PDF-"):
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zipped(data)
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise UnknownFormat(what)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        controls = sum(byte < 32 and byte not in b"\t\n\r\f" for byte in data[:4096])
        if controls > len(data[:4096]) / 100:
            raise UnknownFormat("binary data") from exc
        raise UnknownFormat(f"text that is not UTF-8 (byte {exc.start}): save it as UTF-8",
                            data[:exc.start].count(b"\n") + 1) from exc
    if "\x00" in text:
        raise UnknownFormat("binary data")
    if _is_email(data[:_HEADER_WINDOW]):
        return "email"
    if _HTML_START.match(text[:_HTML_WINDOW]) or _HTML_TAG.search(text[:_HTML_WINDOW]):
        return "html"
    return "text"


def _zipped(data: bytes) -> Format:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnknownFormat("a damaged zip archive") from exc
    if "word/document.xml" in names:
        return "docx"
    what = next((what for part, what in _ZIPPED if part in names), "a zip archive that is not a Word document")
    raise UnknownFormat(what)


def _is_email(head: bytes) -> bool:
    """Opens with a mail system's headers: From, a Date or Subject, and one a person would not type.

    A report pasted from an email with "From: …" and "Subject: …" lines on top stays plain text."""
    message = message_from_bytes(head.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n"))
    names = {name.lower() for name in message}
    return "from" in names and bool(names & {"date", "subject"}) and bool(names & _EMAIL_MARKS)
