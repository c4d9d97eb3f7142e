"""The loaded index: the chunks, the cleaned reports, the decision log, and the vectors behind them.

Callers ask it questions in their own terms (the passages nearest a vector, the sentences of a
passage, the sentences near a given one) and never see how its arrays are laid out. Only `store`
(which saves and loads them) and `build` (which makes them) read the fields marked as the index's
own.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from .chunking import Chunk, chunk_sentences
from .decisions import Decision
from .errors import IndexUnavailable
from .ingest import Report
from .senses import Senses
from .topic import base, stems


@dataclass(frozen=True)
class Sentence:
    """A quotable sentence: the span [start, end) of one report's text, inside the passage at `position`."""

    id: int  # the index's own number for it
    position: int  # the passage (chunk) it stands in
    start: int
    end: int


@dataclass
class Index:
    """A loaded index; the fields after `decisions` are its own, for `store` and `build` alone."""

    manifest: dict
    chunks: list[Chunk]
    reports: dict[str, Report]
    decisions: list[Decision]
    faiss_index: faiss.Index  # one vector per chunk, in `chunks` order
    sentence_vectors: np.ndarray  # one row per quotable sentence, chunk by chunk, in order
    decision_vectors: np.ndarray  # one row per decision: its `search_text`
    senses: Senses  # the words of each quotable sentence in their sense there
    sentence_spans: list[list[tuple[int, int]]] | None = None  # per chunk; worked out from the chunks when not given
    # Segment id → the build folder already holding its files, which `store.save` hard-links instead of writing.
    stored: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.sentence_spans is None:
            self.sentence_spans = [chunk_sentences(c) for c in self.chunks]
        self._first_sentence = np.cumsum([0] + [len(s) for s in self.sentence_spans])
        if self._first_sentence[-1] != len(self.sentence_vectors):
            raise IndexUnavailable(f"{len(self.sentence_vectors)} sentence vectors for {self._first_sentence[-1]} sentences")
        if len(self.senses.words) != len(self.sentence_vectors):
            raise IndexUnavailable(f"word senses for {len(self.senses.words)} of {len(self.sentence_vectors)} sentences")
        if len(self.decision_vectors) != len(self.decisions):
            raise IndexUnavailable(f"{len(self.decision_vectors)} decision vectors for {len(self.decisions)} decisions")

    # Passages

    def nearest_chunks(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
        """Positions of the k chunks nearest the query vector, nearest first, among `allowed` positions when given."""
        k = min(k, len(self.chunks))
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(allowed)
            params = (faiss.SearchParametersIVF(sel=selector, nprobe=self.faiss_index.nprobe)
                      if isinstance(self.faiss_index, faiss.IndexIVF) else faiss.SearchParameters(sel=selector))
        _, ids = self.faiss_index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k,
                                         params=params)
        return ids[0][ids[0] >= 0]

    def chunk_similarity(self, positions: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Cosine of the query vector with each chunk at `positions`."""
        return self.faiss_index.reconstruct_batch(positions) @ query.reshape(-1)

    def best_sentence_similarity(self, positions: np.ndarray, query: np.ndarray) -> np.ndarray:
        """For each chunk at `positions`, the cosine of the query with its nearest sentence (-1 if it has none)."""
        q = query.reshape(-1)
        return np.array([(self.sentence_vectors[self._rows(p)] @ q).max(initial=-1.0) for p in positions])

    # Sentences

    @cached_property
    def _sentences(self) -> list[Sentence]:
        return [Sentence(n, p, s, e) for n, (p, (s, e)) in
                enumerate((p, span) for p, spans in enumerate(self.sentence_spans) for span in spans)]

    @cached_property
    def _sentence_by_start(self) -> dict[tuple[str, int], Sentence]:
        return {(self.chunks[s.position].source, s.start): s for s in self._sentences}

    def _rows(self, position: int) -> slice:
        return slice(self._first_sentence[position], self._first_sentence[position + 1])

    def sentence_ids(self, positions: list[int]) -> np.ndarray:
        """The ids of the sentences of the chunks at `positions`, chunk by chunk, in order."""
        return np.concatenate([np.arange(self._first_sentence[p], self._first_sentence[p + 1]) for p in positions]
                              + [np.zeros(0, dtype=np.int64)])

    @cached_property
    def _aside_starts(self) -> frozenset[tuple[str, int]]:
        return frozenset((r.source, start) for r in self.reports.values() for start, _ in r.asides)

    def _quotable(self, sentence: Sentence) -> bool:
        """Not one of the author's asides: those count towards ranking their passage, but are never quoted."""
        return (self.chunks[sentence.position].source, sentence.start) not in self._aside_starts

    def sentences_of(self, position: int, asides: bool = False) -> list[Sentence]:
        """The quotable sentences of the chunk at `position`, in reading order; with `asides`, the author's
        asides too (for judging whether anything relevant was found, never for quoting)."""
        return [s for s in self._sentences[self._rows(position)] if asides or self._quotable(s)]

    def sentence_at(self, source: str, start: int) -> Sentence | None:
        """The sentence starting at `start` in report `source`, if one does."""
        return self._sentence_by_start.get((source, start))

    def similarity(self, sentences: list[Sentence], query: np.ndarray) -> np.ndarray:
        """Cosine of the query vector with each sentence."""
        return self.sentence_vectors[[s.id for s in sentences]] @ query.reshape(-1)

    def sense_match(self, sentence: Sentence, topic_senses: dict[str, np.ndarray]) -> dict[str, float]:
        """For each of the topic's words (by `topic.base`) that the sentence uses, the cosine of its sense
        there with its sense in the topic."""
        words, vectors = self.senses.of(sentence.id)
        return {w: float(v.astype(np.float32) @ topic_senses[w]) for w, v in zip(words, vectors) if w in topic_senses}

    def sentences_near(self, sentence: Sentence, at_least: float) -> list[tuple[Sentence, float]]:
        """Every sentence whose cosine with `sentence` is at least `at_least`, nearest first (itself included)."""
        to_it = self.sentence_vectors @ self.sentence_vectors[sentence.id]
        near = np.flatnonzero(to_it >= at_least)
        return [(self._sentences[i], float(to_it[i])) for i in near[np.argsort(-to_it[near], kind="stable")]
                if self._quotable(self._sentences[i])]

    def quote(self, sentence: Sentence) -> str:
        """The sentence's words, exactly as in the cleaned report."""
        return self.reports[self.chunks[sentence.position].source].text[sentence.start:sentence.end]

    # Decisions and words

    def decision_similarity(self, topic: np.ndarray) -> np.ndarray:
        """Cosine of a topic vector with each decision's topic label and words, in `decisions` order."""
        return self.decision_vectors @ topic.reshape(-1)

    @cached_property
    def _vocabulary(self) -> frozenset[str]:
        words: set[str] = set()
        for r in self.reports.values():
            words.update(w.lower() for w in re.findall(r"\w+", f"{r.text} {r.title} {r.author or ''}"))
        return frozenset(words)

    @property
    def glossary(self) -> dict[str, str]:
        """Staff's shorthand for what the reports spell out (`glossary`), as read with the reports."""
        return self.manifest.get("glossary", {})

    def mentions(self, word: str) -> bool:
        """Whether any report, title or author has this word (any case), or a sentence the word inflected
        ("Fabians" for "Fabian")."""
        return word.lower() in self._vocabulary or base(word) in self._sentence_frequency

    def begins_a_word(self, prefix: str) -> bool:
        """Whether a word of any report, title or author begins with `prefix` (lower case)."""
        return any(w.startswith(prefix) for w in self._vocabulary)

    @cached_property
    def _sentence_frequency(self) -> dict[str, int]:
        """Sentences using each word (`topic.base`): counted from the words the build kept senses for, each once
        a sentence (`topic.content_words`), rather than reading every sentence again."""
        return dict(Counter(w for sentence_words in self.senses.words for w in sentence_words))

    def sentences_using(self, word_base: str) -> int:
        return self._sentence_frequency.get(word_base, 0)

    def rarity(self, word_base: str) -> float:
        """How few sentences use the word (a `topic.base`): log(N / (1 + sentences with it)), the rarer the
        higher; a word no sentence uses is the rarest of all, log N."""
        return max(math.log(len(self._sentences) / (1 + self.sentences_using(word_base))), 0.0)

    @cached_property
    def title_stems(self) -> frozenset[str]:
        """Word stems in most reports' titles ("NEC", "report"): they name the collection, not a topic in it."""
        counts: dict[str, int] = {}
        for r in self.reports.values():
            for s in stems(r.title):
                counts[s] = counts.get(s, 0) + 1
        return frozenset(s for s, n in counts.items() if 2 * n > len(self.reports))
