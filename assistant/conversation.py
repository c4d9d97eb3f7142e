"""Follow-up questions: carry the topic of the previous question into a short follow-up.

"and what about in 2013?" or "who proposed it?" say little on their own; searching them together
with the question before finds the passage the member means. A date named in the follow-up
replaces any date in the earlier question.
"""

from __future__ import annotations

import re

from .dates import find_dates

_FOLLOW_UP_START = re.compile(r"^\s*(?:and|but|also|so|then|what about|how about)\b", re.I)
_PRONOUN = re.compile(r"\b(?:it|its|that|this|those|these|they|them|he|she|him|her|there)\b", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
SHORT = 8  # words: a question this short that leans on a pronoun is a follow-up


def is_follow_up(question: str) -> bool:
    return bool(_FOLLOW_UP_START.match(question)) or (len(question.split()) <= SHORT and bool(_PRONOUN.search(question)))


def _without_dates(text: str) -> str:
    for mention in reversed(find_dates(text)):
        text = text[:mention.start] + text[mention.end:]
    return " ".join(_YEAR.sub("", text).split())


def contextualize(question: str, previous_query: str | None) -> str:
    """The text to search for `question`, given the query searched for the turn before it."""
    if not previous_query or not is_follow_up(question):
        return question
    names_a_date = bool(find_dates(question) or _YEAR.search(question))
    earlier = _without_dates(previous_query) if names_a_date else previous_query
    return f"{earlier} {question}"
