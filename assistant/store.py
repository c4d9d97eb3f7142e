"""The index on disk: build folders of segments, a manifest with checksums, and an atomic swap.

`index/current` is a symlink to one complete build folder. A build is written to a new folder and
the link is swapped with one atomic rename, so a build that fails or is killed leaves the
previous index in service.

Chunks and their vectors are kept in segments, folders that are never changed once written.
Saving an index that holds a previous build's segments hard-links them into the new folder and
writes only the rest, so adding a report costs that report alone, not the whole index.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from . import ann
from .chunking import Chunk
from .dates import MeetingDate
from .decisions import Decision
from .errors import IndexUnavailable
from .hashing import sha256_file
from .index import Index
from .ingest import Paragraph, Report, Section
from .senses import Senses

FORMAT = 8  # 7: each sentence's word senses (senses.npy, senses.json); 8: a hyphenated word's parts too
CURRENT = "current"
SEGMENTS = "segments"
_SEGMENT_FILES = ("chunks.jsonl", "vectors.npy", "quotes.npy", "senses.npy", "senses.json")


def _report_to_dict(report: Report) -> dict:
    return {
        "source": report.source, "title": report.title, "author": report.author,
        "meeting_date": report.meeting_date.iso(), "text": report.text, "notes": report.notes,
        "url": report.url, "dated_by": report.dated_by, "asides": report.asides,
        "sections": [{"heading": s.heading, "paragraphs": [[p.start, p.end, p.bullet] for p in s.paragraphs]}
                     for s in report.sections],
    }


def _report_from_dict(data: dict) -> Report:
    return Report(
        source=data["source"], title=data["title"], author=data["author"],
        meeting_date=MeetingDate.parse_iso(data["meeting_date"]), text=data["text"], notes=data["notes"],
        url=data.get("url"), dated_by=data.get("dated_by", ""), asides=[tuple(a) for a in data.get("asides", [])],
        sections=[Section(s["heading"], [Paragraph(a, b, c) for a, b, c in s["paragraphs"]]) for s in data["sections"]],
    )


def _write_segment(index: Index, segment: dict, chunk_start: int, sentence_start: int, folder: Path) -> None:
    folder.mkdir(parents=True)
    rows = slice(chunk_start, chunk_start + segment["chunks"])
    with open(folder / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for chunk in index.chunks[rows]:
            fh.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
    np.save(folder / "vectors.npy", index.faiss_index.reconstruct_n(chunk_start, segment["chunks"]))
    sentence_ids = np.arange(sentence_start, sentence_start + segment["sentences"])
    np.save(folder / "quotes.npy", index.sentence_vectors[sentence_ids])
    senses = index.senses.take(sentence_ids)
    np.save(folder / "senses.npy", senses.vectors)
    (folder / "senses.json").write_text(json.dumps(senses.words, ensure_ascii=False), encoding="utf-8")


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
    build_dir.chmod(0o755)  # mkdtemp's 0700 would hide the index from replicas running as another user
    written = ["reports.json", "decisions.json", "decisions.npy"]
    chunk_start = sentence_start = 0
    for segment in index.manifest["segments"]:
        folder = build_dir / SEGMENTS / segment["id"]
        source = index.stored.get(segment["id"])
        if not (source and "checksums" in segment and _linked(source / SEGMENTS / segment["id"], folder)):
            _write_segment(index, segment, chunk_start, sentence_start, folder)
            segment["checksums"] = {name: sha256_file(folder / name) for name in _SEGMENT_FILES}
            written += [f"{SEGMENTS}/{segment['id']}/{name}" for name in _SEGMENT_FILES]
        chunk_start += segment["chunks"]
        sentence_start += segment["sentences"]
    if not index.manifest["faiss_index"]["exact"]:  # an exact index is rebuilt from the vectors on load
        faiss.write_index(index.faiss_index, str(build_dir / "vectors.faiss"))
        written.append("vectors.faiss")
    np.save(build_dir / "decisions.npy", index.decision_vectors)
    (build_dir / "decisions.json").write_text(
        json.dumps([d.to_dict() for d in index.decisions], ensure_ascii=False), encoding="utf-8")
    (build_dir / "reports.json").write_text(
        json.dumps([_report_to_dict(r) for r in index.reports.values()], ensure_ascii=False), encoding="utf-8")
    index.manifest["checksums"] = {name: sha256_file(build_dir / name) for name in written
                                   if not name.startswith(SEGMENTS)}
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
        damaged = [name for name, digest in _checksums(manifest).items() if sha256_file(current / name) != digest]
        if damaged:
            raise IndexUnavailable(f"index in {index_dir} is damaged: {', '.join(damaged)} "
                                   "no longer match the checksums in its manifest")
        chunks, vector_parts, sentence_parts, sense_parts = [], [], [], []
        for segment in manifest["segments"]:
            folder = current / SEGMENTS / segment["id"]
            with open(folder / "chunks.jsonl", encoding="utf-8") as fh:
                chunks += [Chunk(**json.loads(line)) for line in fh]
            vector_parts.append(np.load(folder / "vectors.npy"))
            sentence_parts.append(np.load(folder / "quotes.npy"))
            sense_parts.append(Senses(json.loads((folder / "senses.json").read_text(encoding="utf-8")),
                                      np.load(folder / "senses.npy")))
        sentence_vectors = sentence_parts[0] if len(sentence_parts) == 1 else np.concatenate(sentence_parts)
        vectors = (ann.exact_index(np.concatenate(vector_parts)) if manifest["faiss_index"]["exact"]
                   else faiss.read_index(str(current / "vectors.faiss")))
        del vector_parts
        reports = [_report_from_dict(d) for d in json.loads((current / "reports.json").read_text(encoding="utf-8"))]
        decisions = [Decision(**d) for d in json.loads((current / "decisions.json").read_text(encoding="utf-8"))]
        decision_vectors = np.load(current / "decisions.npy")
        senses = Senses.join(sense_parts)
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
        raise IndexUnavailable(f"index in {index_dir} is unreadable: {exc}") from exc
    vectors = ann.prepare(vectors, manifest.get("faiss_index", {}))
    if vectors.ntotal != len(chunks):
        raise IndexUnavailable(f"index in {index_dir} is inconsistent: {vectors.ntotal} vectors for {len(chunks)} chunks")
    try:
        return Index(manifest, chunks, {r.source: r for r in reports}, decisions, vectors, sentence_vectors,
                     decision_vectors, senses, stored={segment["id"]: current.resolve() for segment in manifest["segments"]})
    except IndexUnavailable as exc:
        raise IndexUnavailable(f"index in {index_dir} is inconsistent: {exc}") from exc
