"""Recognise the page furniture that saved web pages wrap around a report.

Two kinds: single lines that can sit anywhere ("Share this Article"), and the trailer that
follows the report (readers' comments, "More from …" teasers, donation and newsletter
prompts). Everything from the start of the trailer on is dropped, because comment and teaser
bodies are ordinary prose that no line-by-line test could tell from the report itself.
"""

from __future__ import annotations

import re

# Lines that are furniture wherever they stand.
_FURNITURE_LINE = re.compile(
    r"""^(?:
        share\ (?:this(?:\ article|\ post|\ page)?|with\ your\ friends|on\ \w+):?
      | (?:tweet|print|email)\ this(?:\ article)?
      | advertisement
      | read\ more\ *(?:→|»|>|\.\.\.)?
      | (?:previous|next)\ (?:article|post|story)
      | tags?:.*
    )\s*$""",
    re.I | re.X,
)

# Lines that open the trailer: nothing after them is report text.
_TRAILER_START = re.compile(
    r"""^(?:
        more\ from\ \S.*
      | (?:related|recommended|popular|most\ read|latest)(?:\ (?:posts|articles|stories|news))?\s*:?
      | featured(?:\ news)?\ \S.*
      | donate(?:\ here|\ now|\ today)?\s*!?
      | subscribe\ to\ .*
      | sign\ up\ (?:to|for)\ .*
      | we\ provide\ our\ content\ free.*
      | \d+\ comments?
      | (?:comments?|leave\ a\ (?:comment|reply)|join\ the\ discussion)\s*:?
      | share\ (?:with\ your\ friends|this(?:\ article|\ post|\ page)?):?
    )\s*$""",
    re.I | re.X,
)

# A bullet: "•", a dash or "*" before a space ("**bold**" is not one), or "1." / "1)". Leading space
# is allowed: readers' comment threads indent their bullets.
BULLET = re.compile(r"^\s*(?:[•·▪◦]|[*\-–—](?=\s)|\d{1,2}[.)](?=\s))\s*")
_NAME_LIKE = re.compile(r"^[\w'’.-]+(?:\s+[\w'’.-]+){0,3}$")


def is_furniture_line(line: str) -> bool:
    """A line such as 'Share this Article' or 'Read more →', wherever it stands."""
    return bool(_FURNITURE_LINE.match(line.strip()))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _is_comment_author(lines: list[str], i: int) -> bool:
    """A bullet holding only a short name, whose next text line is indented deeper: a reader's comment."""
    line = lines[i]
    bullet = BULLET.match(line)
    if not bullet:
        return False
    name = line[bullet.end():].strip()
    if not name or not _NAME_LIKE.match(name) or any(ch.isdigit() for ch in name):
        return False
    following = next((l for l in lines[i + 1:] if l.strip()), None)
    return following is not None and _indent(following) > _indent(line) and not BULLET.match(following)


def trailer_start(lines: list[str], body_from: int = 0) -> int | None:
    """Index of the first line of the page's trailer at or after `body_from`, or None."""
    for i in range(body_from, len(lines)):
        stripped = lines[i].strip()
        if not stripped:
            continue
        if _TRAILER_START.match(stripped) or _is_comment_author(lines, i):
            return i
    return None
