"""Phrases a member clips that the reports spell out: "Lib Dems" for "Liberal Democrats".

No report uses "Lib" or "Dems", so neither BM25 nor a sentence's share of the topic's words can find
the lines about the Liberal Democrats, and the dense model puts them no nearer than any election
result. A run of two or more words that no report uses is read as a phrase of the reports when each
of its words begins the phrase's word in the same place ("lib" → "liberal", "dem" → "democrats") and
exactly one phrase fits; the question is then searched as the reports spell it. A word alone is left
as it is: "dem" begins "demand" and "democracy" as well.
"""

from __future__ import annotations

import re
from collections import Counter

from .index import Index
from .topic import WORD, base

KEPT = 3  # letters a clipped word keeps at least: fewer begin too many words to tell phrases apart


class Clippings:
    """The reports' words by their first letters, to look up the phrases a run of clipped words may stand for."""

    def __init__(self, index: Index):
        self.index = index
        self._texts = [WORD.findall(r.text) for r in index.reports.values()]
        self._starting: dict[str, list[tuple[int, int]]] = {}
        for i, text in enumerate(self._texts):
            for j, word in enumerate(text):
                self._starting.setdefault(word[:KEPT].lower(), []).append((i, j))

    def phrase(self, run: list[str]) -> str | None:
        """The one phrase of the reports whose words each begin with the run's word in their place, as the
        reports most often write it ("Liberal Democrats", not "Liberal Democrat"); None if none or several fit."""
        heads = [base(w) for w in run]
        if any(len(h) < KEPT for h in heads):
            return None
        found: dict[tuple[str, ...], Counter[str]] = {}
        for i, j in self._starting.get(heads[0][:KEPT], []):
            phrase = self._texts[i][j:j + len(run)]
            if len(phrase) == len(run) and all(w.lower().startswith(h) for w, h in zip(phrase, heads)):
                found.setdefault(tuple(base(w) for w in phrase), Counter())[" ".join(phrase)] += 1
        return found.popitem()[1].most_common(1)[0][0] if len(found) == 1 else None

    def spelled_out(self, text: str) -> str:
        """The text with each run of clipped words replaced by the one phrase of the reports it stands for."""
        matches = list(WORD.finditer(text))
        runs: list[list[re.Match[str]]] = [[]]
        for m in matches:
            if self.index.mentions(m.group()):
                runs.append([])
            else:
                runs[-1].append(m)
        for run in reversed([r for r in runs if len(r) > 1]):
            phrase = self.phrase([m.group() for m in run])
            if phrase:
                text = text[:run[0].start()] + phrase + text[run[-1].end():]
        return text
