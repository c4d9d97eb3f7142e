"""The decision log: the sentences where the committee agreed, approved, decided, noted or resolved.

"We noted the results of the by-elections" is a formal noting; "it was noted that turnout was
low" is an observation from the discussion, so "noted that" does not count. The rule is checked
against eval/decisions.jsonl, every sentence of the five reports that uses a decision word,
judged by hand (see `nec-assistant eval`).

Found while indexing from the cleaned reports, so each decision is a verbatim quote with its
meeting date, section and offsets. A trailing "This was agreed." is already joined to the
request before it by `chunk_sentences`, so the decision keeps what was agreed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from .chunking import Chunk
from .embed import Embedder
from .ingest import Report

_DECISION = re.compile(
    r"\b(?:we|NEC|committee|sub-committee|taskforce|panel|group|it|this|that|they|which)\s+"
    r"(?:(?:has|have|had|was|were|then|also|formally|unanimously)\s+)*"
    r"(?:agreed|approved|endorsed|decided|resolved|noted(?!\s+that)|adopted|ratified)\b"
    r"|\b(?:was|were|been)\s+(?:agreed|approved|endorsed|adopted|ratified)\b"
    r"|\band\s+(?:agreed|approved|endorsed|decided|resolved)\s+(?:that|to|the)\b"
    r"|\bdecision\s+(?:has|had|was)\s+(?:now\s+)?(?:been\s+)?(?:taken|made)\b",
    re.I,
)
# Any word of deciding, whoever did it: wider than `_DECISION`, for ranking passages, not for the log.
# Boosting "when was X agreed?" passages by `is_decision` instead was measured (2026-11-25): one more
# qa.jsonl question ranked first, one fewer holdout answer quoting its evidence; so the wider rule stays.
_DECISION_WORD = re.compile(r"\b(?:agreed|approved|decided|endorsed|resolved|decision)\b", re.I)
# Labels a staff member would file a decision under; each decision takes the nearest by meaning.
TOPICS = ["conference", "selections and candidates", "Scotland", "finance and fundraising", "policy making",
          "elections and campaigns", "party reform", "NEC membership and committees", "membership",
          "digital and communications", "organisation and staff"]
TOPIC_MATCH = 0.30  # cosine a decision needs with a --topic query or a question to be listed...
TOPIC_WITHIN = 0.85  # ...and at least this share of the closest decision's: cosines run higher or lower
# from one model to another, and short topics score low against long sentences, so no one cut-off fits all.


@dataclass(frozen=True)
class Decision:
    meeting_date: str
    section: str
    source: str
    text: str
    start: int
    end: int
    topic: str

    def to_dict(self) -> dict:
        return asdict(self)

    def sort_key(self) -> tuple[str, str, int]:
        """Oldest meeting first, then in reading order."""
        return self.meeting_date, self.source, self.start

    def search_text(self) -> str:
        """What a decision is matched on: its topic label and its words."""
        return f"{self.topic}: {self.text}"


def is_decision(sentence: str) -> bool:
    """Whether a sentence records something the committee agreed: what goes in the decision log."""
    return bool(_DECISION.search(sentence))


def uses_decision_word(text: str) -> bool:
    """Whether a passage speaks of a decision at all ("agreed", "decision", …), by anyone."""
    return bool(_DECISION_WORD.search(text))


def find_decisions(reports: dict[str, Report], chunks: list[Chunk], spans: list[list[tuple[int, int]]],
                   sentence_vectors: np.ndarray, embedder: Embedder) -> tuple[list[Decision], np.ndarray]:
    """Every decision sentence in the reports, oldest meeting first, each with a topic label,
    and the vectors of their `search_text`, row for row.

    `spans` are the chunks' quotable sentences and `sentence_vectors` their vectors, in that order,
    as the index already has them: the topic label comes from those, not from encoding again."""
    found = [(row, c, s, e) for row, (c, s, e) in enumerate((c, s, e) for c, cs in zip(chunks, spans) for s, e in cs)
             if is_decision(reports[c.source].text[s:e])]
    if not found:
        return [], np.zeros((0, embedder.dimensions), dtype=np.float32)
    similarity = sentence_vectors[[row for row, *_ in found]] @ embedder.encode(TOPICS).T
    decisions = sorted(
        (Decision(c.meeting_date, c.section, c.source, reports[c.source].text[s:e], s, e, TOPICS[int(np.argmax(sims))])
         for (_, c, s, e), sims in zip(found, similarity)),
        key=Decision.sort_key)
    return decisions, embedder.encode([d.search_text() for d in decisions])


def select(decisions: list[Decision], allows: Callable[[str], bool] = lambda _: True,
           topic_similarity: np.ndarray | None = None) -> list[Decision]:
    """Decisions from the meetings `allows` (a meeting date → bool, such as `Filters.allows_date`) and,
    given each decision's cosine with a topic (row for row), those near that topic in meaning."""
    rows = [i for i, d in enumerate(decisions) if allows(d.meeting_date)]
    if topic_similarity is not None and rows:
        scores = topic_similarity[rows]
        rows = [i for i, score in zip(rows, scores) if score >= max(TOPIC_MATCH, TOPIC_WITHIN * scores.max())]
    return [decisions[i] for i in rows]
