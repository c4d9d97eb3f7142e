"""Build, save and load the FAISS index with its chunks, reports and manifest.

On disk, `index/current` is a symlink to one complete build folder. A build is written to a new
folder and the link is swapped with one atomic rename, so a build that fails or is killed
leaves the previous index in service. The manifest records what the index was built from;
when that no longer matches the corpus, model or code, the index is rebuilt.

Chunks and their vectors are kept in segments, folders that are never changed once written.
Adding reports hard-links the previous build's segments into the new folder and writes one
segment for the new reports, so saving costs the new reports alone, not the whole index.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from . import ann, chunking, dates, decisions, furniture, ingest
from .chunking import Chunk, Chunker, quote_spans
from .decisions import Decision, find_decisions
from .embed import Embedder
from .ingest import METADATA_FILE, IngestError, Paragraph, Report, Section, load_metadata, read_reports, report_files

FORMAT = 6
CURRENT = "current"
SEGMENTS = "segments"
_SEGMENT_FILES = ("chunks.jsonl", "vectors.npy", "quotes.npy")


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


def _build_reasons(manifest: dict, expected: dict) -> list[str]:
    """What changed in how the index is built (model, chunker, code): any of it voids every vector.
    (An index in another format does not load at all.)"""
    return [f"{what} changed ({manifest.get(key)!r} → {expected[key]!r})"
            for key, what in (("model", "embedding model"),
                              ("chunker", "chunker settings"), ("pipeline", "ingestion/chunking code"))
            if manifest.get(key) != expected[key]]


def stale_reasons(manifest: dict, expected: dict) -> list[str]:
    """Why an index built under `manifest` cannot serve `expected`; [] when it can."""
    reasons = _build_reasons(manifest, expected)
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
    quote_spans: list[list[tuple[int, int]]] | None = None  # per chunk; worked out from the chunks when not given
    # Segment id → the build folder already holding its files, which `save` hard-links instead of writing.
    stored: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.quote_spans is None:
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

    def search(self, query_vectors: np.ndarray, k: int, allowed: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest chunks, among the rows in `allowed` when given."""
        k = min(k, len(self.chunks))
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(allowed)
            params = (faiss.SearchParametersIVF(sel=selector, nprobe=self.vectors.nprobe)
                      if isinstance(self.vectors, faiss.IndexIVF) else faiss.SearchParameters(sel=selector))
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


