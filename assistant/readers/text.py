"""Plain text and Markdown, as saved from a page or typed: the text is the document.

`sniff` has already checked that the bytes are UTF-8 with no NUL; headings, bullets, bylines and
dates are all left to `ingest`, which reads them from the words themselves.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import IngestError
from . import Document


def read(path: Path, data: bytes) -> list[Document]:
    text = data.decode("utf-8-sig")
    if not text.strip():
        raise IngestError(path, "empty file")
    return [Document(text, "text")]
