"""Turn a saved report page (.txt or .md) into a `Report`: meeting date, title, author, sections.

The pipeline, top to bottom: decode → drop page furniture → lines to paragraphs → mend
paragraphs broken by a stray blank line → split off the header (title, byline, dates) →
sections at headings → one cleaned text that every chunk and quote points into.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .dates import MeetingDate, dates_before, find_dates, has_date_without_year
from .errors import IngestError
from .furniture import BULLET, is_furniture_line, trailer_start

METADATA_FILE = "meetings.toml"
REPORT_SUFFIXES = (".txt", ".md")
MAX_REPORT_BYTES = 2_000_000
OPENING_SECTION = "Opening"

_TERMINAL = re.compile(r"[.!?…:;\"”’)\]]$")
_SENTENCE_END = re.compile(r"[.!?]['\"”’)\]]?$")
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}(?![./]\d)\s*(?:am|pm)?\b|\b(?:posted|published|updated)\b", re.I)
_MEETING_WORDS = re.compile(r"\b(?:meeting|NEC|National Executive|report|away[ -]?day)\b", re.I)
_MEETING_PHRASE = re.compile(r"\b(?:meeting\s+(?:held\s+)?(?:on|of)|met\s+on|held\s+on|meeting\s+date:?)\s+"
                             r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?(?:the\s+)?$", re.I)
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MD_WRAPPED = re.compile(r"^([*_])(.+)\1$")  # a whole line in *italics*
_BYLINE = re.compile(r"(?:\b[Bb]y|^(?:From|Author):)\s+([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){1,2})")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_OWNER = re.compile(r"([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){1,2})['’]s\s+(?:NEC\s+)?report\b", re.I)  # "Ann Black's report"
_EMAIL_SUBJECT = re.compile(r"^(?:Subject|Re|Fwd?):\s*", re.I)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph or bullet, as a span of `Report.text`."""

    start: int
    end: int
    bullet: bool = False


@dataclass
class Section:
    heading: str
    paragraphs: list[Paragraph]

    @property
    def start(self) -> int:
        return self.paragraphs[0].start

    @property
    def end(self) -> int:
        return self.paragraphs[-1].end


@dataclass
class Report:
    """One meeting report, cleaned. Every offset in it points into `text`."""

    source: str
    title: str
    author: str | None
    meeting_date: MeetingDate
    text: str
    sections: list[Section]
    notes: list[str] = field(default_factory=list)

    def section_text(self, section: Section) -> str:
        return self.text[section.start:section.end]


@dataclass
class _Para:
    text: str
    line: int
    bullet: bool = False
    heading: bool = False


def load_metadata(corpus_dir: Path) -> dict[str, dict]:
    """The per-file facts in corpus/meetings.toml; {} when there is no such file."""
    path = corpus_dir / METADATA_FILE
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IngestError(path, f"cannot read the metadata file: {exc}") from exc
    for name, entry in data.items():
        if not isinstance(entry, dict):
            raise IngestError(path, f"entry {name!r} must be a table like [\"{name}\"]")
    return data


def _clean_inline(text: str) -> str:
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    text = _MD_WRAPPED.sub(r"\2", text.strip())
    return " ".join(text.split())


def _looks_like_heading(text: str) -> bool:
    """Short, capitalised, and not a sentence: 'GS Report;', 'Other issues;', 'Keeping in touch…'."""
    words = text.split()
    if not 1 <= len(words) <= 10 or len(text) > 90:
        return False
    if not (text[0].isupper() or text[0].isdigit()) or text.removesuffix("...")[-1] in ".,!?":
        return False
    return not _TIME.search(text)


def _paragraphs(lines: list[str], first_line: int) -> list[_Para]:
    """Group lines into paragraphs: blank lines, bullets and headings start new ones."""
    paras: list[_Para] = []
    open_para: _Para | None = None
    for offset, raw in enumerate(lines):
        line = raw.strip()
        if not line or is_furniture_line(line):
            open_para = None
            continue
        md_heading = bool(_MD_HEADING.match(line))
        bold_line = line.startswith("**") and line.endswith("**") and line.count("**") == 2
        bullet = BULLET.match(line) if not md_heading else None
        text = _clean_inline(_MD_HEADING.sub("", line[bullet.end():] if bullet else line))
        if not text:
            continue
        numbered = bool(bullet) and bullet.group().strip()[:1].isdigit()
        heading = md_heading or bold_line or ((not bullet or numbered) and _looks_like_heading(text))
        continues = (
            open_para is not None and not bullet and not heading and not open_para.heading
            and not _TERMINAL.search(open_para.text)
        )
        if continues:
            open_para.text += " " + text
        else:
            open_para = _Para(text, first_line + offset, bullet=bool(bullet) and not heading, heading=heading)
            paras.append(open_para)
    return _mend_broken(paras)


