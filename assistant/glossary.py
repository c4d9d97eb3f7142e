"""Party shorthand that members type and the reports spell out, kept by staff in corpus/glossary.toml.

"indyref" is the Scottish independence referendum to every member, but no report writes it, and
all-mpnet-base-v2 reads it as word pieces near nothing in the reports (0.21 from its nearest
word): no measure of meaning can find what it stands for, so people who know say it. A term is
spelled out in the question only where no report uses it, as a clipped phrase is
(`clipping`), so a report that writes "NPF" is still found by "NPF". The file is read with the
reports and kept in the index's manifest, so a bad entry fails the build, with its line, and the
index in service goes on serving.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path

from .errors import IngestError

GLOSSARY_FILE = "glossary.toml"
_TERM = re.compile(r"[A-Za-z0-9]+(?:[ -][A-Za-z0-9]+)*")


def _line_of(text: str, key: str) -> int | None:
    """The line that defines `key`, for the error message (tomllib gives lines for syntax errors only)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.split("=", 1)[0].strip().strip('"\'') == key:
            return number
    return None


def load_glossary(corpus_dir: Path) -> dict[str, str]:
    """Term → what the reports call it, from corpus/glossary.toml; {} when there is no such file."""
    path = corpus_dir / GLOSSARY_FILE
    if not path.exists():
        return {}
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IngestError(path, f"cannot read the glossary: {exc}") from exc
    terms: dict[str, str] = {}
    for term, meaning in data.items():
        if not isinstance(meaning, str) or not meaning.strip():
            raise IngestError(path, f'{term!r} must be given what the reports call it, in quotes: {term} = "…"',
                              _line_of(text, term))
        if not _TERM.fullmatch(term):
            raise IngestError(path, f"{term!r} must be words (letters, digits, spaces, hyphens)", _line_of(text, term))
        if term.lower() in terms:
            raise IngestError(path, f"{term!r} is given twice (terms are matched in any case)", _line_of(text, term))
        terms[term.lower()] = " ".join(meaning.split())
    return terms


def spell_out(text: str, glossary: Mapping[str, str], used: Callable[[str], bool]) -> str:
    """The text with each glossary term that no report uses (`used`, word by word) replaced by what the
    reports call it; a term is a whole word or phrase, in any case, and the longest is taken first."""
    wanted = {term: meaning for term, meaning in glossary.items()
              if not all(used(w) for w in term.replace("-", " ").split())}
    if not wanted:
        return text
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(t).replace(r"\ ", r"\s+")
                                                      for t in sorted(wanted, key=len, reverse=True)) + r")(?![\w-])",
                         re.I)
    return pattern.sub(lambda m: wanted[" ".join(m.group().lower().split())], text)
