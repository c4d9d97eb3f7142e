"""What a question is about, and whether it asks broadly: both learned from the eval's own questions.

Members frame their questions with words that say nothing about what they want: "what did the NEC
say about …", "anything on …", "did they talk about …". Which words those are is measured, not
listed. A word's *term recall* (Zhao and Callan, 2010) is the share of the questions holding it
whose answer holds it too (for a broad question, the share of its on-topic sentences that do).
"Europe", "members" and "election" reach their answers; "did", "say" and "anything" never do, and
"NEC" seldom does. The topic of a question is the words whose recall is high enough, and the broad
questions are searched and answered on their topic alone.

Whether a question is broad ("Europe", "anything about London?") or specific ("who is the
treasurer?") is decided by a logistic model over the question's words. Both are learned from the
development sets, eval/qa.jsonl (specific) and the twenty-three broad sets in BROAD_SETS, by `python
-m assistant.topic`, which writes `question_model.json`. tests/test_topic.py checks that the committed
file is what the eval sets teach. eval/holdout.jsonl and eval/broad-twentyfourth.jsonl to
broad-fortyfourth.jsonl never feed it: they measure it.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import Stemmer
from scipy.special import betainc
from bm25s.stopwords import STOPWORDS_EN_PLUS

MODEL_FILE = Path(__file__).with_name("question_model.json")
TOPIC_RECALL = 0.3  # a word is frame when its recall is likely below this...
SURE = 0.8  # ...with this probability (uniform prior); a word seen in few questions keeps its place
# The broad sets that teach it and the on-topic model (eval/README.md): 853 broad questions, so that the frame is
# learned from many wordings ("any updates on", "what's the latest on"); eval/broad-twentyfourth.jsonl to
# broad-fortyfourth.jsonl, written after, measure them.
BROAD_SETS = ("broad", "broad-holdout", "broad-unseen", "broad-fresh", "broad-blind", "broad-sixth", "broad-seventh",
              "broad-eighth", "broad-ninth", "broad-tenth", "broad-eleventh", "broad-twelfth", "broad-thirteenth",
              "broad-fourteenth", "broad-fifteenth", "broad-sixteenth", "broad-seventeenth", "broad-eighteenth",
              "broad-nineteenth", "broad-twentieth", "broad-twentyfirst", "broad-twentysecond", "broad-twentythird")

WORD = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_STOP = frozenset(STOPWORDS_EN_PLUS)
_STEMMER = Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """The words of a text as written; "who's" is "who" and "s", "by-elections" one word."""
    return WORD.findall(text)


def stem(word: str) -> str:
    return _STEMMER.stemWord(word.lower())


_INFLECTED = re.compile(r"(?:ies|es|s|ied|ed|ing|d)$")


def base(word: str) -> str:
    """The word without its inflection, as a broad answer matches the topic's words in sentences: "polls"
    and "polling", "march" and "marches" are one word; "nation" and "nationalism", "nation" and
    "national" are two, though the stemmer makes them one ("nationalism" was answered with One Nation).
    What the stem cuts off is kept, bar an inflection and a final e, y or i."""
    w = word.lower()
    s = stem(w)
    kept = len(os.path.commonprefix([w, s]))
    rest = re.sub(r"[eyi]$", "", _INFLECTED.sub("", w[kept:]))
    if len(rest) == 1 and kept and rest == w[kept - 1]:  # "stopping": the doubled consonant
        rest = ""
    return f"{s[:kept]}+{rest}" if rest else s


def content_words(text: str) -> dict[str, list[tuple[int, int]]]:
    """Where a text uses each word that can carry a topic (not a stop word), by its `base`: the spans whose
    sense in context the index keeps for each sentence and the on-topic model compares with a topic's.

    A hyphenated word is also its parts and the parts run together, so that "the org sub committee" and
    "subcommittee" find "Organisation Sub-committee"."""
    found: dict[str, list[tuple[int, int]]] = {}

    def add(word: str, span: tuple[int, int]) -> None:
        if word.lower() not in _STOP:
            found.setdefault(base(word), []).append(span)

    for match in WORD.finditer(text):
        add(match.group(), match.span())
        if "-" in match.group():
            add(match.group().replace("-", ""), match.span())
            for part in re.finditer(r"[A-Za-z0-9]+", match.group()):
                add(part.group(), (match.start() + part.start(), match.start() + part.end()))
    return found


def stems(text: str) -> set[str]:
    """The stems of a text's words, each once: what term recall, the broad model and the overview match on."""
    return {stem(w) for w in words(text)}


