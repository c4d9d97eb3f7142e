"""Build, save and load the FAISS index with its chunks, reports and manifest.

On disk, `index/current` is a symlink to one complete build folder. A build is written to a new
folder and the link is swapped with one atomic rename, so a build that fails or is killed
leaves the previous index in service. The manifest records what the index was built from;
when that no longer matches the corpus, model or code, the index is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from . import chunking, dates, decisions, furniture, ingest
from .chunking import Chunk, Chunker, quote_spans
from .decisions import Decision, find_decisions
from .embed import Embedder
from .ingest import METADATA_FILE, Report, Section, Paragraph, read_corpus, report_files

FORMAT = 4
CURRENT = "current"
_FILES = ("manifest.json", "vectors.faiss", "chunks.jsonl", "reports.json", "quotes.npy", "decisions.json", "decisions.npy")


class IndexUnavailable(Exception):
    """The index cannot be used; the message says why."""


def corpus_fingerprint(corpus_dir: Path) -> dict[str, str]:
    """sha256 of every file that shapes the index: the reports and the metadata file."""
    paths = report_files(corpus_dir) + [p for p in [corpus_dir / METADATA_FILE] if p.exists()]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def pipeline_fingerprint() -> str:
    """sha256 of the code that turns files into chunks, so a change to it forces a rebuild."""
    digest = hashlib.sha256()
    for module in (dates, furniture, ingest, chunking, decisions):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def expected_manifest(corpus_dir: Path, chunker: Chunker, embedder: Embedder) -> dict:
    """The manifest fields an index must have to serve this corpus with this model and code."""
    return {
        "format": FORMAT,
        "model": embedder.name,
        "chunker": chunker.settings(),
        "pipeline": pipeline_fingerprint(),
        "corpus": corpus_fingerprint(corpus_dir),
    }


def stale_reasons(manifest: dict, expected: dict) -> list[str]:
    """Why an index built under `manifest` cannot serve `expected`; [] when it can."""
    reasons = []
    for key, what in (("format", "index format"), ("model", "embedding model"), ("chunker", "chunker settings"),
                      ("pipeline", "ingestion/chunking code")):
        if manifest.get(key) != expected[key]:
            reasons.append(f"{what} changed ({manifest.get(key)!r} → {expected[key]!r})")
    old, new = manifest.get("corpus", {}), expected["corpus"]
    for name in sorted(new.keys() - old.keys()):
        reasons.append(f"new file {name}")
    for name in sorted(old.keys() - new.keys()):
        reasons.append(f"file removed: {name}")
    for name in sorted(n for n in new.keys() & old.keys() if new[n] != old[n]):
        reasons.append(f"file changed: {name}")
    return reasons


@dataclass
class Index:
    """A loaded index: vectors, the chunks they stand for, and the cleaned reports."""

    manifest: dict
    vectors: faiss.Index
    chunks: list[Chunk]
    reports: dict[str, Report]
    quote_vectors: np.ndarray  # one row per quotable sentence, chunk by chunk, in order
    decisions: list[Decision]
    decision_vectors: np.ndarray  # one row per decision: its `search_text`

    def __post_init__(self) -> None:
        self.quote_spans = [quote_spans(c) for c in self.chunks]
        self._quote_start = np.cumsum([0] + [len(s) for s in self.quote_spans])
        if self._quote_start[-1] != len(self.quote_vectors):
            raise IndexUnavailable(f"{len(self.quote_vectors)} sentence vectors for {self._quote_start[-1]} sentences")
        if len(self.decision_vectors) != len(self.decisions):
            raise IndexUnavailable(f"{len(self.decision_vectors)} decision vectors for {len(self.decisions)} decisions")

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """Every word (lower case) in the reports, their titles and authors."""
        words: set[str] = set()
        for r in self.reports.values():
            words.update(w.lower() for w in re.findall(r"\w+", f"{r.text} {r.title} {r.author or ''}"))
        return frozenset(words)

    @cached_property
    def sentences(self) -> list[tuple[int, int, int]]:
        """(chunk position, start, end) of each row of `quote_vectors`."""
        return [(i, s, e) for i, spans in enumerate(self.quote_spans) for s, e in spans]

    @cached_property
    def _sentence_row(self) -> dict[tuple[str, int], int]:
        return {(self.chunks[i].source, s): row for row, (i, s, _) in enumerate(self.sentences)}

    def sentence_row(self, source: str, start: int) -> int | None:
        """The `quote_vectors` row of the sentence starting at `start` in report `source`."""
        return self._sentence_row.get((source, start))

    def quote_rows(self, position: int) -> np.ndarray:
        """Rows of `quote_vectors` for the sentences of chunk `position`, in `quote_spans` order."""
        return np.arange(self._quote_start[position], self._quote_start[position + 1])

    def search(self, query_vectors: np.ndarray, k: int, params: faiss.SearchParameters | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, len(self.chunks))
        return self.vectors.search(np.ascontiguousarray(query_vectors, dtype=np.float32), k, params=params)


def _report_to_dict(report: Report) -> dict:
    return {
        "source": report.source, "title": report.title, "author": report.author,
        "meeting_date": report.meeting_date.iso(), "text": report.text, "notes": report.notes,
        "sections": [{"heading": s.heading, "paragraphs": [[p.start, p.end, p.bullet] for p in s.paragraphs]}
                     for s in report.sections],
    }


def _report_from_dict(data: dict) -> Report:
    return Report(
        source=data["source"], title=data["title"], author=data["author"],
        meeting_date=dates.MeetingDate.parse_iso(data["meeting_date"]), text=data["text"], notes=data["notes"],
        sections=[Section(s["heading"], [Paragraph(a, b, c) for a, b, c in s["paragraphs"]]) for s in data["sections"]],
    )


def embed(reports: list[Report], chunks: list[Chunk], embedder: Embedder, manifest: dict,
          text_of: Callable[[Chunk], str] = Chunk.embedding_text,
          log: Callable[[str], None] = lambda _: None, progress: bool = False) -> Index:
    """Embed chunks and their quotable sentences into an in-memory Index."""
    if not chunks:
        raise IndexUnavailable("no reports to index")
    reports_by = {r.source: r for r in reports}
    log(f"embedding {len(chunks)} chunks from {len(reports)} reports")
    vectors = embedder.encode([text_of(c) for c in chunks], progress=progress)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    sentences = [reports_by[c.source].text[a:b] for c in chunks for a, b in quote_spans(c)]
    log(f"embedding {len(sentences)} quotable sentences")
    quote_vectors = embedder.encode(sentences, progress=progress)
    decisions, decision_vectors = find_decisions(reports_by, chunks, embedder)
    log(f"found {len(decisions)} decisions")
    manifest = {
        **manifest,
        "dimensions": int(vectors.shape[1]),
        "faiss_index": "IndexFlatIP (exact inner product on unit vectors)",
        "chunk_count": len(chunks),
        "report_count": len(reports),
    }
    return Index(manifest, flat, chunks, reports_by, quote_vectors, decisions, decision_vectors)


def build(corpus_dir: Path, index_dir: Path, embedder: Embedder, chunker: Chunker | None = None,
          log: Callable[[str], None] = lambda _: None, progress: bool = False) -> Index:
    """Ingest, chunk, embed and save; the new index goes live only once it is complete."""
    chunker = chunker or Chunker(model_fits=embedder.fits)
    started = time.perf_counter()
    expected = expected_manifest(corpus_dir, chunker, embedder)
    reports = read_corpus(corpus_dir)
    for report in reports:
        for note in report.notes:
            log(f"{report.source}: {note}")
    chunks = [c for r in reports for c in chunker.chunk(r)]
    index = embed(reports, chunks, embedder, expected, log=log, progress=progress)
    index.manifest["built_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    index.manifest["build_seconds"] = round(time.perf_counter() - started, 2)
    save(index, index_dir)
    return index


def save(index: Index, index_dir: Path) -> None:
    """Write a complete build folder, then point `current` at it with one atomic rename."""
    index_dir.mkdir(parents=True, exist_ok=True)
    build_dir = index_dir / f"build-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    build_dir.mkdir()
    faiss.write_index(index.vectors, str(build_dir / "vectors.faiss"))
    np.save(build_dir / "quotes.npy", index.quote_vectors)
    np.save(build_dir / "decisions.npy", index.decision_vectors)
    (build_dir / "decisions.json").write_text(
        json.dumps([d.to_dict() for d in index.decisions], ensure_ascii=False), encoding="utf-8")
    with open(build_dir / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for chunk in index.chunks:
            fh.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
    (build_dir / "reports.json").write_text(
        json.dumps([_report_to_dict(r) for r in index.reports.values()], ensure_ascii=False), encoding="utf-8")
    (build_dir / "manifest.json").write_text(json.dumps(index.manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    for name in _FILES:
        with open(build_dir / name, "rb") as fh:
            os.fsync(fh.fileno())
    link = index_dir / f".{CURRENT}.{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(build_dir.name)
    os.replace(link, index_dir / CURRENT)
    for old in index_dir.glob("build-*"):
        if old != build_dir:
            shutil.rmtree(old, ignore_errors=True)


def load(index_dir: Path) -> Index:
    """Load the index in service; IndexUnavailable says what is missing or unreadable."""
    current = index_dir / CURRENT
    if not current.exists():
        raise IndexUnavailable(f"no index in {index_dir}")
    try:
        manifest = json.loads((current / "manifest.json").read_text(encoding="utf-8"))
        vectors = faiss.read_index(str(current / "vectors.faiss"))
        with open(current / "chunks.jsonl", encoding="utf-8") as fh:
            chunks = [Chunk(**json.loads(line)) for line in fh]
        reports = [_report_from_dict(d) for d in json.loads((current / "reports.json").read_text(encoding="utf-8"))]
        quote_vectors = np.load(current / "quotes.npy")
        decisions = [Decision(**d) for d in json.loads((current / "decisions.json").read_text(encoding="utf-8"))]
        decision_vectors = np.load(current / "decisions.npy")
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
        raise IndexUnavailable(f"index in {index_dir} is unreadable: {exc}") from exc
    if vectors.ntotal != len(chunks):
        raise IndexUnavailable(f"index in {index_dir} is inconsistent: {vectors.ntotal} vectors for {len(chunks)} chunks")
    try:
        return Index(manifest, vectors, chunks, {r.source: r for r in reports}, quote_vectors, decisions,
                     decision_vectors)
    except IndexUnavailable as exc:
        raise IndexUnavailable(f"index in {index_dir} is inconsistent: {exc}") from exc


def open_index(corpus_dir: Path, index_dir: Path, embedder: Embedder, chunker: Chunker | None = None,
               log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr), progress: bool = False) -> Index:
    """The index for this corpus: loaded when it is current, (re)built when missing or stale."""
    chunker = chunker or Chunker(model_fits=embedder.fits)
    try:
        index = load(index_dir)
        reasons = stale_reasons(index.manifest, expected_manifest(corpus_dir, chunker, embedder))
    except IndexUnavailable as exc:
        reasons = [str(exc)]
    if not reasons:
        return index
    log("building the index: " + "; ".join(reasons[:5]) + (f" (+{len(reasons) - 5} more)" if len(reasons) > 5 else ""))
    return build(corpus_dir, index_dir, embedder, chunker, log=log, progress=progress)
