"""Which lines of a broad answer are on its topic: a logistic model over five signals of a sentence.

A broad question ("anything on Scotland?") is answered with one line per meeting that discussed the
topic, and a meeting that never did must not be quoted for its best-scoring neighbour. Each sentence
of the passages found is read through five signals:
- meaning: its cosine with the topic;
- closest: the best cosine of any sentence found with the topic, the same for all: how near the
  reports come to the topic at all, so that a line is weighed against the best there is;
- words: the share of the topic's words it uses, each weighted by how few sentences use it and how
  often a question's word is found in its answer (term recall), and counted by the cosine of its
  sense in the sentence with its sense in the question (`senses`). A word no sentence uses weighs as
  the rarest, so that "did they talk about flooding?" is not answered by the one word it shares
  with the reports ("talk"); "a new website to house our expanded efforts" uses "housing" at 0.06,
  where a count of shared words gave it all of the topic;
- passage: its passage's retrieval score as a share of the best one's (BM25 and the dense score of
  the text around it);
- unknown: the share of the topic's word weight in words no sentence uses in the topic's sense (SENSE_FLOOR),
  the same for all: a topic the reports have no word for is seldom one they discuss ("tuition fees" was
  answered with the one line on employment tribunal fees, "housing policy" with the policy forum's, "house"
  being used only as in "a website to house our efforts"). Such a word first counts as the reports' word
  whose sense is nearest its own, if that is near enough (ALIAS): "govt" as "government", "org" as
  "Organisation".
A broad answer quotes the lines the model puts likely enough on topic (`answer.OVERVIEW_ODDS`). The
weights are learned from the sentences labelled on topic in the broad eval sets by `python -m
assistant.on_topic`, which writes `on_topic_model.json`; tests/test_on_topic.py checks the committed
file is what they teach.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from .index import Index, Sentence
from .retrieve import Hit, Retriever
from .senses import TopicSenses, topic_senses
from .topic import BROAD_SETS, base, model as question_model, stem, words

MODEL_FILE = Path(__file__).with_name("on_topic_model.json")
SIGNALS = ("meaning", "closest", "words", "passage", "unknown")
ALIAS = 0.6  # a topic word the reports do not use in its sense counts as their word whose sense is nearest, this near:
# "mayor" and "Mayoral" 0.68, "govt" and "government" 0.68; no never-discussed topic's word came nearer than 0.59
# ("David" to "Miliband"); "tuition" is 0.41 from "fees"
SENSE_FLOOR = 0.15  # a topic word the reports use only in other senses counts as one they never use: "housing" is
# 0.06-0.09 from "house" in its one use (14 questions, none answerable); the lowest best sense of an answerable
# question's word in the teaching sets is 0.17 ("living" in "anything for members living abroad?")
PASSAGES = 30  # passages searched for a broad answer's lines: a topic can come up in a few lines of many sections


@dataclass(frozen=True)
class Candidates:
    """The quotable sentences of the passages found, with their signals, one row each."""

    hits: list[Hit]  # the passage each sentence stands in
    sentences: list[Sentence]
    signals: np.ndarray  # (sentences, SIGNALS)


def topic_words(index: Index, topic: str, senses: TopicSenses
                ) -> tuple[dict[str, float], dict[str, np.ndarray], set[str]]:
    """The topic's words as the reports would write them (by `topic.base`), each with its weight (rarity times term
    recall); their senses as the question uses them; and those the reports never use in their sense alone (below
    SENSE_FLOOR), which each become the reports' word nearest that sense when it is ALIAS or nearer ("govt" →
    "government") and are otherwise unknown, weighing as rare as the word is."""
    wanted: dict[str, float] = {}
    matched = dict(senses.asked)
    unknown: set[str] = set()
    for word in words(topic):
        key = base(word)
        if key in senses.alone and index.senses.best(key, senses.alone[key]) < SENSE_FLOOR:
            near, cosine = index.senses.nearest(senses.alone[key])
            if cosine >= ALIAS:
                matched.setdefault(near, senses.alone[key])
                key = near
            else:
                unknown.add(key)
        elif not index.sentences_using(key):
            unknown.add(key)
        wanted[key] = max(index.rarity(key) * question_model().expected_recall(stem(word)), wanted.get(key, 0.0))
    return wanted, matched, unknown


def candidates(index: Index, hits: list[Hit], query: np.ndarray, topic: str, senses: TopicSenses) -> Candidates:
    """Every quotable sentence of `hits` with its signals against the topic (`query` is its vector, `senses`
    its words' senses, from `senses.topic_senses`)."""
    pairs = [(hit, sentence) for hit in hits for sentence in index.sentences_of(hit.position)]
    if not pairs:
        return Candidates([], [], np.zeros((0, len(SIGNALS))))
    sentences = [s for _, s in pairs]
    wanted, matched, unknown_words = topic_words(index, topic, senses)
    total = sum(wanted.values()) or 1.0
    share = [sum(wanted[w] * cosine for w, cosine in index.sense_match(s, matched).items() if w in wanted) / total
             for s in sentences]
    unknown = sum(weight for w, weight in wanted.items() if w in unknown_words) / total
    top = hits[0].score or 1.0
    passage = [h.score / top for h, _ in pairs]
    meaning = index.similarity(sentences, query)
    return Candidates([h for h, _ in pairs], sentences,
                      np.column_stack([meaning, np.full(len(sentences), meaning.max()), share, passage,
                                       np.full(len(sentences), unknown)]))


@dataclass(frozen=True)
class OnTopicModel:
    weights: tuple[float, ...]  # one per signal, in SIGNALS order
    bias: float

    def probability(self, signals: np.ndarray) -> np.ndarray:
        """The chance that each row's sentence is on the topic."""
        return 1 / (1 + np.exp(-(signals @ np.array(self.weights) + self.bias)))

    def to_json(self) -> str:
        return json.dumps({"signals": SIGNALS, "weights": self.weights, "bias": self.bias}, indent=1)


def learn(rows: list[tuple[np.ndarray, np.ndarray]]) -> OnTopicModel:
    """The model taught by (signals, on-topic labels) of each question's candidates."""
    from sklearn.linear_model import LogisticRegression  # training only; answering needs just the weights

    fit = LogisticRegression(max_iter=1000).fit(np.concatenate([s for s, _ in rows]),
                                                np.concatenate([y for _, y in rows]))
    return OnTopicModel(tuple(round(float(w), 6) for w in fit.coef_[0]), round(float(fit.intercept_[0]), 6))


@cache
def model() -> OnTopicModel:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    return OnTopicModel(tuple(data["weights"]), data["bias"])


def learn_from_eval(folder: Path, retriever: Retriever) -> OnTopicModel:
    """Learn from the broad sets' labelled sentences, each question searched as `answer` searches it."""
    from .broad_eval import load_broad, on_topic
    from .question import Question

    rows = []
    for name in BROAD_SETS:
        for item in load_broad(folder / f"{name}.jsonl"):
            question = Question.read(item.question)
            if not question.broad:
                continue
            spelled = retriever.spelled(question)
            topic = retriever.search_text(question, spelled)
            query, senses = topic_senses(retriever.embedder, topic, spelled)
            hits = retriever.search(question, k=PASSAGES, query_vector=query, searched=topic)
            found = candidates(retriever.index, hits, query, topic, senses)
            labels = np.array([on_topic(item, h.chunk.meeting_date, retriever.index.quote(s))
                               for h, s in zip(found.hits, found.sentences)])
            rows.append((found.signals, labels))
    return learn(rows)


if __name__ == "__main__":
    from .service import Assistant

    root = Path(__file__).resolve().parent.parent
    assistant = Assistant.open(root / "corpus", root / "index")
    learned = learn_from_eval(root / "eval", assistant.retriever)
    MODEL_FILE.write_text(learned.to_json() + "\n", encoding="utf-8")
    print(f"wrote {MODEL_FILE}: {learned}", file=sys.stderr)
