"""Find the passages that answer a question: dense and BM25 scores fused, nudged by what the question asks.

Each passage's dense score mixes its own cosine with that of its best sentence, so a passage
holding one sentence that answers outranks one that is only about the topic. Dense and BM25
are min-max scaled over the candidates and mixed; a question naming a month or year favours
meetings then, and a "when was … agreed?" question favours passages that record a decision.
Measured on eval/qa.jsonl with `nec-assistant eval --compare` (see README for the table).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .chunking import Chunk
from .clipping import spelled_out
from .dates import MeetingDate
from .decisions import uses_decision_word
from .embed import Embedder
from .errors import BadFilter
from .glossary import spell_out
from .index import Index
from .lexical import BM25Index
from .question import Question
from .topic import model, stem, words

DENSE_WEIGHT = 0.7  # the rest goes to BM25
SENTENCE_WEIGHT = 0.5  # share of a passage's dense score taken from its best sentence
DATE_BOOST = 0.2  # for a meeting in the month the question names; half that for its year
DECISION_BOOST = 0.1  # for a passage recording a decision, when the question asks when one was made
DEPTH = 100  # candidates taken from each retriever before fusing

@dataclass(frozen=True)
class Hit:
    rank: int
    score: float  # fused score, 0..1.2: use it to order, not as a probability
    similarity: float  # cosine of question and passage, -1..1
    chunk: Chunk
    position: int  # the chunk's row in the index
    url: str | None = None  # where its report was published, when known

    def to_dict(self) -> dict:
        """The `search --json` item; its keys are a stable interface (`url` may be null)."""
        c = self.chunk
        return {
            "rank": self.rank, "score": round(self.score, 4), "similarity": round(self.similarity, 4),
            "meeting_date": c.meeting_date, "title": c.title, "section": c.section, "text": c.text,
            "source": c.source, "chunk_id": c.chunk_id, "start": c.start, "end": c.end, "url": self.url,
        }


@dataclass(frozen=True)
class Filters:
    """Which meetings to search: a date range (inclusive, ISO prefixes allowed) and/or one meeting."""

    date_from: str | None = None
    date_to: str | None = None
    meeting: str | None = None  # a meeting date, as in Chunk.meeting_date

    @classmethod
    def parse(cls, meeting: str | None = None, date_from: str | None = None, date_to: str | None = None) -> Filters:
        """Filters from user input; raises BadFilter naming the field that is not YYYY, YYYY-MM or YYYY-MM-DD."""
        def check(value: str | None, label: str) -> str | None:
            value = (value or "").strip()
            if not value:
                return None
            if re.fullmatch(r"\d{4}", value):
                return value
            try:
                return MeetingDate.parse_iso(value).iso()
            except ValueError:
                raise BadFilter(f"{label} must be a year, YYYY-MM or YYYY-MM-DD, not {value!r}") from None
        return cls(check(date_from, "from"), check(date_to, "to"), check(meeting, "meeting"))

    def __bool__(self) -> bool:
        return any((self.date_from, self.date_to, self.meeting))

    def allows_date(self, date: str) -> bool:
        if self.meeting and date != self.meeting:
            return False
        if self.date_from and date[:len(self.date_from)] < self.date_from:
            return False
        return not (self.date_to and date[:len(self.date_to)] > self.date_to)


def _top(values: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n largest values, in no particular order: a partition, not a sort of them all."""
    return np.argpartition(-values, n)[:n] if len(values) > n else np.arange(len(values))


def _minmax(values: np.ndarray) -> np.ndarray:
    span = values.max() - values.min()
    return (values - values.min()) / span if span > 0 else np.zeros_like(values)


def date_boost(question: Question, chunks: list[Chunk]) -> np.ndarray:
    """A bonus for passages from the meetings a question names; it never filters others out."""
    periods = question.periods(c.meeting_date for c in chunks)
    return np.array([DATE_BOOST if periods.has_month_of(c.meeting_date)
                     else DATE_BOOST / 2 if periods.has_year_of(c.meeting_date) else 0.0 for c in chunks],
                    dtype=np.float32)


