"""The eval of broad questions ("Europe", "anything on London?"): are the quotes on the topic, and
does the answer reach every meeting that discussed it?

Each question lists every sentence of the reports that is on its topic (central or mentioned),
judged by hand, by meeting date and text, so the labels survive re-chunking. Two figures:
- quote precision: the share of all quoted sentences that are on topic;
- meeting coverage: per question, the share of the meetings with a central sentence on the topic
  that the answer quotes, averaged.
A question on a topic the reports never discuss is right when the answer abstains.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .answer import answer
from .errors import QAFormatError
from .question import Question
from .retrieve import Retriever


@dataclass(frozen=True)
class BroadItem:
    id: str
    question: str
    topic: str
    on_topic: list[dict]  # {"meeting_date", "text", "grade": "central" | "mentioned"}
    tags: list[str] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return bool(self.on_topic)

    def meetings(self) -> set[str]:
        """The meetings that discussed the topic: those with a central sentence on it."""
        return {s["meeting_date"] for s in self.on_topic if s["grade"] == "central"}


def is_broad(path: Path) -> bool:
    """Whether a question file is a broad set (its items list on-topic sentences)."""
    first = next((line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()), "{}")
    try:
        return "on_topic" in json.loads(first)
    except ValueError:
        return False


def load_broad(path: Path) -> list[BroadItem]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                data = json.loads(line)
                items.append(BroadItem(data["id"], data["question"], data["topic"], data["on_topic"],
                                       data.get("tags", [])))
            except (ValueError, KeyError, TypeError) as exc:
                raise QAFormatError(f"{path}:{n}: {exc}") from exc
    return items


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def on_topic(item: BroadItem, meeting_date: str, quote: str) -> bool:
    """A quote is on topic when it is (or holds, or lies inside) a sentence labelled on topic at its meeting."""
    q = _norm(quote)
    return any(s["meeting_date"] == meeting_date and (_norm(s["text"]) in q or q in _norm(s["text"]))
               for s in item.on_topic)


@dataclass
class BroadResult:
    id: str
    question: str
    quotes: int
    on_topic_quotes: int
    meetings: int  # that discussed the topic
    meetings_quoted: int  # of those, quoted
    abstained: bool
    answerable: bool
    shown: list[str] = field(default_factory=list)  # "date · quote", for reading the failures


def evaluate_broad(retriever: Retriever, items: list[BroadItem],
                   progress: Callable[[int], None] = lambda _: None) -> tuple[list[BroadResult], dict[str, float]]:
    results = []
    for n, item in enumerate(items):
        reply = answer(Question.read(item.question), retriever)
        good = [c for c in reply.citations if on_topic(item, c.meeting_date, c.quote)]
        wanted = item.meetings()
        results.append(BroadResult(item.id, item.question, len(reply.citations), len(good), len(wanted),
                                   len(wanted & {c.meeting_date for c in good}), reply.abstained, item.answerable,
                                   [f"{'+' if c in good else '-'} {c.meeting_date} {c.quote[:90]}"
                                    for c in reply.citations]))
        progress(n + 1)
    return results, broad_metrics(results)


def broad_metrics(results: list[BroadResult]) -> dict[str, float]:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    quoted = sum(r.quotes for r in answerable)
    return {
        "quote_precision": sum(r.on_topic_quotes for r in answerable) / quoted if quoted else 0.0,
        "meeting_coverage": sum(r.meetings_quoted / r.meetings for r in answerable if r.meetings)
        / max(1, sum(1 for r in answerable if r.meetings)),
        "answered_on_topic": sum(r.on_topic_quotes > 0 for r in answerable) / len(answerable) if answerable else 0.0,
        "abstained_right": sum(r.abstained for r in unanswerable) / len(unanswerable) if unanswerable else 1.0,
    }


HEADERS = {"quote_precision": "q.prec", "meeting_coverage": "m.cov", "answered_on_topic": "on-topic",
           "abstained_right": "abst.R"}


def format_broad_failures(results: list[BroadResult]) -> str:
    """Questions with an off-topic quote, a missed meeting, no on-topic quote, or a wrong abstention."""
    lines = []
    for r in results:
        if r.answerable and (r.on_topic_quotes < r.quotes or r.meetings_quoted < r.meetings or not r.on_topic_quotes):
            lines.append(f"  {r.id}  {r.on_topic_quotes}/{r.quotes} on topic, {r.meetings_quoted}/{r.meetings} "
                         f"meetings  {r.question}")
            lines += [f"        {s}" for s in r.shown]
        elif not r.answerable and not r.abstained:
            lines.append(f"  {r.id}  answered, should abstain  {r.question}")
            lines += [f"        {s}" for s in r.shown]
    return "\n".join(lines)
