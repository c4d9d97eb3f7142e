"""Make the index for a corpus: what to read and embed, what to reuse, and when to rebuild.

The manifest records what an index was built from (model, chunker, ingestion code, every corpus
file's sha256); when that no longer matches, the index is rebuilt and the reason is said (a
read-only replica, `open_read_only`, says it and serves the index as it is). Reports
whose file is unchanged keep their chunks and vectors, so adding a report embeds that report alone.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import ann, asides, chunking, dates, decisions, furniture, ingest, sentences, store
from .chunking import Chunk, Chunker, chunk_sentences
from .decisions import find_decisions
from .embed import Embedder
from .errors import IndexUnavailable, IngestError
from .glossary import GLOSSARY_FILE, load_glossary
from .hashing import sha256_file
from .index import Index
from .ingest import METADATA_FILE, Report, load_metadata, read_reports, report_files
from .senses import Senses, embed_with_senses


def corpus_fingerprint(corpus_dir: Path) -> dict[str, str]:
    """sha256 of every file that shapes the index: the reports, the metadata file and the glossary."""
    paths = report_files(corpus_dir) + [p for p in [corpus_dir / METADATA_FILE, corpus_dir / GLOSSARY_FILE]
                                        if p.exists()]
    return {p.name: sha256_file(p) for p in paths}


def pipeline_fingerprint() -> str:
    """sha256 of the code that turns files into chunks, so a change to it forces a rebuild."""
    digest = hashlib.sha256()
    for module in (dates, furniture, sentences, asides, ingest, chunking, decisions):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def metadata_fingerprint(corpus_dir: Path) -> dict[str, str]:
    """sha256 of each file's table in meetings.toml, so that a changed table re-reads that file alone."""
    return {name: hashlib.sha256(json.dumps(entry, sort_keys=True, default=str).encode()).hexdigest()
            for name, entry in load_metadata(corpus_dir).items()}