def decision_boost(question: Question, chunks: list[Chunk]) -> np.ndarray:
    """A bonus for passages that record a decision, when the question asks when one was made."""
    if not question.asks_when_decided:
        return np.zeros(len(chunks), dtype=np.float32)
    return np.array([DECISION_BOOST if uses_decision_word(c.text) else 0.0 for c in chunks], dtype=np.float32)


class Retriever:
    """Hybrid retrieval over one loaded index with one embedding model.

    The baselines the eval compares against are settings of this one class: dense alone is
    `dense_weight=1, sentence_weight=0, use_intent=False`; BM25 alone is `dense_weight=0`.
    """

    def __init__(self, index: Index, embedder: Embedder, dense_weight: float = DENSE_WEIGHT,
                 sentence_weight: float = SENTENCE_WEIGHT, use_intent: bool = True):
        self.index, self.embedder = index, embedder
        self.dense_weight, self.sentence_weight, self.use_intent = dense_weight, sentence_weight, use_intent
        self.bm25 = BM25Index(index.chunks)
        self._dates, self._date_of = np.unique([c.meeting_date for c in index.chunks], return_inverse=True)

    def _allowed(self, filters: Filters) -> np.ndarray:
        """Which chunks come from meetings the filters allow (a mask), worked out per meeting date, not per chunk."""
        return np.array([filters.allows_date(d) for d in self._dates], dtype=bool)[self._date_of]

    def spelled(self, question: Question) -> str:
        """The question with staff's shorthand and the phrases it clips written as the reports write them."""
        return spelled_out(spell_out(question.text, self.index.glossary, self.index.mentions), self.index)

    def search_text(self, question: Question, spelled: str | None = None) -> str:
        """What passages are matched against: a broad question's topic alone, without the words that
        name the collection, so that its frame ("did the NEC talk about") picks no passage; any other
        question whole; either with the phrases it clips spelled as the reports spell them ("Lib Dems"), and
        staff's glossary of shorthand ("indyref"), before its frame is told from its topic: "lib" and "dems"
        never reach an answer, "Liberal" does. Pass `spelled` when the question is already spelled out."""
        spelled = self.spelled(question) if spelled is None else spelled
        if not question.broad:
            return spelled
        topic = " ".join(w for w in words(model().topic(spelled)) if stem(w) not in self.index.title_stems)
        return topic or spelled

    def search(self, question: Question, k: int = 5, filters: Filters = Filters(),
               query_vector: np.ndarray | None = None, searched: str | None = None) -> list[Hit]:
        """The k best passages; pass `searched` (its `search_text`) and `query_vector` when the question is
        already read and encoded, so that the glossary and clipped phrases are not spelled out twice."""
        if not question:
            return []
        chunks = self.index.chunks
        allowed = self._allowed(filters) if filters else None  # no per-chunk pass on the unfiltered hot path
        if allowed is not None and not allowed.any():
            return []
        text = self.search_text(question) if searched is None else searched
        if query_vector is None:
            query_vector = self.embedder.encode([text])
        nearest = self.index.nearest_chunks(query_vector, DEPTH, None if allowed is None else np.flatnonzero(allowed))
        lexical = self.bm25.scores(text)
        if allowed is not None:
            lexical[~allowed] = 0
        top_lexical = _top(lexical, DEPTH)
        candidates = np.array(sorted({int(i) for i in nearest} | {int(i) for i in top_lexical if lexical[i] > 0}))

        cosine = self.index.chunk_similarity(candidates, query_vector)
        best_sentence = self.index.best_sentence_similarity(candidates, query_vector)
        dense = (1 - self.sentence_weight) * cosine + self.sentence_weight * best_sentence
        fused = self.dense_weight * _minmax(dense) + (1 - self.dense_weight) * _minmax(lexical[candidates])
        if self.use_intent:
            candidate_chunks = [chunks[i] for i in candidates]
            fused += date_boost(question, candidate_chunks) + decision_boost(question, candidate_chunks)
        order = np.argsort(-fused, kind="stable")[:k]
        return [
            Hit(rank, float(fused[j]), float(cosine[j]), chunks[candidates[j]], int(candidates[j]),
                self.index.reports[chunks[candidates[j]].source].url)
            for rank, j in enumerate(order, start=1)
        ]
