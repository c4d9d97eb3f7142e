"""Extractive answers: quote the sentences that answer the question, each with its citation.

Nothing is generated: every quote is a span of a cleaned report, so it can be checked word for
word. The best passages are split into sentences, each sentence is scored against the question,
and the best few are quoted, oldest meeting first. When the reports plainly cannot answer, the
answer says so instead of quoting something unrelated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .dates import mentioned_periods
from .decisions import asks_about_decisions, timeline
from .index import Index
from .retrieve import Filters, Hit, Retriever

# Abstention, set on eval/qa.jsonl to lose no answerable question (precision first):
ABSTAIN_BELOW = 0.30  # best sentence cosine under this: nothing relevant was found
UNKNOWN_NAME_BELOW = 0.50  # ...or under this when the question names someone the reports never mention
PASSAGES = 5
MAX_QUOTES = 4
QUOTE_WITHIN = 0.75  # quote sentences scoring at least this share of the best one
NOTHING_FOUND = "I couldn't find anything about that in the NEC reports."


@dataclass(frozen=True)
class Citation:
    meeting_date: str
    meeting_label: str
    section: str
    source: str
    quote: str
    start: int
    end: int
    score: float

    def label(self) -> str:
        return f"NEC meeting, {self.meeting_label} — {self.section}"

    def to_dict(self) -> dict:
        """The `ask --json` citation; `meeting_date`, `section`, `source`, `quote` are a stable interface."""
        return {"meeting_date": self.meeting_date, "section": self.section, "source": self.source,
                "quote": self.quote, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]

    def to_dict(self) -> dict:
        return {"question": self.question, "answer": self.answer, "abstained": self.abstained,
                "citations": [c.to_dict() for c in self.citations]}


def unknown_names(question: str, index: Index) -> list[str]:
    """Capitalised words after the first that no report, title or author contains: 'Osborne', 'Corbyn'."""
    words = re.findall(r"[A-Za-z][\w’'-]*", question)[1:]
    names = []
    for word in words:
        stem = re.sub(r"(?:’s|'s|’|')$", "", word).split("-")[0].lower()
        if word[0].isupper() and stem not in index.vocabulary:
            names.append(re.sub(r"(?:’s|'s|’|')$", "", word))
    return names


def _period_outside_corpus(question: str, index: Index) -> str | None:
    """For a question about meetings in a period when none took place here, that period's words."""
    if not re.search(r"\bmeetings?\b|\baway[ -]?days?\b", question, re.I):
        return None
    months, years = mentioned_periods(question)
    if not months and not years:
        return None
    dates = [r.meeting_date for r in index.reports.values()]
    if any((d.year, d.month) in months or d.year in years for d in dates):
        return None
    return ", ".join(sorted({str(y) for y in years} | {f"{m:02d}/{y}" for y, m in months}))


def _why_unanswerable(question: str, index: Index, best_sentence: float) -> str | None:
    period = _period_outside_corpus(question, index)
    if period:
        dates = sorted(r.meeting_date for r in index.reports.values())
        return (f"The reports I have cover NEC meetings from {dates[0].human()} to {dates[-1].human()}; "
                f"none took place in {period}.")
    names = unknown_names(question, index)
    if names and best_sentence < UNKNOWN_NAME_BELOW:
        return f"The NEC reports don't mention {' '.join(names)}."
    return NOTHING_FOUND if best_sentence < ABSTAIN_BELOW else None


def decision_answer(question: str, retriever: Retriever, filters: Filters, max_quotes: int,
                    hits: list[Hit]) -> Answer | None:
    """For 'when was X agreed?': the decision in the best passage, its date first, then related decisions
    oldest first. None when no passage found holds a decision and none is near in meaning."""
    index = retriever.index
    decisions = [d for d in index.decisions if filters.allows_date(d.meeting_date)]
    ranked = timeline(question, decisions, retriever.embedder)
    scores = {id(d): score for d, score in ranked}
    best = None
    for hit in hits:
        inside = [d for d in decisions if d.source == hit.chunk.source and hit.chunk.start <= d.start < hit.chunk.end]
        if inside:
            best = max(inside, key=lambda d: scores.get(id(d), 0.0))
            break
    if best is None and not ranked:
        return None
    best = best or ranked[0][0]
    chosen = [best] + [d for d, _ in ranked if d is not best][:max_quotes - 1]
    citations = sorted(
        (Citation(d.meeting_date, index.reports[d.source].meeting_date.human(), d.section, d.source, d.text,
                  d.start, d.end, round(scores.get(id(d), 0.0), 4)) for d in chosen),
        key=lambda c: (c.meeting_date, c.source, c.start))
    lead = f"Agreed at the NEC meeting of {index.reports[best.source].meeting_date.human()}:"
    body = "\n".join(f"“{c.quote}” ({c.label()})" for c in citations)
    return Answer(question, f"{lead}\n{body}", False, citations)


def answer(question: str, retriever: Retriever, filters: Filters = Filters(), passages: int = PASSAGES,
           max_quotes: int = MAX_QUOTES) -> Answer:
    query = retriever.embedder.encode([question])
    hits = retriever.search(question, k=passages, filters=filters, query_vector=query)
    if asks_about_decisions(question):
        from_log = decision_answer(question, retriever, filters, max_quotes, hits)
        if from_log:
            return from_log
    if not hits:
        return Answer(question, NOTHING_FOUND, True, [])
    index = retriever.index
    candidates = [(hit, s, e) for hit in hits for s, e in index.quote_spans[hit.position]]
    texts = [index.reports[h.chunk.source].text[s:e] for h, s, e in candidates]
    rows = np.concatenate([index.quote_rows(hit.position) for hit in hits])
    sims = query @ index.quote_vectors[rows].T
    refusal = _why_unanswerable(question, index, float(sims.max(initial=-1.0)))
    if refusal:
        return Answer(question, refusal, True, [])
    # A sentence counts for what it says and for the passage it stands in (whose score has BM25 in it).
    # Measured on eval/qa.jsonl: quotes hold the gold evidence for 0.914 of questions, 0.905 with cosine alone.
    top = hits[0].score or 1.0
    scores = 0.5 * sims[0] + 0.5 * np.array([h.score / top for h, _, _ in candidates])
    chosen = [i for i in np.argsort(-scores) if scores[i] >= QUOTE_WITHIN * scores.max()][:max_quotes]
    citations = [
        Citation(h.chunk.meeting_date, h.chunk.meeting_label, h.chunk.section, h.chunk.source, texts[i], s, e,
                 round(float(scores[i]), 4))
        for i in chosen for h, s, e in [candidates[i]]
    ]
    citations.sort(key=lambda c: (c.meeting_date, c.source, c.start))
    body = "\n".join(f"“{c.quote}” ({c.label()})" for c in citations)
    if re.match(r"\s*when\b", question, re.I):  # a "when" question gets its date up front
        body = f"Most relevant: the NEC meeting of {hits[0].chunk.meeting_label}.\n{body}"
    return Answer(question, body, False, citations)