def _mend_broken(paras: list[_Para]) -> list[_Para]:
    """Join a long paragraph that stops mid-sentence to the prose paragraph after it."""
    mended: list[_Para] = []
    for para in paras:
        prev = mended[-1] if mended else None
        if (
            prev is not None and not prev.heading and not para.heading and not para.bullet
            and len(prev.text.split()) >= 12 and not _TERMINAL.search(prev.text)
        ):
            prev.text += " " + para.text
        else:
            mended.append(para)
    return mended


def _is_prose(para: _Para) -> bool:
    """A sentence-like paragraph; titles, bylines and date lines are not."""
    words = len(para.text.split())
    return not para.heading and (words > 20 or (words >= 6 and bool(_SENTENCE_END.search(para.text))))


def _split_header(paras: list[_Para]) -> tuple[list[_Para], list[_Para]]:
    """Header = the short lines before the first prose paragraph, up to the last one with a date or byline."""
    first_prose = next((i for i, p in enumerate(paras) if _is_prose(p)), len(paras))
    lead = paras[:first_prose]
    dated = [i for i, p in enumerate(lead)
             if find_dates(p.text) or has_date_without_year(p.text) or _BYLINE.search(p.text)]
    cut = dated[-1] + 1 if dated else min(1, len(lead))
    return lead[:cut], paras[cut:]


def _meeting_date(header: list[_Para], body: list[_Para]) -> tuple[MeetingDate | None, list[str]]:
    """Choose the meeting date: a line that speaks of the meeting beats a bare date; posting dates never count.

    A meeting date written without its year ("the NEC meeting on Tuesday 24th January") takes
    the year from the posting date, when there is one: reports are posted days after the meeting."""
    posting = [(m.date, para.line) for para in header if _TIME.search(para.text) for m in find_dates(para.text)]
    notes = [f"ignored posting date {date.human()} (line {line})" for date, line in posting]
    candidates: list[tuple[int, int, int, MeetingDate]] = []  # (score, precision, -line, date)
    inferred: dict[MeetingDate, str] = {}
    for para, in_header in [(p, True) for p in header if not _TIME.search(p.text)] + [(p, False) for p in body[:3]]:
        yearless = (dates_before(para.text, posting[0][0])
                    if posting and _MEETING_WORDS.search(para.text) else [])
        for mention in find_dates(para.text) + yearless:
            if _MEETING_PHRASE.search(para.text[:mention.start]):
                score = 3
            elif in_header:
                score = 2 if _MEETING_WORDS.search(para.text) else 1
            else:
                continue  # a date in the text is the meeting's only when the words before it say so
            candidates.append((score, mention.date.day is not None, -para.line, mention.date))
            if mention in yearless:
                inferred[mention.date] = (f"took the year of the meeting date on line {para.line} "
                                          f"from the posting date {posting[0][0].human()} (line {posting[0][1]})")
    if not candidates:
        return None, notes
    score, _, line, date = max(candidates, key=lambda c: c[:3])
    if score == 1:
        notes.append(f"took the bare date on line {-line} as the meeting date: nothing says it is the meeting's")
    if date in inferred:
        notes.append(inferred[date])
    others = {c[3] for c in candidates if c[0] == score and c[3] != date and c[3].day is not None and date.day is not None}
    if others:
        notes.append(f"several meeting dates found; chose {date.human()} (line {-line})")
    return date, notes


def _title(header: list[_Para]) -> str | None:
    """The line naming the meeting and its date; else one naming the meeting; else the first line."""
    naming = [p.text for p in header if _MEETING_WORDS.search(p.text) and not _TIME.search(p.text)]
    dated = [text for text in naming if find_dates(text)]
    title = (dated or naming or [p.text for p in header] or [None])[0]
    return title and _EMAIL_SUBJECT.sub("", title)


def _author(header: list[_Para]) -> str | None:
    """A byline ('… by Jane Smith', 'From: Jane Smith', "Jane Smith's report"), or a bare name
    directly above 'National Executive Committee'."""
    for i, para in enumerate(header):
        by = _BYLINE.search(para.text) or _OWNER.match(para.text)
        if by:
            return by[1]
        nxt = header[i + 1].text if i + 1 < len(header) else ""
        if re.fullmatch(r"[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){1,2}", para.text) and "National Executive" in nxt:
            return para.text
    return None


def _assemble(title: str, body: list[_Para]) -> tuple[str, list[Section]]:
    """Write the cleaned text (title, then headings and paragraphs) and the sections pointing into it."""
    parts = [title]
    pos = len(title)
    sections: list[Section] = []
    current: Section | None = None
    for para in body:
        parts.append("\n\n" + para.text)
        start = pos + 2
        pos = start + len(para.text)
        if para.heading:
            current = Section(para.text.rstrip(" ;:.…") or para.text, [])
            sections.append(current)
            continue
        if current is None:
            current = Section(OPENING_SECTION, [])
            sections.append(current)
        current.paragraphs.append(Paragraph(start, pos, para.bullet))
    return "".join(parts), [s for s in sections if s.paragraphs]


