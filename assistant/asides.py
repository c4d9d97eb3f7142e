"""The author's asides: sentences that are not NEC business, kept in the text but never quoted.

Reports carry, besides page furniture, the author's own asides: the disclaimer ("This is my personal
account … should not be taken as the official record"), requests to pass the report on, link
lines ("You can read more … here"), offers to visit ("please don't hesitate to get in touch"),
greetings and sign-offs. Unlike furniture they stand inside the report, so they stay in the text
(every offset stays right, and "Show in context" shows them); they are only never a quote.
Checked against eval/asides.jsonl, the asides of the five reports marked by hand.
"""

from __future__ import annotations

import re

_ASIDE = re.compile(
    r"""
    \bpersonal\s+account\b | \bnot\s+be\s+taken\s+as\s+(?:the\s+|an\s+)?official\b     # the disclaimer
    | \bplease\s+(?:do\s+)?pass\s+(?:it\s+|this\s+)?on\b                                 # pass it on
    | \b(?:read|written|see|watch|download|find|look\s+at)\b[^.]*\b(?:here|below)\s*[.!]?$  # link lines
    | \bup\s+here\b | \bwon['’]t\s+repeat\b | \bI['’]d\s+recommend\s+doing\s+so\b
    | \b(?:get|be)\s+in\s+touch\b | \bcontact(?:ing)?\s+me\b | \bplease\s+let\s+me\s+know\b  # offers to come and speak
    | \bdon['’]t\s+hesitate\b | \blike\s+me\s+to\s+(?:visit|come|speak)\b
    | ^(?:dear|hi|hello)\b[^.]{0,40}[,!]?$ | ^(?:best\s+wishes|kind\s+regards|regards|thanks\s+for\s+reading)\b  # greetings
    | \bI\s+hope\s+you\s+(?:all\s+)?(?:manage|have|get|enjoy)\b
    """,
    re.I | re.X,
)


def is_aside(sentence: str) -> bool:
    return bool(_ASIDE.search(sentence.strip()))
