"""What a question asks, read once: the text to search, the meetings it names, and its intent.

Every other module takes a `Question` and asks it what it wants ("does it ask when?", "which
meetings does it name?") instead of matching the question's words itself. A short follow-up
("and what about in 2013?", "who proposed it?") is read together with the question before it,
since on its own it says too little to search for; a date it names replaces the earlier one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .chunking import encoding
from .dates import find_dates, mentioned_periods
from .topic import model

# cl100k tokens kept of a question. all-mpnet-base-v2 reads 384 word pieces
# (its sentence_bert_config.json); 200 cl100k tokens of ordinary English stay well inside that.
MAX_TOKENS = 200
FOLLOW_UP_WORDS = 8  # a question this short that leans on a pronoun is a follow-up

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_FOLLOW_UP_START = re.compile(r"^\s*(?:and|but|also|so|then|what about|how about)\b", re.I)
_PRONOUN = re.compile(r"\b(?:it|its|that|this|those|these|they|them|he|she|him|her|there)\b", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_WHEN = re.compile(r"\bwhen\b", re.I)
_DECIDING = r"agree|decid|approv|settl|sign|endors|resolv|chose|choos|pick"
_ASKS_WHEN_DECIDED = re.compile(rf"\bwhen\b.*\b(?:{_DECIDING})", re.I)
_ASKS_ABOUT_DECISIONS = re.compile(rf"\bwhen\b.*\b(?:{_DECIDING}|set|fix)"
                                   r"|\bwhat\b.*\b(?:agreed|decided|approved|resolved)\b", re.I)
_ABOUT_MEETINGS = re.compile(r"\bmeetings?\b|\baway[ -]?days?\b", re.I)
_FIRST_OR_LAST = re.compile(r"\b(?P<which>first|earliest|last|final|latest)\s+(?:NEC\s+)?meeting\s+(?:of|in)\s+"
                            r"(?P<year>(?:19|20)\d\d)\b", re.I)
_LATEST = re.compile(r"\bthe\s+(?:last|latest|most\s+recent)\s+(?:NEC(?:\s+(?:meeting|away[ -]?day))?|meeting"
                     r"|away[ -]?day)\b", re.I)
_WORD = re.compile(r"[A-Za-z][\w’'-]*")
_POSSESSIVE = re.compile(r"(?:’s|'s|’|')$")


@dataclass(frozen=True)
class Periods:
    """The months and bare years a question points at, resolved against the meetings there are."""

    months: frozenset[tuple[int, int]]  # (year, month)
    years: frozenset[int]

    def __bool__(self) -> bool:
        return bool(self.months or self.years)

    def has_month_of(self, meeting_date: str) -> bool:
        return (int(meeting_date[:4]), int(meeting_date[5:7])) in self.months

    def has_year_of(self, meeting_date: str) -> bool:
        return int(meeting_date[:4]) in self.years


@dataclass(frozen=True)
class Question:
    """A question as read: what to search for, and what it asks."""

    typed: str  # as the member typed it, control characters out and white space folded
    text: str  # what is searched and answered: `typed`, after the previous topic for a follow-up, cut to MAX_TOKENS
    cut_from: int | None  # the tokens it had, when it was cut to MAX_TOKENS
    months: frozenset[tuple[int, int]]  # (year, month) pairs it names: "in July 2013", "spring 2012"
    years: frozenset[int]  # bare years it names: "in 2013"
    pick: str | None  # "first" or "last" meeting ("the last meeting of 2014", "the most recent away day")
    pick_year: str  # the year `pick` is within, or "" for all meetings
    asks_when: bool  # "when" anywhere in it
    opens_with_when: bool  # "When …?": the answer leads with the date
    asks_when_decided: bool  # "when was X agreed / settled / chosen?"
    asks_about_decisions: bool  # that, or "what has the NEC agreed about X?"
    about_meetings: bool  # it speaks of meetings or away days, so a period it names is theirs
    names: tuple[str, ...]  # capitalised words after the first, possessive dropped: maybe people's names
    broad: bool  # it asks what was said on a topic ("anything on Europe?"), not for one fact

    @classmethod
    def read(cls, typed: str, previous: Question | None = None) -> Question:
        """Read what was typed, as a follow-up to `previous` when it is one."""
        typed = " ".join(_CONTROL.sub(" ", typed).split())
        text = _with_context(typed, previous.text) if previous and typed else typed
        tokens = encoding().encode(text, disallowed_special=())
        cut_from = None
        if len(tokens) > MAX_TOKENS:
            cut_from, text = len(tokens), encoding().decode(tokens[:MAX_TOKENS]).rstrip("\ufffd")
        months, years = mentioned_periods(text)
        ordinal = _FIRST_OR_LAST.search(text)
        pick = None
        if ordinal:
            pick = "first" if ordinal["which"].lower() in ("first", "earliest") else "last"
        elif _LATEST.search(text):
            pick = "last"
        asks_when, asks_about_decisions = bool(_WHEN.search(text)), bool(_ASKS_ABOUT_DECISIONS.search(text))
        return cls(
            typed=typed, text=text, cut_from=cut_from, months=frozenset(months), years=frozenset(years),
            pick=pick, pick_year=ordinal["year"] if ordinal else "",
            asks_when=asks_when, opens_with_when=bool(_WHEN.match(text)),
            asks_when_decided=bool(_ASKS_WHEN_DECIDED.search(text)),
            asks_about_decisions=asks_about_decisions,
            about_meetings=bool(_ABOUT_MEETINGS.search(text)),
            names=tuple(_POSSESSIVE.sub("", w) for w in _WORD.findall(text)[1:] if w[0].isupper()),
            # A question pinned to a meeting ("in May 2012") wants that meeting's answer, not a timeline;
            # one asking when, or what was agreed, wants the decision.
            broad=model().is_broad(text) and not (months or years or pick or asks_when or asks_about_decisions),
        )

    def __bool__(self) -> bool:
        return bool(self.text)

    def periods(self, meeting_dates: Iterable[str]) -> Periods:
        """The periods it names; "the first/last meeting (of YEAR)" becomes that meeting's month,
        chosen among `meeting_dates`."""
        if self.pick:
            meetings = sorted({d for d in meeting_dates if d.startswith(self.pick_year)})
            if meetings:
                chosen = meetings[0] if self.pick == "first" else meetings[-1]
                return Periods(frozenset({(int(chosen[:4]), int(chosen[5:7]))}), frozenset())
        return Periods(self.months, self.years)

    def cut_note(self) -> str | None:
        """What was done to the question before answering it, for the member to see."""
        if self.cut_from is None:
            return None
        return (f"Your question was {self.cut_from:,} tokens long; I read only its first {MAX_TOKENS} "
                f"(“{self.text[:60]}…”).")


def is_follow_up(typed: str) -> bool:
    return bool(_FOLLOW_UP_START.match(typed)) or (len(typed.split()) <= FOLLOW_UP_WORDS
                                                     and bool(_PRONOUN.search(typed)))


def _without_dates(text: str) -> str:
    for mention in reversed(find_dates(text)):
        text = text[:mention.start] + text[mention.end:]
    return " ".join(_YEAR.sub("", text).split())


def _with_context(typed: str, previous: str) -> str:
    """The text to search for a follow-up: the previous question's, then its own; a date it names
    replaces the earlier question's."""
    if not is_follow_up(typed):
        return typed
    names_a_date = bool(find_dates(typed) or _YEAR.search(typed))
    return f"{_without_dates(previous) if names_a_date else previous} {typed}"
