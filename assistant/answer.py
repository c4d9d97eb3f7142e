"""Extractive answers: quote the sentences that answer the question, each with its citation.

Nothing is generated: every quote is a span of a cleaned report, so it can be checked word for
word. The best passages are split into sentences, each sentence is scored against the question,
and the best few are quoted, oldest meeting first. When the reports plainly cannot answer, the
answer says why (an `Abstention`) instead of quoting something unrelated.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from .chunking import Chunk, citation_label
from .decisions import TOPIC_MATCH, TOPIC_WITHIN
from .index import Index, Sentence
from . import on_topic
from .question import Question
from .retrieve import Filters, Hit, Retriever
from .senses import TopicSenses, topic_senses
from .topic import words

# Abstention, set on eval/qa.jsonl and eval/holdout.jsonl to lose no answerable question but one
# (precision first): the cosines below are those of the question with its best sentence.
ABSTAIN_BELOW = 0.30  # nothing relevant was found (off-topic questions score 0.12-0.33)
UNKNOWN_NAME_BELOW = 0.52  # ...or under this when the question names someone the reports never mention
PASSAGES = 5
MAX_QUOTES = 4
QUOTE_WITHIN = 0.75  # quote sentences scoring at least this share of the best one
# The decision timeline:
FOLLOW_UP_SIMILAR = 0.8  # cosine of a sentence at another meeting with the decision it returns to: with
# all-mpnet-base-v2 the same decision retold sits at 0.85-0.95, a neighbouring matter at 0.7-0.78
FOLLOW_UP_RELEVANT = 0.8  # ...and its cosine with the question, as a share of the decision's
MAX_FOLLOW_UPS = 2
OVERVIEW_MEETINGS = 6  # meetings a broad answer quotes; the others are named
OVERVIEW_ODDS = 0.35  # ...each for its line most likely on the topic: the first at these odds, each further
# meeting at 11:9, for each is one more chance of an off-topic quote. A topic with words the reports never use is
# already less likely (on_topic's "unknown"), so the first line can be taken at lower odds. Over the seventeen sets
# written as members ask (the narrow sixth to eighth aside), each left out of both models in turn (546 answerable
# questions, 97 never discussed): 17 answerable questions without an on-topic quote and 3 never-discussed topics
# answered at 0.5, 16 and 3 at 0.4, 14 and 4 at 0.35; quote precision 0.933 at each. Checked again with twenty such
# sets (648 answerable, 115 never discussed): 15 and 4 at 0.35, 15 and 12 at 0.3, 15 and 26 at 0.25.
FURTHER_ODDS = 0.55


class Abstention(enum.Enum):
    """Why an answer quotes nothing."""

    EMPTY_QUESTION = "empty question"
    NO_MATCH = "no match"
    UNKNOWN_NAME = "unknown name"
    PERIOD_NOT_COVERED = "period not covered"


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
    url: str | None = None  # where the report was published, when known

    def label(self) -> str:
        return citation_label(self.meeting_label, self.section)

    def to_dict(self) -> dict:
        """The `ask --json` citation; `meeting_date`, `section`, `source`, `quote` are a stable interface."""
        return {"meeting_date": self.meeting_date, "section": self.section, "source": self.source,
                "quote": self.quote, "start": self.start, "end": self.end, "url": self.url}


@dataclass(frozen=True)
class Answer:
    """An answer as data: a lead line (or the reason for abstaining), the quotes, and why it abstained."""

    question: Question
    lead: str | None  # "Agreed at the NEC meeting of …", "Most relevant: …", or why nothing is quoted
    citations: list[Citation]
    abstention: Abstention | None = None
    overview: bool = False  # one line per meeting, oldest first, for a broad question

    @property
    def abstained(self) -> bool:
        return self.abstention is not None

    @property
    def note(self) -> str | None:
        return self.question.cut_note()

    @property
    def text(self) -> str:
        """The answer as plain text: the lead, each quote with its citation, then the note."""
        lines = [self.lead] if self.lead else []
        lines += [f"“{c.quote}” ({c.label()})" for c in self.citations]
        return "\n".join(lines + ([f"({self.note})"] if self.note else []))

    def to_dict(self) -> dict:
        """The `ask --json` object; its keys are a stable interface."""
        return {"question": self.question.text, "answer": self.text, "abstained": self.abstained,
                "reason": self.abstention.value if self.abstention else None,
                "citations": [c.to_dict() for c in self.citations], "note": self.note}


NOTHING_FOUND = "I couldn't find anything about that in the NEC reports."
ASK_SOMETHING = "Please type a question about the NEC meetings."


def _why_unanswerable(question: Question, index: Index, best_sentence: float, topic: str = "") -> Answer | None:
    """An abstention when the question asks about a period with no meeting here, names someone the
    reports never mention, or comes near nothing; None when it can be answered."""
    dates = sorted(r.meeting_date for r in index.reports.values())
    if question.about_meetings and (question.months or question.years) and not any(
            (d.year, d.month) in question.months or d.year in question.years for d in dates):
        period = ", ".join(sorted({str(y) for y in question.years} | {f"{m:02d}/{y}" for y, m in question.months}))
        return Answer(question, f"The reports I have cover NEC meetings from {dates[0].human()} to "
                                f"{dates[-1].human()}; none took place in {period}.", [], Abstention.PERIOD_NOT_COVERED)
    # A question that is nothing but its topic may be a name: "Falkirk", "Johann Lamont".
    bare = topic and words(topic) == words(question.text)
    names = question.names + tuple(w for w in words(topic)[:1] if bare and w[0].isupper())
    unknown = [name for name in names if not index.mentions(name.split("-")[0])]
    if unknown and best_sentence < UNKNOWN_NAME_BELOW:
        return Answer(question, f"The NEC reports don't mention {' '.join(unknown)}.", [], Abstention.UNKNOWN_NAME)
    return Answer(question, NOTHING_FOUND, [], Abstention.NO_MATCH) if best_sentence < ABSTAIN_BELOW else None


def _inside(chunk: Chunk, source: str, start: int) -> bool:
    return chunk.source == source and chunk.start <= start < chunk.end


def _citation(index: Index, sentence: Sentence, score: float) -> Citation:
    chunk = index.chunks[sentence.position]
    return Citation(chunk.meeting_date, chunk.meeting_label, chunk.section, chunk.source, index.quote(sentence),
                    sentence.start, sentence.end, round(score, 4), index.reports[chunk.source].url)


def _oldest_first(citations: list[Citation]) -> list[Citation]:
    """The citations in meeting and reading order."""
    return sorted(citations, key=lambda c: (c.meeting_date, c.source, c.start))


def _follow_ups(index: Index, query: np.ndarray, best: Sentence, filters: Filters, taken: set[tuple[str, int]]
                ) -> list[Citation]:
    """Sentences from other meetings that return to the matter of `best`: near it in meaning, and
    near the question too, so a shared word like 'timetable' is not enough."""
    near = index.sentences_near(best, FOLLOW_UP_SIMILAR)
    to_question = index.similarity([best] + [s for s, _ in near], query)
    best_date = index.chunks[best.position].meeting_date
    found = []
    for (sentence, _), relevance in zip(near, to_question[1:]):
        if len(found) == MAX_FOLLOW_UPS:
            break
        chunk = index.chunks[sentence.position]
        if (chunk.meeting_date == best_date or (chunk.source, sentence.start) in taken
                or not filters.allows_date(chunk.meeting_date) or relevance < FOLLOW_UP_RELEVANT * to_question[0]):
            continue
        found.append(_citation(index, sentence, float(relevance)))
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


def decision_answer(question: Question, index: Index, filters: Filters, max_quotes: int, hits: list[Hit],
                    query: np.ndarray) -> Answer | None:
    """For 'when was X agreed?': the decision that answers, its meeting named first, with the decisions
    and follow-ups from other meetings on the same matter, oldest first. None when no decision is
    near the question in meaning.

    The decision is the one nearest the question among those in the passages found, so BM25's
    word matches count; only when none of those holds a decision is the whole log searched."""
    allowed = [i for i, d in enumerate(index.decisions) if filters.allows_date(d.meeting_date)]
    if not allowed:
        return None
    # Matched on the sentence alone: the topic label in `search_text` ("NEC membership and committees")
    # would pull every decision towards any question that says "NEC".
    sentences = {i: index.sentence_at(index.decisions[i].source, index.decisions[i].start) for i in allowed}
    scores = dict(zip(allowed, index.similarity(list(sentences.values()), query).tolist()))
    # A decision in a passage found counts for what it says and for that passage, as quotes do below.
    top = (hits[0].score or 1.0) if hits else 1.0
    in_hits = {i: 0.5 * scores[i] + 0.5 * max(h.score / top for h in hits if _inside(h.chunk, d.source, d.start))
               for i in allowed for d in [index.decisions[i]] if any(_inside(h.chunk, d.source, d.start) for h in hits)}
    best = max(in_hits, key=in_hits.__getitem__) if in_hits else max(allowed, key=scores.__getitem__)
    if not in_hits and scores[best] < TOPIC_MATCH:
        return None
    # "When was X agreed?" wants X and what followed it; "What has the NEC agreed about X?" every decision on X.
    related = [] if question.asks_when else sorted(
        (i for i in allowed if i != best and scores[i] >= max(TOPIC_MATCH, TOPIC_WITHIN * max(scores.values()))),
        key=lambda i: -scores[i])[:max_quotes - 1]

    chosen = [_citation(index, sentences[i], scores[i]) for i in [best] + related]
    chosen += _follow_ups(index, query, sentences[best], filters, {(c.source, c.start) for c in chosen})
    lead = _timeline_lead(chosen[0], [c for c in chosen[1:] if c.meeting_date != chosen[0].meeting_date],
                          question.asks_when)
    return Answer(question, lead, _oldest_first(chosen))


def _meetings_named(citations: list[Citation]) -> str:
    labels = [c.meeting_label for c in _oldest_first(citations)]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def overview_answer(question: Question, index: Index, hits: list[Hit], query: np.ndarray, topic: str,
                    senses: TopicSenses) -> Answer:
    """For a broad question: the line most likely on its topic (`on_topic`) if that is more likely than
    not, and from each further meeting its best line at FURTHER_ODDS; oldest first, naming the meetings
    beyond OVERVIEW_MEETINGS."""
    found = on_topic.candidates(index, hits, query, topic, senses)
    chance = on_topic.model().probability(found.signals)
    best: dict[str, int] = {}
    for i in np.argsort(-chance, kind="stable"):
        if chance[i] < (FURTHER_ODDS if best else OVERVIEW_ODDS):
            break
        best.setdefault(found.hits[i].chunk.meeting_date, int(i))
    if not best:  # nothing found is more likely on the topic than not
        return Answer(question, NOTHING_FOUND, [], Abstention.NO_MATCH)
    ranked = [_citation(index, found.sentences[i], float(chance[i])) for i in best.values()]
    shown, others = _oldest_first(ranked[:OVERVIEW_MEETINGS]), ranked[OVERVIEW_MEETINGS:]
    lead = (f"Discussed at the NEC meeting of {shown[0].meeting_label}." if len(shown) == 1 else
            f"Discussed at {len(shown)} NEC meetings; the most relevant line from each, oldest first.")
    if others:
        lead += f" Also discussed on {_meetings_named(others)}."
    return Answer(question, lead, shown, overview=True)


def answer(question: Question, retriever: Retriever, filters: Filters = Filters(), passages: int = PASSAGES,
           max_quotes: int = MAX_QUOTES) -> Answer:
    """Answer any question read: an empty one is asked for again."""
    if not question:
        return Answer(question, ASK_SOMETHING, [], Abstention.EMPTY_QUESTION)
    index = retriever.index
    spelled = retriever.spelled(question)
    searched = retriever.search_text(question, spelled)
    # A broad answer weighs its topic's words by their sense in the question, which the model gives with the vector.
    query, senses = (topic_senses(retriever.embedder, searched, spelled) if question.broad
                     else (retriever.embedder.encode([searched]), None))
    hits = retriever.search(question, k=max(passages, on_topic.PASSAGES) if question.broad else passages,
                            filters=filters, query_vector=query, searched=searched)
    if question.asks_about_decisions:
        from_log = decision_answer(question, index, filters, max_quotes, hits, query)
        if from_log:
            return from_log
    if not hits:
        return Answer(question, NOTHING_FOUND, [], Abstention.NO_MATCH)
    # "at the last away day", "in July 2013": quote that meeting only. A year alone is left out: "hiring
    # for fundraising in 2013" was answered at the November 2012 meeting.
    periods = question.periods(h.chunk.meeting_date for h in hits)
    named = [h for h in hits if periods.has_month_of(h.chunk.meeting_date)]
    hits = named or hits
    # Whether anything relevant was found counts every sentence, asides too; only the others are quoted.
    every = [s for hit in hits for s in index.sentences_of(hit.position, asides=True)]
    topic = searched if question.broad else ""
    refusal = _why_unanswerable(question, index, float(index.similarity(every, query).max(initial=-1.0)), topic)
    if question.broad:  # it names no period (`Question.broad`), so the refusal is a name or a low cosine:
        # whether it is answered is the on-topic model's call, and the refusal only says why not.
        overview = overview_answer(question, index, hits, query, topic, senses)
        return refusal if refusal and overview.abstained else overview
    if refusal:
        return refusal
    candidates = [(hit, sentence) for hit in hits for sentence in index.sentences_of(hit.position)]
    if not candidates:
        return Answer(question, NOTHING_FOUND, [], Abstention.NO_MATCH)
    sims = index.similarity([s for _, s in candidates], query)
    # A sentence counts for what it says and for the passage it stands in (whose score has BM25 in it).
    # Measured: quotes hold the gold evidence far more often than with cosine alone (README).
    top = hits[0].score or 1.0
    scores = 0.5 * sims + 0.5 * np.array([h.score / top for h, _ in candidates])
    chosen = [i for i in np.argsort(-scores) if scores[i] >= QUOTE_WITHIN * scores.max()][:max_quotes]
    citations = _oldest_first([_citation(index, candidates[i][1], float(scores[i])) for i in chosen])
    lead = f"Most relevant: the NEC meeting of {hits[0].chunk.meeting_label}." if question.opens_with_when else None
    return Answer(question, lead, citations)
