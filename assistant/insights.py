"""What staff learn from the usage log, and how a not-helpful answer becomes an eval question.

The figures: questions per week, the share answered (not abstained on), the share of the answers
members marked that they marked helpful, the words members ask about most, and the lists of
questions that went unanswered or were marked not helpful. The CLI's `insights` and the app's
Insights tab both show `summarise`'s result.

A not-helpful answer becomes an eval item once a staff member has picked the passage that should
have answered it: the item is the question, that passage's meeting date and its sentences as
evidence, in the format of eval/qa.jsonl, so `nec-assistant eval --qa eval/from-members.jsonl` scores it.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path


from .index import Index
from .topic import model, stem
from .usage_log import Logged

EVAL_FILE = Path("eval/from-members.jsonl")
TOP_TOPICS = 10
_WORD = re.compile(r"[a-z]{3,}")


@dataclass(frozen=True)
class Insights:
    date_from: str | None
    date_to: str | None
    asked: int
    answered: int  # not abstained on
    rated: int  # marked helpful or not helpful
    helpful: int
    per_week: list[tuple[str, int]]  # (the week's Monday, questions), every week from the first to the last
    topics: list[tuple[str, int]]  # (word, questions using it), most asked first
    unanswered: list[Logged]
    not_helpful: list[Logged]

    @property
    def share_answered(self) -> float | None:
        return self.answered / self.asked if self.asked else None

    @property
    def share_helpful(self) -> float | None:
        return self.helpful / self.rated if self.rated else None

    def to_dict(self) -> dict:
        """The `insights --json` object."""
        return {"from": self.date_from, "to": self.date_to, "asked": self.asked, "answered": self.answered,
                "share_answered": self.share_answered, "rated": self.rated, "helpful": self.helpful,
                "share_helpful": self.share_helpful,
                "per_week": [{"week": w, "questions": n} for w, n in self.per_week],
                "topics": [{"topic": t, "questions": n} for t, n in self.topics],
                "unanswered": [q.to_dict() for q in self.unanswered],
                "not_helpful": [q.to_dict() for q in self.not_helpful]}


def _monday(asked_at: str) -> date:
    day = date.fromisoformat(asked_at[:10])
    return day - timedelta(days=day.weekday())


def per_week(questions: list[Logged]) -> list[tuple[str, int]]:
    """Questions per week (Monday to Sunday, UTC), quiet weeks included as 0, so a chart shows the gaps."""
    counts = Counter(_monday(q.asked_at) for q in questions)
    if not counts:
        return []
    weeks, week = [], min(counts)
    while week <= max(counts):
        weeks.append((week.isoformat(), counts[week]))
        week += timedelta(days=7)
    return weeks


def topics(questions: list[str], n: int = TOP_TOPICS) -> list[tuple[str, int]]:
    """The words members ask about most: each word stem counted once per question, shown in its most
    used form; a question's words are its topic as the question model reads it (assistant/topic.py),
    without the words that only frame it ("what did the NEC say about"), and without short ones."""
    asked: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for question in questions:
        words = set(_WORD.findall(model().topic(question).lower()))
        for s in {stem(w) for w in words}:
            asked[s] += 1
        for w in words:
            forms.setdefault(stem(w), Counter())[w] += 1
    ranked = sorted(asked.items(), key=lambda item: (-item[1], item[0]))[:n]  # ties alphabetically
    return [(min(forms[s].items(), key=lambda form: (-form[1], form[0]))[0], count) for s, count in ranked]


def summarise(questions: list[Logged], date_from: str | None = None, date_to: str | None = None) -> Insights:
    """The figures and lists for these questions (as read from the log between those dates)."""
    rated = [q for q in questions if q.helpful is not None]
    return Insights(date_from, date_to, len(questions), sum(not q.abstained for q in questions), len(rated),
                    sum(q.helpful for q in rated), per_week(questions), topics([q.question for q in questions]),
                    [q for q in questions if q.abstained], [q for q in questions if q.helpful is False])


def asked_when(question: Logged) -> str:
    """When it was asked, to the minute (UTC)."""
    return question.asked_at[:16].replace("T", " ")


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def citations_text(question: Logged) -> str:
    """Where the answer's quotes came from: meeting date, report file and offsets."""
    return "; ".join(f"{c.meeting_date} {c.source} {c.start}–{c.end}" for c in question.citations)


def format_insights(found: Insights) -> str:
    """The `insights` command's report, as plain text."""
    span = f"{found.date_from or 'the start'} to {found.date_to or 'now'}"
    lines = [f"{found.asked} questions asked from {span} (UTC)",
             f"answered       {percent(found.share_answered)} ({found.answered} of {found.asked})",
             f"helpful        {percent(found.share_helpful)} ({found.helpful} of {found.rated} marked)",
             "", "questions per week (from Monday):"]
    top = max((n for _, n in found.per_week), default=0)
    lines += [f"  {week}  {n:5}  {'█' * round(40 * n / top) if top else ''}" for week, n in found.per_week]
    lines += ["", "most-asked topics: " + (", ".join(f"{t} ({n})" for t, n in found.topics) or "—")]
    lines += ["", f"unanswered ({len(found.unanswered)}):"]
    lines += [f"  {asked_when(q)}  {q.id}  {q.question}  [{q.reason}]" for q in found.unanswered]
    lines += ["", f"marked not helpful ({len(found.not_helpful)}):"]
    for q in found.not_helpful:
        lines.append(f"  {asked_when(q)}  {q.id}  {q.question}"
                     + (f"  — “{q.comment}”" if q.comment else ""))
        lines += [f"      {line}" for line in q.answer.splitlines()]
        if q.citations:
            lines.append(f"      cited: {citations_text(q)}")
    return "\n".join(lines)


def passage_at(index: Index, pick: str) -> int:
    """The position of the passage a staff member picked, as SOURCE:OFFSET (any offset inside it);
    ValueError if there is none."""
    source, _, offset = pick.rpartition(":")
    if not source or not offset.isdigit():
        raise ValueError(f"{pick!r}: give the passage as SOURCE:OFFSET, as listed")
    found = next((n for n, c in enumerate(index.chunks) if c.source == source and c.start <= int(offset) < c.end), None)
    if found is None:
        raise ValueError(f"{pick!r}: no passage of the reports in the index starts or runs there")
    return found


def eval_item(question: Logged, index: Index, position: int) -> dict:
    """The eval/qa.jsonl item for a logged question that the passage at `position` should have answered.

    Its evidence is each of the passage's sentences, so that a system cutting the reports otherwise
    still finds the passage: the 1,000-character windows of the `fixed-1000` baseline often cut a
    passage in two, and then no window would hold the passage whole."""
    passage = index.chunks[position]
    return {"id": f"m-{question.id}", "question": question.question, "answer": "",
            "meeting_date": passage.meeting_date,
            "evidence": [index.quote(s) for s in index.sentences_of(position)] or [passage.text],
            "tags": ["from-members"]}


def write_items(items: list[dict], path: Path) -> int:
    """Add the items to a JSON Lines eval file, each replacing one with its id (a passage picked again);
    the file is replaced whole, never left half written. The number of items it then holds."""
    kept = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] \
        if path.exists() else []
    new = {item["id"]: item for item in items}
    merged = [new.pop(item["id"], item) for item in kept] + list(new.values())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(item, ensure_ascii=False) + "\n" for item in merged)
    os.replace(partial, path)
    return len(merged)
