"""Adding reports to the corpus: check a file, show what was read from it, then file it for good.

Staff add reports from the command line (`nec-assistant add`) or the web app's "Add a report"
tab; both come here. A file is read in a staging folder first, exactly as the index will read it,
so the preview is what will be indexed. Only when every file reads does anything change: the
files are copied into the corpus under safe names, the facts given (date, title, author, URL) are
written to `meetings.toml`, and one line per file goes to the audit log.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from .errors import IngestError
from .hashing import sha256_file
from .ingest import METADATA_FILE, Report, load_metadata, read_report_file
from .readers.sniff import UnknownFormat, sniff

AUDIT_LOG = "audit.jsonl"
_SUFFIX = {"pdf": ".pdf", "docx": ".docx", "email": ".eml", "html": ".html", "text": ".txt"}
_UNSAFE = re.compile(r"[^\w.-]+")


@dataclass(frozen=True)
class Facts:
    """What staff say about a report, overriding what its text gives; empty fields are left to the text."""

    meeting_date: str = ""
    title: str = ""
    author: str = ""
    url: str = ""

    def entry(self) -> dict[str, str]:
        """The `meetings.toml` table for a file: only the facts given."""
        return {key: value.strip() for key, value in vars(self).items() if value and value.strip()}


@dataclass(frozen=True)
class Staged:
    """A file read and ready to join the corpus: the name it will have there and the reports in it."""

    name: str
    path: Path  # its copy in the staging folder
    reports: list[Report]


def safe_name(name: str, data: bytes) -> str:
    """A file name with no folder, no path tricks and only plain characters, ending as its content is:
    "../../etc/passwd" becomes "passwd.txt", "report.txt" holding a PDF "report.pdf"."""
    try:
        suffix = _SUFFIX[sniff(data)]
    except UnknownFormat:
        suffix = ".txt"  # refused when read; the name only has to be harmless
    if suffix == ".txt" and name.lower().endswith(".md"):
        suffix = ".md"
    base = Path(name.replace("\\", "/")).name
    stem = _UNSAFE.sub("-", base.rsplit(".", 1)[0] if "." in base.strip(".") else base).strip(".-")
    return f"{stem[:80] or 'report'}{suffix}"


def stage(files: list[tuple[str, bytes]], facts: Facts, folder: Path, corpus_dir: Path) -> list[Staged]:
    """Read each (name, content) in `folder` as the index would, with the facts given; IngestError
    names the first file that cannot be read. Nothing in the corpus changes."""
    staged = []
    taken = {p.name for p in corpus_dir.iterdir()} if corpus_dir.is_dir() else set()
    for name, data in files:
        target = _free_name(safe_name(name, data), taken)
        taken.add(target)
        path = folder / target
        path.write_bytes(data)
        meta = {target: facts.entry()} if facts.entry() else {}
        try:
            reports = read_report_file(path, meta)
        except IngestError as exc:  # named as the person gave it, not by the staging folder
            raise IngestError(name + exc.path.name.removeprefix(target), exc.problem, exc.line) from None
        if len(reports) > 1 and facts.meeting_date:
            raise IngestError(name, f"holds {len(reports)} reports of different meetings; one date cannot fit them "
                                    f"all: add it without a date, then correct each in {METADATA_FILE}")
        staged.append(Staged(target, path, reports))
    return staged


def _free_name(name: str, taken: set[str]) -> str:
    stem, suffix = name.rsplit(".", 1)
    n = 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}.{suffix}"
    return name


def file_reports(staged: list[Staged], facts: Facts, corpus_dir: Path, who: str, how: str) -> list[Path]:
    """Copy staged files into the corpus (each whole or not at all), record the facts given in
    meetings.toml and each addition in the audit log; the copies' paths."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    added = []
    for item in staged:
        target = corpus_dir / item.name
        fd, partial = tempfile.mkstemp(dir=corpus_dir, prefix=".adding-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(item.path.read_bytes())
        os.replace(partial, target)
        added.append(target)
    if facts.entry():
        _record_facts(corpus_dir, {item.name: facts.entry() for item in staged})
    with open(corpus_dir / AUDIT_LOG, "a", encoding="utf-8") as log:
        for item, path in zip(staged, added):
            log.write(json.dumps({
                "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "who": who, "how": how, "file": item.name,
                "sha256": sha256_file(path), "facts": facts.entry(),
                "reports": [{"source": r.source, "meeting_date": r.meeting_date.iso(), "title": r.title}
                            for r in item.reports],
            }, ensure_ascii=False) + "\n")
    return added


def _record_facts(corpus_dir: Path, entries: dict[str, dict[str, str]]) -> None:
    """Add tables to meetings.toml: a new file's table is appended, so the comments stay; a file it
    already names has its table updated, and the file is written again (losing its comments)."""
    path = corpus_dir / METADATA_FILE
    existing = load_metadata(corpus_dir)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    for name, entry in entries.items():
        if name in existing:
            text = tomli_w.dumps({**tomllib.loads(text), name: {**existing[name], **entry}})
        else:
            text += ("\n" if text and not text.endswith("\n\n") else "") + tomli_w.dumps({name: entry})
    path.write_text(text, encoding="utf-8")


def preview(staged: list[Staged]) -> str:
    """What was read from each file, as staff check it before adding: date and where it came from,
    title, author, sections and what was left out."""
    lines = []
    for item in staged:
        for r in item.reports:
            lines += [f"{r.source}",
                      f"  meeting   {r.meeting_date.human()}  (from {r.dated_by})",
                      f"  title     {r.title}",
                      f"  author    {r.author or '(not found)'}",
                      f"  url       {r.url or '(none)'}",
                      f"  sections  {', '.join(s.heading for s in r.sections)}"]
            lines += [f"  note      {note}" for note in r.notes]
    return "\n".join(lines)
