"""The one entry point both shells call: open the index, search, ask, list decisions, add reports.

`cli` and `app` hold an `Assistant` and nothing below it, so what a question gets is decided in
one place and both shells give the same answer to the same question. Adding a report builds the
new index beside the one in service and then swaps it in with one assignment: a question already
being answered finishes on the index it started with, and the next one gets the new index.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from .answer import Answer, answer
from .build import build, open_index, open_read_only
from .decisions import Decision, select
from .embed import Embedder
from .errors import IndexUnavailable, IngestError
from .index import Index
from .ingest import Report
from .intake import Facts, Staged, file_reports, stage
from .question import Question
from .retrieve import Filters, Hit, Retriever

# The manifest fields that decide what an index answers (build.expected_manifest): the same values, the same answers.
_VERSION_FIELDS = ("format", "model", "chunker", "pipeline", "corpus", "metadata")


class Assistant:
    """Questions about one corpus, answered from its index with one embedding model."""

    def __init__(self, index: Index, embedder: Embedder, corpus_dir: Path | None = None,
                 index_dir: Path | None = None, read_only: bool = False):
        self.embedder, self.corpus_dir, self.index_dir = embedder, corpus_dir, index_dir
        self.read_only = read_only  # a replica of a shared index: `add` is refused, nothing is written
        self._retriever = Retriever(index, embedder)
        self._adding = threading.Lock()  # one addition at a time; questions never wait for it
        self._version: tuple[Index, str] | None = None  # index_version, worked out once per index

    @classmethod
    def open(cls, corpus_dir: Path, index_dir: Path, embedder: Embedder | None = None,
             log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr), progress: bool = False,
             read_only: bool = False) -> Assistant:
        """The assistant for a corpus, building or refreshing its index first when it is missing or stale;
        `read_only`, the index as it is (see `build.open_read_only`), for replicas sharing one index."""
        embedder = embedder or Embedder()
        index = (open_read_only(corpus_dir, index_dir, embedder, log=log) if read_only
                 else open_index(corpus_dir, index_dir, embedder, log=log, progress=progress))
        return cls(index, embedder, corpus_dir, index_dir, read_only)

    @property
    def retriever(self) -> Retriever:
        return self._retriever

    @property
    def index(self) -> Index:
        return self._retriever.index

    @property
    def index_version(self) -> str:
        """A short name for what the index in service was built from, logged with each answer so that
        answers given by different indexes (a report added, the model or code changed) can be told apart."""
        index, known = self.index, self._version
        if known is None or known[0] is not index:  # hashing the corpus list each answer would cost ~10 ms at 10k files
            fields = json.dumps({k: index.manifest.get(k) for k in _VERSION_FIELDS}, sort_keys=True)
            known = self._version = (index, hashlib.sha256(fields.encode()).hexdigest()[:12])
        return known[1]

    @property
    def reports(self) -> dict[str, Report]:
        return self._retriever.index.reports

    def search(self, question: str | Question, k: int = 5, filters: Filters = Filters()) -> list[Hit]:
        """The k passages that best answer the question, best first."""
        return self._retriever.search(_read(question), k=k, filters=filters)

    def ask(self, question: str | Question, filters: Filters = Filters()) -> Answer:
        """An answer quoting the reports, or the reason it cannot; pass a `Question` read with the
        previous one to answer a follow-up."""
        return answer(_read(question), self._retriever, filters=filters)

    def decisions(self, topic: str | None = None, filters: Filters = Filters()) -> list[Decision]:
        """What the committee agreed in the meetings the filters allow, near `topic` in meaning when given."""
        index = self.index
        topic = (topic or "").strip()
        similarity = index.decision_similarity(self.embedder.encode([topic])) if topic else None
        return select(index.decisions, filters.allows_date, similarity)

    def stage(self, files: list[tuple[str, bytes]], facts: Facts, folder: Path) -> list[Staged]:
        """Read files as they would be indexed, without adding them: for the preview. IngestError
        names a file that cannot be read or that repeats a report already here."""
        staged = stage(files, facts, folder, self.corpus_dir)
        texts = {r.text: r.source for r in self.reports.values()}
        for item in staged:
            for report in item.reports:
                if report.text in texts:
                    raise IngestError(item.name, f"same text as {texts[report.text]}, already in the reports")
        return staged

    def add(self, files: list[tuple[str, bytes]], facts: Facts, who: str, how: str,
            log: Callable[[str], None] = lambda _: None) -> list[Staged]:
        """Add report files to the corpus and the index, then answer from the new index; nothing is
        added when a file cannot be read. Only the new reports are embedded."""
        if self.read_only:
            raise IndexUnavailable(f"the index in {self.index_dir} is open read-only: add reports where it is "
                                   "built, with `nec-assistant add`, and restart the replicas")
        with self._adding, tempfile.TemporaryDirectory(prefix="nec-staging-") as folder:
            staged = self.stage(files, facts, Path(folder))
            file_reports(staged, facts, self.corpus_dir, who, how)
            index = build(self.corpus_dir, self.index_dir, self.embedder, log=log, in_service=self.index)
            self._retriever = Retriever(index, self.embedder)  # one assignment: the swap
            return staged


def _read(question: str | Question) -> Question:
    return question if isinstance(question, Question) else Question.read(question)
