"""Turn a report file (a page, an email, a PDF, a Word document, text) into `Report`s: meeting date,
title, author, sections.

The pipeline, top to bottom: judge the format from the content → its reader gives `Document`s
in one plain layout → split a file that holds several meetings' reports → drop page furniture →
lines to paragraphs → mend paragraphs broken by a stray blank line → split off the header (title,
byline, dates) → choose the meeting date → sections at headings → one cleaned text that every
chunk and quote points into. Everything after the reader is the same for every format.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .asides import is_aside
from .dates import (MeetingDate, dates_before, dates_in_months, dates_in_years, dates_without_year, find_dates,
                    relative_dates, years_named)
from .errors import IngestError
from .furniture import BULLET, is_furniture_line, trailer_start
from .readers import Document
from .readers.sniff import UnknownFormat, sniff
from .sentences import sentence_spans

METADATA_FILE = "meetings.toml"
REPORT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".eml", ".pdf", ".docx")
MAX_REPORT_BYTES = 2_000_000
OPENING_SECTION = "Opening"

_TERMINAL = re.compile(r"[.!?…:;\"”’)\]]$")
_SENTENCE_END = re.compile(r"[.!?]['\"”’)\]]?$")
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}(?![./]\d)\s*(?:am|pm)?\b|\b(?:posted|published|updated)\b", re.I)
_MEETING_WORDS = re.compile(r"\b(?:meeting|NEC|National Executive|report|away[ -]?day)\b", re.I)
# Words that make the date after them the meeting's: "meeting held on", "met on", and a title's
# "NEC Report – ", "National Executive Committee, ".
_MEETING_PHRASE = re.compile(r"\b(?:(?:meeting\s+(?:held\s+)?(?:on|of)|met(?:\s+\S+){0,2}?|held\s+on|meeting\s+date:?)\s+"
                             r"|(?:NEC|National\s+Executive(?:\s+Committee)?|meeting|report)\s*[–—:,-]?\s*)"
                             r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?(?:the\s+)?$", re.I)
_NEXT_MEETING = re.compile(r"\bnext\b[^.]{0,40}$", re.I)
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
    url: str | None = None  # where it was published, from the page or meetings.toml
    dated_by: str = ""  # where the meeting date came from, for people checking it
    asides: list[tuple[int, int]] = field(default_factory=list)  # the author's asides: in the text, never quoted

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


def _paragraphs(lines: list[str], first_line: int, marked_headings: bool = False) -> list[_Para]:
    """Group lines into paragraphs: blank lines, bullets and headings start new ones.

    With `marked_headings` (a reader that knows the file's own headings marked them "## "), only
    those are headings; otherwise short capitalised lines are taken for headings too."""
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
        heading = md_heading or bold_line or (not marked_headings and (not bullet or numbered)
                                              and _looks_like_heading(text))
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
             if find_dates(p.text) or dates_without_year(p.text) or _BYLINE.search(p.text)]
    cut = dated[-1] + 1 if dated else min(1, len(lead))
    return lead[:cut], paras[cut:]


@dataclass(frozen=True)
class _Dating:
    """The meeting date chosen from the text (None when there is none), where it came from, and notes."""

    date: MeetingDate | None
    source: str
    notes: list[str]
    refusal: str  # when there is no date: what was found instead, for the person adding the file


def _meeting_date(header: list[_Para], body: list[_Para], posted: MeetingDate | None) -> _Dating:
    """Choose the meeting date: a line that speaks of the meeting beats a bare date; posting dates never count.

    A meeting date written without its year ("the NEC meeting on Tuesday 24th January") takes
    the year from the posting date, when there is one (a dated line such as "posted 29th November,
    2012 9:50 am", or the page's or email's own date): reports are posted days after the meeting."""
    posting = [(m.date, f"line {para.line}") for para in header if _TIME.search(para.text)
               for m in find_dates(para.text)]
    notes = [f"ignored posting date {date.human()} ({where})" for date, where in posting]
    if posted:
        posting.append((posted, "the file's own date"))
    candidates: list[tuple[int, int, int, MeetingDate]] = []  # (score, precision, -line, date)
    said: dict[MeetingDate, str] = {}
    inferred: dict[MeetingDate, str] = {}
    looked_at = [(p, True) for p in header if not _TIME.search(p.text)] + [(p, False) for p in body[:6]]
    years = years_named(" ".join(p.text for p in header + body))
    months = {(m.date.year, m.date.month) for p, _ in looked_at for m in find_dates(p.text) if m.date.day is None}
    for para, in_header in looked_at:
        yearless = ((dates_before(para.text, posting[0][0]) if posting
                     else dates_in_months(para.text, months) or dates_in_years(para.text, years))
                    if in_header or _MEETING_WORDS.search(para.text) else [])
        for mention in find_dates(para.text) + yearless:
            if _NEXT_MEETING.search(para.text[:mention.start]):
                continue  # "the next meeting is on …": another meeting's date
            if _MEETING_PHRASE.search(para.text[:mention.start]):
                score = 3
            elif _MEETING_WORDS.search(para.text) and (in_header or not _is_prose(para)):
                score = 2  # a line naming the meeting, in the header or as a title below an introduction
            elif in_header:
                score = 1
            else:
                continue  # a date in the text is the meeting's only when the words before it say so
            if mention.weekday_is_wrong():
                notes.append(f"line {para.line} says {mention.weekday} {mention.date.human()}, but that was a "
                             f"{mention.true_weekday()}: check the date")
            candidates.append((score, mention.date.day is not None, -para.line, mention.date))
            said.setdefault(mention.date, f"line {para.line}: {para.text[mention.start:mention.end]!r}")
            if mention in yearless:
                inferred[mention.date] = (
                    f"took the year of the meeting date on line {para.line} from the posting date "
                    f"{posting[0][0].human()} ({posting[0][1]})" if posting else
                    f"took the year {mention.date.year} for {mention.date.human()} on line {para.line} from the "
                    "month the report names" if (mention.date.year, mention.date.month) in months else
                    f"took the year {mention.date.year} for {mention.weekday} {mention.date.human()} on line "
                    f"{para.line}: the only year the report names in which that day was a {mention.true_weekday()}")
    if not candidates:
        later = [p for p in body[6:] if _MEETING_WORDS.search(p.text)]
        return _Dating(None, "", notes, _no_date([p for p, _ in looked_at] + later, notes))
    score, _, line, date = max(candidates, key=lambda c: c[:3])
    if score == 1:
        notes.append(f"took the bare date on line {-line} as the meeting date: nothing says it is the meeting's")
    if date in inferred:
        notes.append(inferred[date])
    others = {c[3] for c in candidates if c[0] == score and c[3] != date and c[3].day is not None and date.day is not None}
    if others:
        notes.append(f"several meeting dates found; chose {date.human()} (line {-line})")
    return _Dating(date, said[date], notes, "")


def _no_date(paras: list[_Para], notes: list[str]) -> str:
    """What the text gave instead of a meeting date: "found '30 November' on line 5 but no year"."""
    for para in paras:
        for words in dates_without_year(para.text):
            return f"found '{words}' on line {para.line} but no year, and no posting date to take it from"
        for words in relative_dates(para.text):
            return f"found '{words}' on line {para.line} but no date"
    return "; ".join(notes) or "no date at all"


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


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").replace("\u00a0", " ").split("\n")


def parse_report(path: Path, raw: str, meta: dict | None = None) -> Report:
    """Parse one report's text; `meta` is its entry from corpus/meetings.toml, if any."""
    return _parse(path, path.name, _lines(raw), Document(raw, "text"), meta or {})


def _parse(path: Path, source: str, lines: list[str], document: Document, meta: dict, first_line: int = 1) -> Report:
    """One report from its lines (`first_line` being the number of the first in the file): header,
    furniture, date, sections."""
    path = path if source == path.name else path.parent / source  # errors name the part: "archive.html#2"
    first = next((i for i, line in enumerate(lines) if line.strip() and not is_furniture_line(line)), None)
    if first is None or trailer_start(lines, first) == first:
        raise IngestError(path, "no report text found, only page furniture (comments, teasers or prompts)")
    paras = _paragraphs(lines, first_line, _marks_headings(document))
    header, body = _split_header(paras)
    cut = trailer_start(lines, body[0].line - first_line if body else len(lines))
    notes = [f"{document.format} file: left out {what}" for what in document.dropped]
    if cut is not None:
        body = [p for p in body if p.line - first_line < cut]
        notes.append(f"dropped page furniture from line {cut + first_line} on ({lines[cut].strip()[:40]!r})")
    if not any(not p.heading for p in body):
        raise IngestError(path, "no report text found (only headings or page furniture)")

    dating = _meeting_date(header, body, document.posted)
    notes += dating.notes
    if "meeting_date" in meta:
        try:
            date = MeetingDate.parse_iso(str(meta["meeting_date"]))
        except ValueError as exc:
            raise IngestError(path, f"bad meeting_date in {METADATA_FILE}: {exc}") from exc
        if dating.date and dating.date != date:
            notes.append(f"{METADATA_FILE} gives {date.human()}; the text says {dating.date.human()}")
        notes.append(f"meeting date from {METADATA_FILE}")
        dated_by = METADATA_FILE
    elif dating.date:
        date, dated_by = dating.date, dating.source
    else:
        raise IngestError(path, f"cannot find the meeting date ({dating.refusal}); add meeting_date = \"YYYY-MM-DD\" "
                                f"for [\"{source}\"] to corpus/{METADATA_FILE}, or add the file with "
                                "`nec-assistant add FILE --date YYYY-MM-DD`")

    title = str(meta.get("title") or _title(header) or document.title or f"NEC meeting, {date.human()}")
    text, sections = _assemble(title, body)
    asides = [(s, e) for section in sections for p in section.paragraphs for s, e in sentence_spans(text, p.start, p.end)
              if is_aside(text[s:e])]
    return Report(
        source=source,
        title=title,
        author=meta.get("author") or _author(header) or document.author,
        meeting_date=date,
        text=text,
        sections=sections,
        notes=notes,
        url=meta.get("url") or document.url,
        dated_by=dated_by,
        asides=asides,
    )


def _report_starts(lines: list[str], marked_headings: bool) -> list[int]:
    """The lines where a file holding several meetings' reports (an archive page, a digest email)
    starts each one: a title line naming a meeting and a day different from the report before it,
    after that report has had prose of its own and followed by prose of its own. [0] for one report."""
    paras = _paragraphs(lines, 0, marked_headings)
    starts, dates, prose_since = [0], [], 0
    for i, para in enumerate(paras):
        if _is_prose(para):
            prose_since += 1
            continue
        named = [m.date for m in find_dates(para.text) if m.date.day] if _MEETING_WORDS.search(para.text) else []
        if not named or not (para.heading or _looks_like_heading(para.text)):
            continue
        if not dates:
            dates.append(named[0])
        elif named[0] not in dates and prose_since >= 2 and sum(map(_is_prose, paras[i + 1:i + 4])) >= 2:
            starts.append(para.line)
            dates.append(named[0])
            prose_since = 0
    return starts


def _marks_headings(document: Document) -> bool:
    """Whether the reader marked the file's own headings ("## "), so that only those are headings."""
    return document.format != "text" and "\n## " in f"\n{document.text}"


def _with_title(document: Document) -> str:
    """The document's text, under its title (page title, email Subject) when the text does not open
    with it: the title often carries the meeting date ("NEC report – 25 January 2011")."""
    opening = " ".join(document.text.lstrip("\ufeff").split("\n\n", 3)[:3]).replace("#", "")
    if not document.title or " ".join(document.title.split()) in " ".join(opening.split()):
        return document.text
    return f"{document.title}\n\n{document.text}"


def _reader(format: str):
    """The reader of a format, imported when first needed: trafilatura, pypdf and python-docx load
    only when such a file is read."""
    from .readers import eml, html, pdf, text, word

    return {"text": text, "html": html, "email": eml, "pdf": pdf, "docx": word}[format].read


def read_report_file(path: Path, metadata: dict[str, dict] | None = None) -> list[Report]:
    """Read one file into its reports (usually one); errors name the file (and line)."""
    try:
        size = path.stat().st_size
        if size > MAX_REPORT_BYTES:
            raise IngestError(path, f"{size / 1e6:.1f} MB is over the {MAX_REPORT_BYTES / 1e6:.0f} MB limit for one "
                                    "report (the reports so far are 11–16 KB): is it really a report?")
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(path, f"cannot read: {exc.strerror}") from exc
    try:
        documents = _reader(sniff(data))(path, data)
    except UnknownFormat as exc:
        raise IngestError(path, str(exc), exc.line) from exc
    parts = [(document, lines[a:b], a + 1) for document in documents
             for lines in [_lines(_with_title(document))]
             for starts in [_report_starts(lines, _marks_headings(document))]
             for a, b in zip(starts, starts[1:] + [len(lines)])]
    metadata = metadata or {}
    sources = [path.name] if len(parts) == 1 else [f"{path.name}#{n}" for n in range(1, len(parts) + 1)]
    # A file's table in meetings.toml holds for each report in it; a "file#2" table for that one alone.
    return [_parse(path, source, lines, document, {**metadata.get(path.name, {}), **metadata.get(source, {})},
                   first_line)
            for source, (document, lines, first_line) in zip(sources, parts)]


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
            found = read_report_file(path, metadata)
            for report in found:
                if report.text in by_text:
                    raise IngestError(path, f"same text as {by_text[report.text]}: skipped as a copy")
        except IngestError as exc:
            if strict:
                raise
            skipped.append(exc)
            continue
        for report in found:
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
