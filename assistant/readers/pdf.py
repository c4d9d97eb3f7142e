"""Read a PDF's text with pypdf, column by column, with its paragraphs, headings and bullets marked.

pypdf's plain extraction follows the content stream, which is the order a two-column page was
written in: the left column, then the right (its "layout" mode interleaves the columns line by
line). Plain extraction gives bare lines, though, and `ingest` cannot join those safely (a wrapped
line such as "543,645 at the end of December" looks like a heading), so the reader also watches
where each line is drawn and in which font: a line further down than the usual line spacing, or
back up the page (the next column or page), starts a paragraph; a line in a larger font than the
body text, or all in bold, is a heading; a line starting with a bullet glyph is a bullet.
"""

from __future__ import annotations

import io
import math
import re
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from pypdf import DocumentInformation, PageObject, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

from ..dates import MeetingDate
from ..errors import IngestError
from . import Document

# \uf0b7, \uf0a7: Word's Symbol-font bullets; \x7f, \x81, …: codes WinAnsiEncoding leaves unused and
# draws as a bullet (PDF 1.7, annex D), which pypdf gives as they are
_BULLET = re.compile(r"^[•●▪◦‣∙\uf0a7\uf0b7\x7f\x81\x8d\x8f\x90\x9d]\s*")
_BOLD_FONT = re.compile(r"bold|black|heavy", re.I)
_PAGE_NUMBER = re.compile(r"(?:page\s+)?\d{1,4}(?:\s+of\s+\d{1,4})?|[-–]\s*\d{1,4}\s*[-–]", re.I)
_HYPHENATED = re.compile(r"\b(\w+)-(\w+)\b")
_HEADING_SCALE = 1.15  # a line this much larger than the body text is a heading
_PARAGRAPH_GAP = 1.25  # a step this much larger than the usual line spacing starts a paragraph
_HEADING_WORDS = 20  # a longer run of bold or large text (or a sentence) is emphasis, not a heading


@dataclass
class _Line:
    """One line as drawn: its text, its baseline (up is positive) and its font."""

    text: str = ""
    y: float | None = None
    size: float = 0.0  # of its largest text, in points as printed
    bold: bool = True  # every run of text in a bold font


def read(path: Path, data: bytes) -> list[Document]:
    """The PDF as one Document; pypdf's many errors on damaged files become one IngestError."""
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [_page_lines(page) for page in reader.pages]
        images = [0 if lines else len(page.images) for page, lines in zip(reader.pages, pages, strict=True)]
        meta = reader.metadata
    except FileNotDecryptedError as exc:
        raise IngestError(path, "password-protected PDF: save a copy without the password and add that") from exc
    except DependencyError as exc:
        raise IngestError(path, f"encrypted PDF that cannot be opened here: {exc}") from exc
    except PyPdfError as exc:
        raise IngestError(path, f"damaged or truncated PDF: {exc}") from exc
    except Exception as exc:  # pypdf raises KeyError, ValueError, … on malformed files as well
        raise IngestError(path, f"damaged PDF ({type(exc).__name__}: {exc})") from exc
    if not any(pages) and any(images):
        raise IngestError(path, f"scanned PDF with no text layer ({len(pages)} page(s) of images only): "
                                "it needs OCR first (e.g. with ocrmypdf) before it can be read")
    if not any(pages):
        raise IngestError(path, f"PDF with no text in it ({len(pages)} page(s) of drawings, or text turned "
                                "into outlines): nothing to read")
    lines = [line for page in pages for line in page]
    kept = [line for line in lines if not _PAGE_NUMBER.fullmatch(line.text.strip())]
    dropped = [f"page {n}: images only, no text (needs OCR)"
               for n, (page, count) in enumerate(zip(pages, images, strict=True), 1) if count and not page]
    if len(kept) < len(lines):
        count = len(lines) - len(kept)
        dropped.append(f"{count} page-number line{'s' if count > 1 else ''}")
    return [Document(
        text="\n\n".join(_paragraphs(kept)) + "\n",
        format="pdf",
        title=_meta(meta, "title"),
        author=_meta(meta, "author"),
        posted=_posted(meta),
        dropped=tuple(dropped),
    )]


