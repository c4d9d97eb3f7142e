"""Read an email to members (.eml): the sender's report, without the message it replies to or the signature.

The standard library's `email` package parses and decodes the message; this module picks the body
(the plain-text part, else the HTML part through the one HTML path in `readers.html`) and cuts what
the sender did not write for this message: quoted replies, an Outlook "Original Message" block and
the "-- " signature. A forwarded message is kept: it is often the very report being passed on.
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

import lxml.html
from lxml.etree import ParserError

from ..dates import MeetingDate
from ..errors import IngestError
from . import Document
from .html import html_text

_REPLY_PREFIX = re.compile(r"^(?:(?:re|fwd?)\s*:\s*)+", re.I)
_ORIGINAL = re.compile(r"^-{2,}\s*Original Message\s*-{2,}$", re.I)
_SIGNATURE = {"-- ", "--"}  # RFC 3676 says "-- "; many clients trim the space
# Quoted mail in an HTML part: Apple Mail and Thunderbird mark it cite, Gmail gmail_quote.
_QUOTED_HTML = "//blockquote[@type='cite'] | //*[contains(concat(' ', @class, ' '), ' gmail_quote ')]"


def read(path: Path, data: bytes) -> list[Document]:
    """One Document: a digest of several reports stays one, for ingest to split by its text."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    if not any(msg[name] for name in ("From", "Date", "Subject")):
        raise IngestError(path, "not an email: it has no From, Date or Subject header")
    body = msg.get_body(("plain", "html"))
    if body is None:
        raise IngestError(path, "the email has no plain-text or HTML part to read")
    try:
        content = body.get_content()
    except (LookupError, UnicodeError) as exc:
        raise IngestError(path, f"cannot decode the email's text: {exc}") from exc
    dropped: list[str] = []
    if body.get_content_subtype() == "html":
        content = _html_body(content, dropped)
    text = _own_words(content.splitlines(), dropped)
    if not text:
        raise IngestError(path, "the email has no text of its own, once quoted replies and the signature are left out")
    return [Document(text=text, format="email", title=_title(msg), author=_author(msg), posted=_posted(msg),
                     dropped=tuple(dropped))]


def _html_body(markup: str, dropped: list[str]) -> str:
    """An HTML part's text, with the quoted message it replies to taken out first."""
    try:
        tree = lxml.html.document_fromstring(markup)
    except (ParserError, ValueError):
        return ""
    quoted = tree.xpath(_QUOTED_HTML)
    for element in quoted:
        if element.getparent() is not None:  # not already gone with an enclosing quote
            element.drop_tree()
    if quoted:
        dropped.append("quoted reply")
    return html_text(tree)


def _own_words(lines: list[str], dropped: list[str]) -> str:
    """The lines the sender wrote: an "Original Message" block, quoted lines (with the "On … wrote:"
    line above them) and the signature are cut, and each cut is noted in `dropped`."""
    lines = [line.rstrip() for line in lines]
    original = next((i for i, line in enumerate(lines) if _ORIGINAL.match(line.strip())), len(lines))
    _note(dropped, "original message", lines[original:])
    lines = lines[:original]
    quoted = {i for i, line in enumerate(lines) if line.startswith(">")}
    for i, line in enumerate(lines):
        if line.endswith("wrote:") and _quote_follows(lines, i, quoted):
            quoted.add(i)
            if i and not line.startswith("On ") and lines[i - 1].startswith("On "):  # a wrapped "On … wrote:"
                quoted.add(i - 1)
    _note(dropped, "quoted reply", [lines[i] for i in sorted(quoted)])
    lines = [line for i, line in enumerate(lines) if i not in quoted]
    signature = next((i for i, line in enumerate(lines) if line in _SIGNATURE), len(lines))
    _note(dropped, "signature", lines[signature + 1:])
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines[:signature])).strip()


def _quote_follows(lines: list[str], i: int, quoted: set[int]) -> bool:
    """Whether the next line with text after line `i` is quoted (or there is none)."""
    return next((j in quoted for j in range(i + 1, len(lines)) if lines[j]), True)


def _note(dropped: list[str], what: str, lines: list[str]) -> None:
    count = sum(1 for line in lines if line.strip())
    if count:
        dropped.append(f"{what} ({count} line{'s' if count > 1 else ''})")


def _title(msg: EmailMessage) -> str | None:
    return _REPLY_PREFIX.sub("", str(msg["Subject"] or "")).strip() or None


def _author(msg: EmailMessage) -> str | None:
    """The sender's display name, else the address."""
    sender = msg["From"]
    if sender is None or not sender.addresses:
        return str(sender or "") or None
    first = sender.addresses[0]
    return first.display_name or first.addr_spec


def _posted(msg: EmailMessage) -> MeetingDate | None:
    """The day it was sent, as the Date header gives it (in the sender's time zone)."""
    sent = msg["Date"].datetime if msg["Date"] else None
    return MeetingDate(sent.year, sent.month, sent.day) if sent else None
