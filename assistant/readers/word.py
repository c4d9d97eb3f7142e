"""Read a Word document (.docx) with python-docx: headings, list items, paragraphs and tables in order.

A .docx is a zip archive, and a small archive can unpack to gigabytes (a "zip bomb"), so its
table of contents is checked against size limits before python-docx unpacks anything.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from ..dates import MeetingDate
from ..errors import IngestError
from . import Document

MAX_MEMBERS = 2_000  # a report's .docx has 10–50 parts; a few hundred with many images
MAX_UNPACKED_BYTES = 50_000_000
MAX_RATIO = 100  # text XML packs about 5–20:1; a bomb 1000:1
RATIO_FROM_BYTES = 1_000_000  # the ratio of a small part says nothing: it cannot unpack to much
MAIN_PART = "word/document.xml"


def read(path: Path, data: bytes) -> list[Document]:
    """The document as one Document; unsafe, damaged or empty files raise IngestError."""
    check_archive(path, data)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = [block for item in document.iter_inner_content() if (block := _block(item))]
        props = document.core_properties
        created = props.created
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors, … on damaged parts
        raise IngestError(path, f"damaged Word document ({type(exc).__name__}: {exc})") from exc
    if not blocks:
        raise IngestError(path, "Word document with no text")
    return [Document(
        text="\n\n".join(blocks) + "\n",
        format="docx",
        title=props.title.strip() or None,
        author=props.author.strip() or None,
        posted=MeetingDate(created.year, created.month, created.day) if created else None,
    )]


def check_archive(path: Path, data: bytes) -> None:
    """Refuse what is not a Word document's zip archive, or would unpack too large."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise IngestError(path, f"not a Word document: damaged or not a zip archive ({exc})") from exc
    if len(members) > MAX_MEMBERS:
        raise IngestError(path, f"refused: the archive has {len(members)} parts, over the limit of {MAX_MEMBERS}")
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise IngestError(path, f"refused: it would unpack to {unpacked / 1e6:.0f} MB, over the "
                                f"{MAX_UNPACKED_BYTES / 1e6:.0f} MB limit (a zip bomb?)")
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FROM_BYTES and ratio > MAX_RATIO:
            raise IngestError(path, f"refused: {member.filename} is compressed {ratio:.0f}:1, over the "
                                    f"{MAX_RATIO}:1 limit (a zip bomb?)")
    if MAIN_PART not in {m.filename for m in members}:
        raise IngestError(path, f"a zip archive but not a Word document (no {MAIN_PART})")


def _block(item: Paragraph | Table) -> str:
    """One paragraph or table in the plain layout: "## heading", "• item", a paragraph, "a | b" rows."""
    if isinstance(item, Table):
        rows = [" | ".join(_flat(cell.text) for cell in _distinct(row.cells)) for row in item.rows]
        return "\n\n".join(row for row in rows if row.strip(" |"))
    text = _flat(item.text)
    style = getattr(item.style, "name", None) or ""
    if not text:
        return ""
    if style.startswith("Heading") or style in ("Title", "Subtitle"):
        return "## " + text
    # python-docx has no public word for a paragraph numbered by its own properties (w:numPr)
    numbered = item._p.pPr is not None and item._p.pPr.numPr is not None
    if style.startswith("List") or numbered:
        return "• " + text
    return text


def _distinct(cells: tuple) -> list:
    """A row's cells, a merged cell once (python-docx repeats it for each column it spans)."""
    return [cell for i, cell in enumerate(cells) if i == 0 or cell is not cells[i - 1]]


def _flat(text: str) -> str:
    """One line: line breaks and tabs inside a paragraph or cell become spaces."""
    return " ".join(text.split())
