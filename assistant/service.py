"""The one entry point both shells call: open the index, search, ask, list decisions.

`cli` and `app` hold an `Assistant` and nothing below it, so what a question gets is decided in
one place and both shells give the same answer to the same question.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from .answer import Answer, answer
from .build import open_index
from .decisions import Decision, select
from .embed import Embedder
from .index import Index
from .question import Question
from .retrieve import Filters, Hit, Retriever


class Assistant:
    """Questions about one corpus, answered from its index with one embedding model."""

    def __init__(self, index: Index, embedder: Embedder):
        self.index, self.embedder = index, embedder
        self.retriever = Retriever(index, embedder)

    @classmethod
    def open(cls, corpus_dir: Path, index_dir: Path, embedder: Embedder | None = None,
             log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr), progress: bool = False
             ) -> Assistant:
        """The assistant for a corpus, building or refreshing its index first when it is missing or stale."""
        embedder = embedder or Embedder()
        return cls(open_index(corpus_dir, index_dir, embedder, log=log, progress=progress), embedder)

    @property
    def reports(self):
        return self.index.reports

    def search(self, question: str | Question, k: int = 5, filters: Filters = Filters()) -> list[Hit]:
        """The k passages that best answer the question, best first."""
        return self.retriever.search(_read(question), k=k, filters=filters)

    def ask(self, question: str | Question, filters: Filters = Filters()) -> Answer:
        """An answer quoting the reports, or the reason it cannot; pass a `Question` read with the
        previous one to answer a follow-up."""
        return answer(_read(question), self.retriever, filters=filters)

    def decisions(self, topic: str | None = None, filters: Filters = Filters()) -> list[Decision]:
        """What the committee agreed in the meetings the filters allow, near `topic` in meaning when given."""
        topic = (topic or "").strip()
        similarity = self.index.decision_similarity(self.embedder.encode([topic])) if topic else None
        return select(self.index.decisions, filters.allows_date, similarity)


def _read(question: str | Question) -> Question:
    return question if isinstance(question, Question) else Question.read(question)
