"""Read an HTML page saved from a news site or blog: the report's own text, not the site around it.

trafilatura removes the boilerplate (navigation, share buttons, related posts, comment threads,
footers) and reads the page's metadata; this module only lays its result out as `Document` text.
An archive page holding several posts gives one Document per post, each with its own title, date
and permalink, because each post there is the report of a different meeting.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple
from urllib.parse import urljoin

import trafilatura
from lxml.etree import _Element
from lxml.html import HtmlElement
from trafilatura.settings import Document as Extracted, set_date_params

from ..dates import MeetingDate
from ..errors import IngestError
from . import Document

# Elements of trafilatura's output that are laid out on lines of their own.
_BLOCKS = {"head", "p", "quote", "list", "item", "table", "row", "code"}
_PREFIX = {"head": "## ", "item": "• ", "row": "• "}
# Parts of a page trafilatura always leaves out, as the preview names them.
_LANDMARKS = {"nav": "navigation", "aside": "sidebar", "footer": "footer"}
_POSTS = "//article[not(ancestor::article)][.//h1 or .//h2 or .//h3]"  # a reader's comment has no heading
_PERMALINK = ".//a[@rel='bookmark']/@href | .//*[self::h1 or self::h2 or self::h3]//a/@href"


class _Found(NamedTuple):
    meta: Extracted  # trafilatura's findings: title, author, date, url, comments
    text: str  # the main text in the Document layout


def read(path: Path, data: bytes) -> list[Document]:
    """One Document for a page, or one per post for an archive page that holds several."""
    tree = trafilatura.load_html(data)
    if tree is None:
        raise IngestError(path, "not an HTML page: no <html> markup found")
    page = _extract(tree)
    dropped = tuple(phrase for tag, phrase in _LANDMARKS.items() if tree.find(f".//{tag}") is not None)
    page_url, page_author = (page.meta.url, page.meta.author) if page else (None, None)
    # A post has its own title and date; a teaser card in a "related posts" box has neither.
    posts = [(post, found) for post in tree.xpath(_POSTS)
             if (found := _extract(post)) and found.meta.title and found.meta.date]
    if len(posts) >= 2:
        return [_document(found, _permalink(post, page_url), dropped, page_author) for post, found in posts]
    if page is None:
        raise IngestError(path, "no main text found on the page, only navigation, comments or other page furniture")
    return [_document(page, page_url, dropped)]


def html_text(tree: HtmlElement) -> str:
    """The main text of an HTML document (a page, an email's HTML part) in the Document layout; "" if none."""
    found = _extract(tree)
    return found.text if found else ""


def _extract(tree: HtmlElement) -> _Found | None:
    """What trafilatura finds; None when there is no main text. Recall mode, because the balanced one
    drops the headings and lists of a body that sits in no article container (an email's HTML, a
    plain old page), and they are a report's substance. Dates only from the page's date markup: a
    deeper search would take one from the text, the meeting's."""
    found = trafilatura.bare_extraction(tree, with_metadata=True, include_formatting=True, favor_recall=True,
                                        date_extraction_params=set_date_params(extensive=False))
    text = _layout(found.body) if found is not None else ""
    return _Found(found, text) if text else None


def _document(found: _Found, url: str | None, dropped: tuple[str, ...], author: str | None = None) -> Document:
    meta = found.meta
    return Document(
        text=found.text,
        format="html",
        title=meta.title,
        author=meta.author or author,
        posted=MeetingDate.parse_iso(meta.date) if meta.date else None,
        url=url,
        dropped=(("reader comments",) if meta.comments else ()) + dropped,
    )


def _permalink(post: HtmlElement, page_url: str | None) -> str | None:
    """The post's own link (rel=bookmark, or its linked title), made absolute; else the page's URL."""
    links = post.xpath(_PERMALINK)
    return urljoin(page_url or "", links[0]) if links else page_url


def _layout(body: _Element) -> str:
    """trafilatura's XML body as "## " headings, "• " bullets and paragraphs with blank lines between."""
    lines: list[str] = []
    for block in body.iter(*_BLOCKS):
        text = " | ".join(_inline(cell) for cell in block) if block.tag == "row" else _inline(block)
        if not text:
            continue
        prefix = "## " if _is_bold_line(block) else _PREFIX.get(block.tag, "")
        if lines and not (prefix == "• " and lines[-1].startswith("• ")):
            lines.append("")
        lines.append(prefix + (" ".join(text.split()) if prefix == "## " else text))
    return "\n".join(lines)


def _inline(block: _Element) -> str:
    """A block's own text, whitespace tidied, <lb> kept as a line break; nested blocks are left to their own lines."""
    parts = [block.text or ""]
    for child in block:
        if child.tag == "lb":
            parts.append("\n")
        elif child.tag not in _BLOCKS:
            parts.append(_inline(child))
        parts.append(child.tail or "")
    return "\n".join(filter(None, (" ".join(line.split()) for line in "".join(parts).splitlines())))


def _is_bold_line(block: _Element) -> bool:
    """A paragraph that is all bold: how many blogs mark a heading."""
    return (block.tag == "p" and not (block.text or "").strip() and len(block) == 1
            and block[0].tag == "hi" and block[0].get("rend") == "#b" and not (block[0].tail or "").strip())