def _rows(array: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """array[rows], as a view when rows are its first rows in order (every old report kept): no copy
    of a gigabyte of sentence vectors before the one `vstack` makes anyway."""
    if len(rows) and rows[0] == 0 and rows[-1] == len(rows) - 1 and np.all(np.diff(rows) == 1):
        return array[:len(rows)]
    return array[rows]


def embed(reports: list[Report], chunks: list[Chunk], embedder: Embedder, manifest: dict,
          text_of: Callable[[Chunk], str] = Chunk.embedding_text,
          log: Callable[[str], None] = lambda _: None, progress: bool = False, reuse: Index | None = None) -> Index:
    """Embed chunks and their quotable sentences into an in-memory Index.

    With `reuse`, the chunks, vectors and decisions of every report it holds are taken from it
    and only the other reports' chunks are embedded: adding one report costs that report alone."""
    if not chunks and not reuse:
        raise IndexUnavailable("no reports to index")
    reports_by = {r.source: r for r in reports}
    kept = [i for i, c in enumerate(reuse.chunks) if c.source in reports_by] if reuse else []
    log(f"embedding {len(chunks)} chunks from {len({c.source for c in chunks})} reports"
        + (f"; reusing {len(kept)} chunks already embedded" if reuse else ""))
    new_vectors = embedder.encode([text_of(c) for c in chunks], progress=progress)
    spans = [quote_spans(c) for c in chunks]
    sentences = [reports_by[c.source].text[a:b] for c, chunk_spans in zip(chunks, spans) for a, b in chunk_spans]
    log(f"embedding {len(sentences)} quotable sentences")
    new_quote_vectors = embedder.encode(sentences, progress=progress)
    new_decisions, new_decision_vectors = find_decisions(reports_by, chunks, spans, new_quote_vectors, embedder)
    if reuse:
        spans = [reuse.quote_spans[i] for i in kept] + spans
        sentence_rows = np.concatenate([reuse.quote_rows(i) for i in kept] + [np.zeros(0, dtype=np.int64)])
        old_decisions = [i for i, d in enumerate(reuse.decisions) if d.source in reports_by]
        chunks = [reuse.chunks[i] for i in kept] + chunks
        new_vectors = np.vstack([reuse.vectors.reconstruct_batch(np.array(kept, dtype=np.int64)), new_vectors])
        new_quote_vectors = np.vstack([_rows(reuse.quote_vectors, sentence_rows), new_quote_vectors])
        new_decisions = [reuse.decisions[i] for i in old_decisions] + new_decisions
        new_decision_vectors = np.vstack([reuse.decision_vectors[old_decisions], new_decision_vectors])
        order = sorted(range(len(new_decisions)), key=lambda i: new_decisions[i].sort_key())
        new_decisions, new_decision_vectors = [new_decisions[i] for i in order], new_decision_vectors[order]
    log(f"found {len(new_decisions)} decisions")
    vectors, chosen = ann.vector_index(new_vectors)
    # Every old chunk kept, in order: its segments stand as they are and the new chunks make one more.
    old_segments = ([dict(seg) for seg in reuse.manifest.get("segments", [])]
                    if reuse and len(kept) == len(reuse.chunks) else [])
    new_segment = {"id": f"{len(old_segments):04d}",
                   "chunks": len(chunks) - sum(seg["chunks"] for seg in old_segments),
                   "sentences": len(new_quote_vectors) - sum(seg["sentences"] for seg in old_segments)}
    manifest = {
        **manifest,
        "dimensions": int(new_vectors.shape[1]),
        "faiss_index": chosen,
        "chunk_count": len(chunks),
        "report_count": len(reports),
        "embedded_chunks": len(new_vectors) - len(kept),
        "segments": old_segments + ([new_segment] if new_segment["chunks"] or not old_segments else []),
    }
    stored = {seg["id"]: reuse.stored[seg["id"]] for seg in old_segments if seg["id"] in reuse.stored}
    return Index(manifest, ann.prepare(vectors, chosen), chunks, reports_by, new_quote_vectors, new_decisions,
                 new_decision_vectors, spans, stored)


def _reusable(index_dir: Path, expected: dict, loaded: Index | None) -> Index | None:
    """The index in service, when it was built with this model, chunker, code and metadata file."""
    try:
        old = loaded or load(index_dir)
    except IndexUnavailable:
        return None
    same_metadata = old.manifest["corpus"].get(METADATA_FILE) == expected["corpus"].get(METADATA_FILE)
    return old if same_metadata and not _build_reasons(old.manifest, expected) else None


def build(corpus_dir: Path, index_dir: Path, embedder: Embedder, chunker: Chunker | None = None,
          log: Callable[[str], None] = lambda _: None, progress: bool = False, strict: bool = False,
          in_service: Index | None = None) -> Index:
    """Ingest, chunk, embed and save; the new index goes live only once it is complete.

    Reports whose file is unchanged since the index in service are not read or embedded again
    (pass `in_service` when it is already loaded: at 100k chunks loading takes seconds). A file
    that cannot be read is skipped, and listed at the end, unless `strict`."""
    chunker = chunker or Chunker(model_fits=embedder.fits)
    started = time.perf_counter()
    expected = expected_manifest(corpus_dir, chunker, embedder)
    old = _reusable(index_dir, expected, in_service)
    unchanged = {name for name, sha in expected["corpus"].items()
                 if old and name in old.reports and old.manifest["corpus"].get(name) == sha}
    kept = [old.reports[n] for n in unchanged]
    fresh, skipped = read_reports([p for p in report_files(corpus_dir) if p.name not in unchanged],
                                  load_metadata(corpus_dir), strict, known=kept)
    for report in fresh:
        for note in report.notes:
            log(f"{report.source}: {note}")
    reports = sorted(kept + fresh, key=lambda r: (r.meeting_date.sort_key(), r.source))
    if not reports:
        raise IndexUnavailable(f"no report in {corpus_dir} could be read: " + "; ".join(map(str, skipped)))
    chunks = [c for r in fresh for c in chunker.chunk(r)]
    index = embed(reports, chunks, embedder, expected, log=log, progress=progress, reuse=old if unchanged else None)
    index.manifest["skipped"] = [str(e) for e in skipped]
    index.manifest["built_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    index.manifest["build_seconds"] = round(time.perf_counter() - started, 2)
    save(index, index_dir)
    if skipped:
        log(f"skipped {len(skipped)} file{'s' if len(skipped) > 1 else ''} (fix and rebuild, or --strict to stop on them):")
        for problem in skipped:
            log(f"  {problem}")
    return index


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_segment(index: Index, segment: dict, chunk_start: int, sentence_start: int, folder: Path) -> None:
    folder.mkdir(parents=True)
    rows = slice(chunk_start, chunk_start + segment["chunks"])
    with open(folder / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for chunk in index.chunks[rows]:
            fh.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
    np.save(folder / "vectors.npy", index.vectors.reconstruct_n(chunk_start, segment["chunks"]))
    np.save(folder / "quotes.npy", index.quote_vectors[sentence_start:sentence_start + segment["sentences"]])


def _linked(source: Path, folder: Path) -> bool:
    """Hard-link a stored segment's files into `folder`; False (and nothing left) where that fails,
    as across file systems or when another build has already removed the source folder."""
    folder.mkdir(parents=True)
    try:
        for name in _SEGMENT_FILES:
            os.link(source / name, folder / name)
        return True
    except OSError:
        shutil.rmtree(folder)
        return False


def save(index: Index, index_dir: Path) -> None:
    """Write a complete build folder, then point `current` at it with one atomic rename.

    Segments the index in service already holds are linked, not written, and keep the checksums
    in their manifest entry: they were checked when it loaded, and segment files never change."""
    index_dir.mkdir(parents=True, exist_ok=True)
    build_dir = Path(tempfile.mkdtemp(prefix=f"build-{time.strftime('%Y%m%d-%H%M%S')}-", dir=index_dir))
    written = ["reports.json", "decisions.json", "decisions.npy"]
    chunk_start = sentence_start = 0
    for segment in index.manifest["segments"]:
        folder = build_dir / SEGMENTS / segment["id"]
        source = index.stored.get(segment["id"])
        if not (source and "checksums" in segment and _linked(source / SEGMENTS / segment["id"], folder)):
            _write_segment(index, segment, chunk_start, sentence_start, folder)
            segment["checksums"] = {name: _sha256(folder / name) for name in _SEGMENT_FILES}
            written += [f"{SEGMENTS}/{segment['id']}/{name}" for name in _SEGMENT_FILES]
        chunk_start += segment["chunks"]
        sentence_start += segment["sentences"]
    if not index.manifest["faiss_index"]["exact"]:  # an exact index is rebuilt from the vectors on load
        faiss.write_index(index.vectors, str(build_dir / "vectors.faiss"))
        written.append("vectors.faiss")
    np.save(build_dir / "decisions.npy", index.decision_vectors)
    (build_dir / "decisions.json").write_text(
        json.dumps([d.to_dict() for d in index.decisions], ensure_ascii=False), encoding="utf-8")
    (build_dir / "reports.json").write_text(
        json.dumps([_report_to_dict(r) for r in index.reports.values()], ensure_ascii=False), encoding="utf-8")
    index.manifest["checksums"] = {name: _sha256(build_dir / name) for name in written if not name.startswith(SEGMENTS)}
    (build_dir / "manifest.json").write_text(json.dumps(index.manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    for name in written + ["manifest.json"]:
        with open(build_dir / name, "rb") as fh:
            os.fsync(fh.fileno())
    link = index_dir / f".{CURRENT}.{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(build_dir.name)
    os.replace(link, index_dir / CURRENT)
    index.stored = {segment["id"]: build_dir for segment in index.manifest["segments"]}
    for old in index_dir.glob("build-*"):
        if old != build_dir:
            shutil.rmtree(old, ignore_errors=True)


def _checksums(manifest: dict) -> dict[str, str]:
    """The sha256 of every file in a build folder, by its path there."""
    sums = dict(manifest.get("checksums", {}))
    for segment in manifest.get("segments", []):
        sums.update({f"{SEGMENTS}/{segment['id']}/{name}": digest for name, digest in segment["checksums"].items()})
    return sums


def load(index_dir: Path) -> Index:
    """Load the index in service; IndexUnavailable says what is missing or unreadable."""
    current = index_dir / CURRENT
    if not current.exists():
        raise IndexUnavailable(f"no index in {index_dir}")
    try:
        manifest = json.loads((current / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise IndexUnavailable(f"index in {index_dir} is in format {manifest.get('format')}; "
                                   f"this version reads format {FORMAT}")
        damaged = [name for name, digest in _checksums(manifest).items() if _sha256(current / name) != digest]
        if damaged:
            raise IndexUnavailable(f"index in {index_dir} is damaged: {', '.join(damaged)} "
                                   "no longer match the checksums in its manifest")
        chunks, vector_parts, quote_parts = [], [], []
        for segment in manifest["segments"]:
            folder = current / SEGMENTS / segment["id"]
            with open(folder / "chunks.jsonl", encoding="utf-8") as fh:
                chunks += [Chunk(**json.loads(line)) for line in fh]
            vector_parts.append(np.load(folder / "vectors.npy"))
            quote_parts.append(np.load(folder / "quotes.npy"))
        quote_vectors = quote_parts[0] if len(quote_parts) == 1 else np.concatenate(quote_parts)
        vectors = (ann.exact_index(np.concatenate(vector_parts)) if manifest["faiss_index"]["exact"]
                   else faiss.read_index(str(current / "vectors.faiss")))
        del vector_parts
        reports = [_report_from_dict(d) for d in json.loads((current / "reports.json").read_text(encoding="utf-8"))]
        decisions = [Decision(**d) for d in json.loads((current / "decisions.json").read_text(encoding="utf-8"))]
        decision_vectors = np.load(current / "decisions.npy")
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
        raise IndexUnavailable(f"index in {index_dir} is unreadable: {exc}") from exc
    vectors = ann.prepare(vectors, manifest.get("faiss_index", {}))
    if vectors.ntotal != len(chunks):
        raise IndexUnavailable(f"index in {index_dir} is inconsistent: {vectors.ntotal} vectors for {len(chunks)} chunks")
    try:
        return Index(manifest, vectors, chunks, {r.source: r for r in reports}, quote_vectors, decisions,
                     decision_vectors, stored={segment["id"]: current.resolve() for segment in manifest["segments"]})
    except IndexUnavailable as exc:
        raise IndexUnavailable(f"index in {index_dir} is inconsistent: {exc}") from exc


def open_index(corpus_dir: Path, index_dir: Path, embedder: Embedder, chunker: Chunker | None = None,
               log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr), progress: bool = False) -> Index:
    """The index for this corpus: loaded when it is current, (re)built when missing or stale."""
    chunker = chunker or Chunker(model_fits=embedder.fits)
    index = None
    try:
        index = load(index_dir)
        reasons = stale_reasons(index.manifest, expected_manifest(corpus_dir, chunker, embedder))
    except IndexUnavailable as exc:
        reasons = [str(exc)]
    if not reasons:
        return index
    log("building the index: " + "; ".join(reasons[:5]) + (f" (+{len(reasons) - 5} more)" if len(reasons) > 5 else ""))
    try:
        return build(corpus_dir, index_dir, embedder, chunker, log=log, progress=progress, in_service=index)
    except (IngestError, IndexUnavailable) as exc:
        if index is None:
            raise
        log(f"the new index could not be built ({exc}); still serving the index built {index.manifest.get('built_at')}")
        return index
