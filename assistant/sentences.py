"""Where sentences end in report text, as offsets, so that a sentence can be quoted and checked.

A full stop, question or exclamation mark (or an ellipsis), perhaps followed by a closing quote or
bracket, then space and a capital or digit: "He said “no”. She agreed." is two sentences.
Shared by ingestion (which marks the author's asides) and chunking (which cuts quotable sentences).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])(['\"”’)\]]?)\s+(?=['\"“‘(\[]?[A-Z0-9£])")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Sentence spans within text[start:end], as offsets into `text`."""
    end = len(text) if end is None else end
    pos = start
    for m in _SENTENCE_BREAK.finditer(text, start, end):
        yield pos, m.end(1)
        pos = m.end()
    if pos < end:
        yield pos, end