def _length(text: str) -> float:
    """The broad-or-specific model's one numeric feature: short questions are mostly broad ones."""
    return len(words(text)) / 5


@dataclass(frozen=True)
class QuestionModel:
    """Term recall per word stem, and the broad-or-specific model's weights."""

    asked: dict[str, int]  # stem → questions holding it
    answered: dict[str, float]  # stem → of those, the ones whose evidence holds it too (a share of it, per question)
    weights: dict[str, float]  # stem → weight in the broad-or-specific model
    length_weight: float  # ...and the weight of the question's length
    bias: float

    def expected_recall(self, word_stem: str) -> float:
        """The mean of the word's recall, Beta(k + 1, n - k + 1): a half for a word no question has used."""
        return (self.answered.get(word_stem, 0) + 1) / (self.asked.get(word_stem, 0) + 2)

    def is_frame(self, word: str) -> bool:
        """Whether the questions seen make it likely (SURE) that the word's recall is under TOPIC_RECALL.

        With a uniform prior, recall after k answers in n questions is Beta(k + 1, n - k + 1), whose
        CDF is the regularised incomplete beta function (k may be fractional: shares of answers)."""
        s = stem(word)
        n, k = self.asked.get(s, 0), self.answered.get(s, 0)
        return float(betainc(k + 1, n - k + 1, TOPIC_RECALL)) >= SURE

    def topic(self, text: str) -> str:
        """The words of `text` that carry its topic, in order: neither stop words nor frame."""
        return " ".join(w for w in words(text) if w.lower() not in _STOP and not self.is_frame(w))

    def is_broad(self, text: str) -> bool:
        """Whether a question asks what was said on a topic rather than for one fact."""
        return self.bias + self.length_weight * _length(text) + sum(self.weights.get(f, 0.0) for f in stems(text)) > 0

    def to_json(self) -> str:
        return json.dumps({"asked": self.asked, "answered": self.answered, "weights": self.weights,
                           "length_weight": self.length_weight, "bias": self.bias}, indent=0, sort_keys=True)


def learn(specific: list[tuple[str, list[str]]], broad: list[tuple[str, list[str]]]) -> QuestionModel:
    """The model taught by (question, evidence texts) pairs: term recall from every question with
    evidence (the passage that answers a specific one, the sentences on a broad one's topic), and
    the broad-or-specific weights from which kind each question is."""
    from sklearn.linear_model import LogisticRegression  # training only; answering needs just the weights

    asked: dict[str, int] = {}
    answered: dict[str, float] = {}
    for question, evidence in specific + broad:
        if not evidence:
            continue
        # The share of its evidence texts that hold the word: "talk" in one of ten sentences on trade unions
        # counts a tenth, not a whole answer.
        found = [stems(text) for text in evidence]
        for s in stems(question):
            asked[s] = asked.get(s, 0) + 1
            answered[s] = round(answered.get(s, 0) + sum(s in f for f in found) / len(found), 6)
    vocabulary = sorted({f for q, _ in specific + broad for f in stems(q)})
    column = {f: n for n, f in enumerate(vocabulary)}
    rows = [[0.0] * len(vocabulary) + [_length(q)] for q, _ in specific + broad]
    for row, (question, _) in zip(rows, specific + broad):
        for f in stems(question):
            row[column[f]] = 1.0
    fit = LogisticRegression(max_iter=1000, class_weight="balanced").fit(rows, [0] * len(specific) + [1] * len(broad))
    weights = {f: round(float(w), 6) for f, w in zip(vocabulary, fit.coef_[0]) if abs(w) > 1e-6}
    return QuestionModel(asked, answered, weights, round(float(fit.coef_[0][-1]), 6), round(float(fit.intercept_[0]), 6))


def learn_from_eval(folder: Path) -> QuestionModel:
    """Learn from eval/qa.jsonl (specific questions with their evidence) and the broad sets."""
    def rows(name: str) -> list[dict]:
        return [json.loads(line) for line in (folder / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    specific = [(r["question"], r["evidence"]) for r in rows("qa.jsonl") if r["evidence"]]
    broad = [(r["question"], [s["text"] for s in r["on_topic"]])
             for name in BROAD_SETS for r in rows(f"{name}.jsonl")]
    return learn(specific, broad)


@cache
def model() -> QuestionModel:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    return QuestionModel(data["asked"], data["answered"], data["weights"], data["length_weight"], data["bias"])


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "eval"
    MODEL_FILE.write_text(learn_from_eval(folder).to_json() + "\n", encoding="utf-8")
    print(f"wrote {MODEL_FILE}", file=sys.stderr)