def parse_report(path: Path, raw: str, meta: dict | None = None) -> Report:
    """Parse one report's text; `meta` is its entry from corpus/meetings.toml, if any."""
    meta = meta or {}
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").replace("\u00a0", " ").split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip() and not is_furniture_line(line)), None)
    if first is None or trailer_start(lines, first) == first:
        raise IngestError(path, "no report text found, only page furniture (comments, teasers or prompts)")
    paras = _paragraphs(lines, 1)
    header, body = _split_header(paras)
    cut = trailer_start(lines, body[0].line - 1 if body else len(lines))
    notes: list[str] = []
    if cut is not None:
        body = [p for p in body if p.line - 1 < cut]
        notes.append(f"dropped page furniture from line {cut + 1} on ({lines[cut].strip()[:40]!r})")
    if not any(not p.heading for p in body):
        raise IngestError(path, "no report text found (only headings or page furniture)")

    found, date_notes = _meeting_date(header, body)
    notes += date_notes
    if "meeting_date" in meta:
        try:
            date = MeetingDate.parse_iso(str(meta["meeting_date"]))
        except ValueError as exc:
            raise IngestError(path, f"bad meeting_date in {METADATA_FILE}: {exc}") from exc
        if found and found != date:
            notes.append(f"{METADATA_FILE} gives {date.human()}; the text says {found.human()}")
        notes.append(f"meeting date from {METADATA_FILE}")
    elif found:
        date = found
    else:
        said = "; ".join(date_notes) or "no date at all"
        raise IngestError(
            path, f"cannot find the meeting date ({said}); add meeting_date for this file to corpus/{METADATA_FILE}"
        )

    title = str(meta.get("title") or _title(header) or f"NEC meeting, {date.human()}")
    text, sections = _assemble(title, body)
    return Report(
        source=path.name,
        title=title,
        author=meta.get("author") or _author(header),
        meeting_date=date,
        text=text,
        sections=sections,
        notes=notes,
    )


def read_report(path: Path, metadata: dict[str, dict] | None = None) -> Report:
    """Read and parse one report file; errors name the file."""
    try:
        size = path.stat().st_size
        if size > MAX_REPORT_BYTES:
            raise IngestError(path, f"{size / 1e6:.1f} MB is over the {MAX_REPORT_BYTES / 1e6:.0f} MB limit for one "
                                    "report (the reports so far are 11–16 KB): is it really a report?")
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(path, f"cannot read: {exc.strerror}") from exc
    if b"\x00" in data:
        raise IngestError(path, "binary file, not a text report")
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(path, f"not UTF-8 text (byte {exc.start})", data[: exc.start].count(b"\n") + 1) from exc
    if not raw.strip():
        raise IngestError(path, "empty file")
    return parse_report(path, raw, (metadata or {}).get(path.name))


def report_files(corpus_dir: Path) -> list[Path]:
    """The report files in a corpus folder, in name order (README files excluded)."""
    if not corpus_dir.is_dir():
        raise IngestError(corpus_dir, "corpus folder does not exist")
    return sorted(
        p for p in corpus_dir.iterdir()
        if p.is_file() and p.suffix.lower() in REPORT_SUFFIXES and not p.name.lower().startswith("readme")
    )


def read_corpus(corpus_dir: Path) -> list[Report]:
    """Every report in the corpus folder, in date order; the first that cannot be read raises."""
    reports, _ = read_reports(report_files(corpus_dir), load_metadata(corpus_dir), strict=True)
    return reports


def read_reports(paths: list[Path], metadata: dict[str, dict], strict: bool = False,
                 known: list[Report] = ()) -> tuple[list[Report], list[IngestError]]:
    """The reports that can be read, in date order, and what was wrong with the others.

    One bad file does not stop the rest unless `strict`. A file whose cleaned text repeats a report
    already read (or one in `known`) is skipped as a copy; two different reports of one meeting (by
    two NEC members, say) are both kept, each with a note naming the other."""
    reports: list[Report] = []
    skipped: list[IngestError] = []
    by_text = {r.text: r.source for r in known}
    for path in paths:
        try:
            report = read_report(path, metadata)
            if report.text in by_text:
                raise IngestError(path, f"same text as {by_text[report.text]}: skipped as a copy")
        except IngestError as exc:
            if strict:
                raise
            skipped.append(exc)
            continue
        by_text[report.text] = report.source
        reports.append(report)
    by_meeting: dict[MeetingDate, list[str]] = {}
    for r in [*known, *reports]:
        by_meeting.setdefault(r.meeting_date, []).append(r.source)
    for report in reports:
        same = [source for source in by_meeting[report.meeting_date] if source != report.source]
        if same:
            report.notes.append(f"another report of the meeting of {report.meeting_date.human()}: {', '.join(same)}")
    return sorted(reports, key=lambda r: (r.meeting_date.sort_key(), r.source)), skipped
