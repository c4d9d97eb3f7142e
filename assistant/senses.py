"""Words in the sense their sentence gives them, so that a topic's word matches only where it means the same.

"Housing" and "house" are one word to a stemmer, and "fees" is "fees" whether tuition or tribunal
fees; a broad answer matched on words alone quoted "a new website to house our expanded efforts"
for "anything on housing?". all-mpnet-base-v2 reads every word in its sentence, so its token
vectors carry the sense: the mean of a word's token vectors is that word in context. Cosine of
"housing" (asked alone) with "house" in that sentence: 0.17; with "housing" in a sentence on
housing policy: 0.68; with "homes" in one on council homes: 0.52.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import faiss
import numpy as np

from .errors import IndexUnavailable
from .topic import content_words


@dataclass(frozen=True)
class Senses:
    """Each quotable sentence's words in their sense there: per sentence, the `topic.base` of each word it uses
    that can carry a topic (`topic.content_words`), and one row of `vectors` per word, sentence after sentence.

    Worked out at build from the same pass of the model that embeds the sentence, and kept (in half precision:
    about 21 KB a sentence) so that a broad answer can tell "house our efforts" from "housing" without running
    the model over every sentence it weighs."""

    words: list[list[str]]  # per sentence, in index order
    vectors: np.ndarray  # (words in all, dimensions), float16, unit length

    def __post_init__(self) -> None:
        object.__setattr__(self, "_first", np.cumsum([0] + [len(w) for w in self.words]))
        if self._first[-1] != len(self.vectors):
            raise IndexUnavailable(f"{len(self.vectors)} word vectors for {self._first[-1]} words")

    def of(self, sentence_id: int) -> tuple[list[str], np.ndarray]:
        return self.words[sentence_id], self.vectors[self._first[sentence_id]:self._first[sentence_id + 1]]

    def take(self, sentence_ids: np.ndarray) -> Senses:
        """The senses of these sentences only, in this order: what an index keeps of an older one's."""
        rows = [np.arange(self._first[i], self._first[i + 1]) for i in sentence_ids]
        return Senses([self.words[i] for i in sentence_ids],
                      self.vectors[np.concatenate(rows + [np.zeros(0, dtype=np.int64)])])

    def nearest(self, vector: np.ndarray) -> tuple[str, float]:
        """The word whose sense anywhere in the reports is nearest `vector`, and its cosine: what a word the
        reports never use ("govt", "mayor") stands for in them ("government", "Mayoral"), if anything."""
        if not len(self.vectors):
            return "", 0.0
        cosine, row = self._searchable.search(vector.astype(np.float32).reshape(1, -1), 1)
        return self._flat[int(row[0, 0])], float(cosine[0, 0])

    def best(self, word: str, vector: np.ndarray) -> float:
        """The cosine of `vector` with the word's sense where the reports come nearest it; 0 for a word they
        never use. "housing" asked alone is 0.06 from "house", whose only use is "a website to house our efforts"."""
        rows = self._rows.get(word)
        return 0.0 if rows is None else float((self.vectors[rows] @ vector.astype(np.float16)).max())

    @cached_property
    def _searchable(self) -> faiss.Index:
        """The senses in a FAISS index that keeps them in half precision and multiplies them with SIMD: numpy
        multiplies half-precision arrays without BLAS (9.4 ms over 4,886 senses, against 0.38 ms here)."""
        searchable = faiss.IndexScalarQuantizer(self.vectors.shape[1], faiss.ScalarQuantizer.QT_fp16,
                                                faiss.METRIC_INNER_PRODUCT)
        block = 65536  # converted to single precision a block at a time, not all at once
        for first in range(0, len(self.vectors), block):
            searchable.add(self.vectors[first:first + block].astype(np.float32))
        return searchable

    @cached_property
    def _flat(self) -> list[str]:
        return [w for words in self.words for w in words]

    @cached_property
    def _rows(self) -> dict[str, np.ndarray]:
        """Each word's rows of `vectors`."""
        rows: dict[str, list[int]] = {}
        for row, word in enumerate(self._flat):
            rows.setdefault(word, []).append(row)
        return {word: np.array(found) for word, found in rows.items()}

    @staticmethod
    def join(parts: list[Senses]) -> Senses:
        return Senses([w for p in parts for w in p.words], np.concatenate([p.vectors for p in parts]))


def embed_with_senses(embedder, texts: list[str], progress: bool = False) -> tuple[np.ndarray, Senses]:
    """The texts' unit vectors (as `embedder.encode` gives them) and their words' senses, from one pass of the
    model: a word used twice in a text gets the mean of its two senses there."""
    found = [content_words(t) for t in texts]
    spans = [[span for word_spans in words.values() for span in word_spans] for words in found]
    vectors, per_span = embedder.encode_spans(texts, spans, progress=progress)
    rows = []
    for words, span_vectors in zip(found, per_span):
        first = 0
        for word_spans in words.values():
            mean = span_vectors[first:first + len(word_spans)].mean(axis=0)
            rows.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
            first += len(word_spans)
    return vectors, Senses([list(words) for words in found],
                           np.array(rows, dtype=np.float16).reshape(len(rows), vectors.shape[1]))


@dataclass(frozen=True)
class TopicSenses:
    """A broad question's topic words (by `topic.base`) in two senses. As the whole question uses them is what a
    sentence's use of a word is matched with: "did they discuss benefit cuts" is asked on "benefit" alone ("cuts"
    never reaches an answer, so it is frame), and "benefit" alone is the verb of "CLPs who are due to benefit" (0.90
    on topic) as much as the noun. Alone is what tells whether the reports use the word in its sense at all
    (`on_topic.SENSE_FLOOR`, ALIAS, both set on it): in "housing policy", "housing" takes a little of "policy"."""

    alone: dict[str, np.ndarray]
    asked: dict[str, np.ndarray]


def topic_senses(embedder, topic: str, question: str) -> tuple[np.ndarray, TopicSenses]:
    """The topic's vector (as `embedder.encode([topic])` gives it) and its words' senses, alone and as `question`
    uses them, from one call of the model."""
    vectors, senses = embed_with_senses(embedder, [topic, question])
    alone = {w: v.astype(np.float32) for w, v in zip(*senses.of(0))}
    asked = dict(zip(*senses.of(1)))
    return vectors[:1], TopicSenses(alone, {w: asked.get(w, v).astype(np.float32) for w, v in alone.items()})
