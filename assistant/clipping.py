"""Phrases a member clips that the reports spell out: "Lib Dems" for "Liberal Democrats".

No report uses "Lib" or "Dems", so neither BM25 nor a sentence's share of the topic's words can find
the lines about the Liberal Democrats, and the dense model puts them no nearer than any election
result. A run of two or more words that no report uses is read as a phrase of the reports when each
of its words begins the phrase's word in the same place ("lib" → "liberal", "dem" → "democrats") and
exactly one phrase fits; the question is then searched as the reports spell it. A word alone is left
as it is: "dem" begins "demand" and "democracy" as well. The reports are scanned only for a run whose
every word begins some word of theirs, so nothing is held, and most questions cost nothing.
"""

from __future__ import annotations

import re
from collections import Counter

from .index import Index
from .topic import WORD, base

KEPT = 3  # letters a clipped word keeps at least: fewer begin too many words to tell phrases apart


def phrase(run: list[str], index: Index) -> str | None:
    """The one phrase of the reports whose words each begin with the run's word in their place, as the
    reports most often write it ("Liberal Democrats", not "Liberal Democrat"); None if none or several fit."""
    heads = [base(w) for w in run]
    if any(len(h) < KEPT or not index.begins_a_word(h) for h in heads):  # before reading every report
        return None
    pattern = re.compile(r"(?<![\w-])" + r"\s+".join(re.escape(h) + r"[\w-]*" for h in heads) + r"(?![\w-])", re.I)
    found: dict[tuple[str, ...], Counter[str]] = {}
    for report in index.reports.values():
        for m in pattern.finditer(report.text):
            spelled = " ".join(m.group().split())
            found.setdefault(tuple(base(w) for w in WORD.findall(spelled)), Counter())[spelled] += 1
    return found.popitem()[1].most_common(1)[0][0] if len(found) == 1 else None


def spelled_out(text: str, index: Index) -> str:
    """The text with each run of clipped words replaced by the one phrase of the reports it stands for."""
    runs: list[list[re.Match[str]]] = [[]]
    for m in WORD.finditer(text):
        if index.mentions(m.group()):
            runs.append([])
        else:
            runs[-1].append(m)
    for run in reversed([r for r in runs if len(r) > 1]):
        spelled = phrase([m.group() for m in run], index)
        if spelled:
            text = text[:run[0].start()] + spelled + text[run[-1].end():]
    return text