def expected_manifest(corpus_dir: Path, chunker: Chunker, embedder: Embedder) -> dict:
    """The manifest fields an index must have to serve this corpus with this model and code."""
    return {
        "format": store.FORMAT,
        "model": embedder.name,
        "chunker": chunker.settings(),
        "pipeline": pipeline_fingerprint(),
        "corpus": corpus_fingerprint(corpus_dir),
        "metadata": metadata_fingerprint(corpus_dir),
        "glossary": load_glossary(corpus_dir),
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


def _rows(array: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """array[rows], as a view when rows are its first rows in order (every old report kept): no copy
    of a gigabyte of sentence vectors before the one `vstack` makes anyway."""
    if len(rows) and rows[0] == 0 and rows[-1] == len(rows) - 1 and np.all(np.diff(rows) == 1):
        return array[:len(rows)]
    return array[rows]


def embed_chunks(reports: list[Report], chunks: list[Chunk], embedder: Embedder, manifest: dict,
                 text_of: Callable[[Chunk], str] = Chunk.embedding_text,
                 log: Callable[[str], None] = lambda _: None, progress: bool = False,
                 reuse: Index | None = None) -> Index:
    """Embed chunks and their quotable sentences into an in-memory Index.

    With `reuse`, the chunks, vectors and decisions of every report it holds are taken from it
    and only the other reports' chunks are embedded: adding one report costs that report alone."""
    if not chunks and not reuse:
        raise IndexUnavailable("no reports to index")
    reports_by = {r.source: r for r in reports}
    new = {c.source for c in chunks}  # a report read again replaces its old chunks

    def keeps(source: str) -> bool:
        return source in reports_by and source not in new

    kept = [i for i, c in enumerate(reuse.chunks) if keeps(c.source)] if reuse else []
    log(f"embedding {len(chunks)} chunks from {len({c.source for c in chunks})} reports"
        + (f"; reusing {len(kept)} chunks already embedded" if reuse else ""))
    chunk_vectors = embedder.encode([text_of(c) for c in chunks], progress=progress)
    spans = [chunk_sentences(c) for c in chunks]
    sentences = [reports_by[c.source].text[a:b] for c, chunk_spans in zip(chunks, spans) for a, b in chunk_spans]
    log(f"embedding {len(sentences)} quotable sentences")
    sentence_vectors, senses = embed_with_senses(embedder, sentences, progress=progress)
    decisions, decision_vectors = find_decisions(reports_by, chunks, spans, sentence_vectors, embedder)
    if reuse:
        spans = [reuse.sentence_spans[i] for i in kept] + spans
        old_decisions = [i for i, d in enumerate(reuse.decisions) if keeps(d.source)]
        chunks = [reuse.chunks[i] for i in kept] + chunks
        chunk_vectors = np.vstack([reuse.faiss_index.reconstruct_batch(np.array(kept, dtype=np.int64)), chunk_vectors])
        sentence_vectors = np.vstack([_rows(reuse.sentence_vectors, reuse.sentence_ids(kept)), sentence_vectors])
        senses = Senses.join([reuse.senses.take(reuse.sentence_ids(kept)), senses])
        decisions = [reuse.decisions[i] for i in old_decisions] + decisions
        decision_vectors = np.vstack([reuse.decision_vectors[old_decisions], decision_vectors])
        order = sorted(range(len(decisions)), key=lambda i: decisions[i].sort_key())
        decisions, decision_vectors = [decisions[i] for i in order], decision_vectors[order]
    log(f"found {len(decisions)} decisions")
    vectors, chosen = ann.vector_index(chunk_vectors)
    # Every old chunk kept, in order: its segments stand as they are and the new chunks make one more.
    old_segments = ([dict(seg) for seg in reuse.manifest.get("segments", [])]
                    if reuse and len(kept) == len(reuse.chunks) else [])
    new_segment = {"id": f"{len(old_segments):04d}",
                   "chunks": len(chunks) - sum(seg["chunks"] for seg in old_segments),
                   "sentences": len(sentence_vectors) - sum(seg["sentences"] for seg in old_segments)}
    manifest = {
        **manifest,
        "dimensions": int(chunk_vectors.shape[1]),
        "faiss_index": chosen,
        "chunk_count": len(chunks),
        "report_count": len(reports),
        "embedded_chunks": len(chunk_vectors) - len(kept),
        "segments": old_segments + ([new_segment] if new_segment["chunks"] or not old_segments else []),
    }
    stored = {seg["id"]: reuse.stored[seg["id"]] for seg in old_segments if seg["id"] in reuse.stored}
    return Index(manifest, chunks, reports_by, decisions, ann.prepare(vectors, chosen), sentence_vectors,
                 decision_vectors, senses, spans, stored)


def _reusable(index_dir: Path, expected: dict, loaded: Index | None) -> Index | None:
    """The index in service, when it was built with this model, chunker and code."""
    try:
        old = loaded or store.load(index_dir)
    except IndexUnavailable:
        return None
    return None if _build_reasons(old.manifest, expected) else old


def _of_file(name: str, keys) -> list[str]:
    """The report sources (or meetings.toml tables) of one file: "a.html", or "a.html#1", "a.html#2"."""
    return [key for key in keys if key == name or key.startswith(f"{name}#")]


def _unchanged(old: Index, expected: dict) -> set[str]:
    """Files whose bytes and meetings.toml tables are as when `old` was built: their reports are kept."""
    was, now = old.manifest.get("metadata", {}), expected["metadata"]
    return {name for name, sha in expected["corpus"].items()
            if old.manifest["corpus"].get(name) == sha and _of_file(name, old.reports)
            and all(was.get(key) == now.get(key) for key in _of_file(name, was.keys() | now.keys()))}


def build(corpus_dir: Path, index_dir: Path, embedder: Embedder, chunker: Chunker | None = None,
          log: Callable[[str], None] = lambda _: None, progress: bool = False, strict: bool = False,
          in_service: Index | None = None) -> Index:
    """Ingest, chunk, embed and save; the new index goes live only once it is complete.

    Reports whose file is unchanged since the index in service are not read or embedded again
    (pass `in_service` when it is already loaded: a large index takes seconds to load). A file
    that cannot be read is skipped, and listed at the end, unless `strict`."""
    chunker = chunker or Chunker(model_fits=embedder.fits)
    started = time.perf_counter()
    expected = expected_manifest(corpus_dir, chunker, embedder)
    old = _reusable(index_dir, expected, in_service)
    unchanged = _unchanged(old, expected) if old else set()
    kept = [old.reports[source] for name in unchanged for source in _of_file(name, old.reports)]
    fresh, skipped = read_reports([p for p in report_files(corpus_dir) if p.name not in unchanged],
                                  load_metadata(corpus_dir), strict, known=kept)
    for report in fresh:
        for note in report.notes:
            log(f"{report.source}: {note}")
    reports = sorted(kept + fresh, key=lambda r: (r.meeting_date.sort_key(), r.source))
    if not reports:
        raise IndexUnavailable(f"no report in {corpus_dir} could be read: " + "; ".join(map(str, skipped)))
    chunks = [c for r in fresh for c in chunker.chunk(r)]
    index = embed_chunks(reports, chunks, embedder, expected, log=log, progress=progress,
                         reuse=old if unchanged else None)
    index.manifest["skipped"] = [str(e) for e in skipped]
    index.manifest["built_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    index.manifest["build_seconds"] = round(time.perf_counter() - started, 2)
    store.save(index, index_dir)
    if skipped:
        log(f"skipped {len(skipped)} file{'s' if len(skipped) > 1 else ''} (fix and rebuild, or --strict to stop on them):")
        for problem in skipped:
            log(f"  {problem}")
    return index


def _listed(reasons: list[str], shown: int = 5) -> str:
    """The first reasons, and how many more: a whole corpus changed would fill the log."""
    more = f" (+{len(reasons) - shown} more)" if len(reasons) > shown else ""
    return "; ".join(reasons[:shown]) + more


def open_index(corpus_dir: Path, index_dir: Path, embedder: Embedder, chunker: Chunker | None = None,
               log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr), progress: bool = False) -> Index:
    """The index for this corpus: loaded when it is current, (re)built when missing or stale.

    When a rebuild fails, the index already in service goes on serving and the reason is logged."""
    chunker = chunker or Chunker(model_fits=embedder.fits)
    index = None
    try:
        index = store.load(index_dir)
    except IndexUnavailable as exc:
        reasons = [str(exc)]
    try:
        if index is not None:  # reading meetings.toml or the glossary can fail here, as well as in the build
            reasons = stale_reasons(index.manifest, expected_manifest(corpus_dir, chunker, embedder))
            if not reasons:
                return index
        log("building the index: " + _listed(reasons))
        return build(corpus_dir, index_dir, embedder, chunker, log=log, progress=progress, in_service=index)
    except (IngestError, IndexUnavailable) as exc:
        if index is None:
            raise
        log(f"the new index could not be built ({exc}); still serving the index built {index.manifest.get('built_at')}")
        return index


def open_read_only(corpus_dir: Path, index_dir: Path, embedder: Embedder, chunker: Chunker | None = None,
                   log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr)) -> Index:
    """The index in `index_dir` as it is, never built, refreshed or written: replicas share one index
    that `nec-assistant index` built once. The reports are in the index, so the corpus is only read,
    when present, to say in the log that the index is stale; a stale index is served all the same."""
    try:
        index = store.load(index_dir)
    except IndexUnavailable as exc:
        raise IndexUnavailable(f"{exc}; read-only serving never builds one: run "
                               f"`nec-assistant index --corpus {corpus_dir} --index {index_dir}` first") from exc
    if not corpus_dir.is_dir():
        log(f"no corpus at {corpus_dir}: serving the index in {index_dir} without checking it is current")
        return index
    try:
        expected = expected_manifest(corpus_dir, chunker or Chunker(model_fits=embedder.fits), embedder)
    except (OSError, IngestError) as exc:  # an unreadable file or meetings.toml: a replica serves regardless
        log(f"serving the index in {index_dir} without checking it against {corpus_dir}: {exc}")
        return index
    reasons = stale_reasons(index.manifest, expected)
    if reasons:
        log(f"the index in {index_dir} is stale against {corpus_dir}: {_listed(reasons)}; "
            "serving it anyway, read-only: rebuild it with `nec-assistant index`")
    return index
