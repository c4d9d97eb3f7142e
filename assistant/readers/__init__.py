"""Readers: one per file format, each turning a file's bytes into `Document`s in one plain layout.

A reader knows its format (HTML, email, PDF, Word, plain text) and nothing about NEC meetings:
it gives the text with headings as "## Heading" lines, bullets as "• item" lines and blank lines
between paragraphs, plus what the file's own metadata says (title, author, posting date, URL).
Dates, sections and page furniture are then worked out once, for every format, by `ingest`.

The format is judged from the content, never from the file name: a PDF renamed .txt is read as a
PDF, and a file that is none of these is refused with what it looks like.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..dates import MeetingDate


@dataclass(frozen=True)
class Document:
    """One report as a reader found it, before ingestion works out its date and sections."""

    text: str  # "## Heading" lines, "• item" bullets, blank lines between paragraphs
    format: str  # "text", "html", "email", "pdf" or "docx"
    title: str | None = None  # from the file's metadata (page title, email Subject, document title)
    author: str | None = None  # from the metadata (page author, email From, document author)
    posted: MeetingDate | None = None  # when it was published or sent: a posting date, never the meeting date
    url: str | None = None  # where it was published (a page's canonical URL)
    dropped: tuple[str, ...] = ()  # what the reader left out, for the preview ("quoted reply, 6 lines")