def _page_lines(page: PageObject) -> list[_Line]:
    """The page's lines in content-stream order, with where and in which font each was drawn."""
    lines = [_Line()]

    def visit(text, cm, tm, font, size) -> None:
        for i, piece in enumerate(text.split("\n")):
            if i:
                lines.append(_Line())
            line = lines[-1]
            line.text += piece
            if piece.strip():
                # the text's position and scale on the page: the text matrix times the graphics matrix
                line.y = line.y if line.y is not None else tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                scale = math.hypot(tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3])
                line.size = max(line.size, round(size * scale, 1))
                line.bold = line.bold and bool(font and _BOLD_FONT.search(str(font.get("/BaseFont", ""))))

    page.extract_text(visitor_text=visit)
    return [line for line in lines if line.text.strip()]


def _paragraphs(lines: list[_Line]) -> list[str]:
    """Group lines into paragraphs ("## " headings, "• " bullets) by line spacing and font."""
    body = Counter(line.size for line in lines for _ in line.text).most_common(1)[0][0]
    body_bold = all(line.bold for line in lines if line.size == body)
    spacing = Counter(round((a.y - b.y) / b.size, 1) for a, b in pairwise(lines)
                      if a.size == b.size and a.y > b.y).most_common(1)
    leading = spacing[0][0] if spacing else 1.2
    groups: list[tuple[bool, list[str]]] = []  # (heading, lines)
    prev: _Line | None = None
    for line in lines:
        text = " ".join(line.text.split())
        heading = line.size >= body * _HEADING_SCALE or (line.bold and not body_bold)
        step = prev.y - line.y if prev else 0.0
        joins = (prev is not None and not _BULLET.match(text) and heading == groups[-1][0]
                 and abs(line.size - prev.size) < 0.5 and 0 < step <= line.size * leading * _PARAGRAPH_GAP)
        if joins:
            groups[-1][1].append(text)
        else:
            groups.append((heading, [text]))
        prev = line
    text = "\n".join(line for _, group in groups for line in group)
    hyphenated = {m[0] for m in _HYPHENATED.finditer(text)}
    paragraphs = []
    for heading, group in groups:
        para = _join(group, hyphenated)
        bullet = _BULLET.match(para)
        if bullet:
            paragraphs.append("• " + para[bullet.end():])
        elif heading and len(para.split()) <= _HEADING_WORDS and not para.endswith("."):
            paragraphs.append("## " + para)
        else:
            paragraphs.append(para)
    return paragraphs


def _join(lines: list[str], hyphenated: set[str]) -> str:
    """Join a paragraph's lines, mending words hyphenated at a line end ("organ-" "isers").

    The hyphen stays when the document writes the whole word with it elsewhere ("by-election"):
    a PDF does not say which line-end hyphens are part of the word."""
    para = lines[0]
    for line in lines[1:]:
        before, after = re.search(r"(\w*)-$", para), re.match(r"[a-z]\w*", line)
        if before and before[1] and before[1][-1].islower() and after:
            keep = f"{before[1]}-{after[0]}" in hyphenated
            para = (para if keep else para[:-1]) + line
        else:
            para += " " + line
    return para


def _meta(meta: DocumentInformation | None, field: str) -> str | None:
    text = " ".join(str(getattr(meta, field) or "").split()) if meta else ""
    return text or None


def _posted(meta: DocumentInformation | None) -> MeetingDate | None:
    """The creation date, when the file has a readable one."""
    try:
        created = meta.creation_date if meta else None
    except ValueError:  # a malformed /CreationDate string
        return None
    return MeetingDate(created.year, created.month, created.day) if created else None
