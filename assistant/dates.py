"""Find calendar dates in report text, keeping how precise each one is.

Reports write dates every way a person might ("November 27th, 2012", "Tuesday, January 25, 2011",
"29th November, 2012", "25/9/18", "July 2013"), so this module turns them into `MeetingDate` values
that know whether the day is known: a report headed "NEC Report – July 2013" must not be cited as
1 July. Each date found keeps its place in the text and the weekday written with it, so a wrong
weekday can be reported with its line.

The finding is done by patterns, not by a general date parser: dateparser's `search_dates` over
one of our reports found 44 "dates", among them "we" (read as Wednesday) and "now", and a
meeting date cannot be chosen from that. Numeric dates are read in UK order (day first).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_WEEKDAYS = [name.lower() for name in calendar.day_name]
# "Tuesday, " / "Tue " / "Tuesday the " before a date; its name is checked against the date.
_WEEKDAY = r"(?:(?P<weekday>" + "|".join(calendar.day_name) + r"|(?:Mon|Tues?|Wed|Thu(?:rs?)?|Fri|Sat|Sun)\.?),?\s+(?:the\s+)?)?"

_FULL_PATTERNS = [  # the first that matches a place wins, so a range comes before its last day alone
    re.compile(rf"\b{_WEEKDAY}{_DAY}\s*(?:[/–-]|and|&)\s*[0-3]?\d(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b",
               re.I),  # 4/5 November 2013, a two-day meeting: its first day
    re.compile(rf"\b{_WEEKDAY}{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.I),  # (Tuesday) 27th November, 2012
    re.compile(rf"\b{_WEEKDAY}{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.I),  # (Tuesday,) November 27th, 2012
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b"),  # 2012-11-27
    re.compile(r"\b(?P<day>[0-3]?\d)([/.])(?P<month>[01]?\d)\2(?P<year>(?:19|20)\d\d)\b"),  # 27/11/2012, 27.11.2012
    re.compile(r"\b(?P<day>[0-3]?\d)/(?P<month>[01]?\d)/(?P<year>\d\d)\b(?![/.]\d)"),  # 25/9/18: this century
]
_MONTH_PATTERN = re.compile(rf"\b{_MONTH},?\s+{_YEAR}\b", re.I)  # November 2012
_NO_YEAR = r"(?![,.]?\s*(?:19|20)\d\d)"
_YEARLESS_PATTERNS = [
    re.compile(rf"\b{_WEEKDAY}{_DAY}\s+(?:of\s+)?{_MONTH}\b{_NO_YEAR}", re.I),  # Tuesday 24th January
    re.compile(rf"\b{_WEEKDAY}{_MONTH}\s+{_DAY}\b{_NO_YEAR}", re.I),  # January 24th
]


@dataclass(frozen=True, order=True)
class MeetingDate:
    """A meeting's date; `day` is None when only the month is known."""

    year: int
    month: int
    day: int | None = None

    @classmethod
    def parse_iso(cls, value: str) -> MeetingDate:
        """Read 'YYYY-MM-DD' or 'YYYY-MM'; raises ValueError otherwise."""
        match = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", value.strip())
        if not match:
            raise ValueError(f"not an ISO date (YYYY-MM-DD or YYYY-MM): {value!r}")
        year, month, day = int(match[1]), int(match[2]), match[3] and int(match[3])
        dt.date(year, month, day or 1)  # validates
        return cls(year, month, day or None)

    def iso(self) -> str:
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def human(self) -> str:
        month = calendar.month_name[self.month]
        return f"{month} {self.year}" if self.day is None else f"{self.day} {month} {self.year}"

    def sort_key(self) -> tuple[int, int, int]:
        return (self.year, self.month, self.day or 0)


@dataclass(frozen=True)
class DateMention:
    """A date found in text, with where it sits in that text and the weekday written with it."""

    date: MeetingDate
    start: int
    end: int
    weekday: str | None = None

    def weekday_is_wrong(self) -> bool:
        """Whether the weekday written with it is not the day the date fell on ("Wednesday 25 January 2011")."""
        if not self.weekday or self.date.day is None:
            return False
        return not _weekday_fits(dt.date(self.date.year, self.date.month, self.date.day), self.weekday)

    def true_weekday(self) -> str:
        return calendar.day_name[dt.date(self.date.year, self.date.month, self.date.day or 1).weekday()]


def _weekday_fits(date: dt.date, written: str) -> bool:
    return _WEEKDAYS[date.weekday()][:3] == written[:3].lower()


def _month_number(token: str) -> int:
    return int(token) if token.isdigit() else _MONTHS[token.lower().rstrip(".")]


def _year_number(token: str) -> int:
    return int(token) if len(token) == 4 else 2000 + int(token)  # "18" in "25/9/18": reports are from 2000 on


def find_dates(text: str) -> list[DateMention]:
    """All dates in `text`, in order; full dates win over the month-only reading of the same words."""
    found: list[DateMention] = []
    taken: list[range] = []
    for pattern in _FULL_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() in r for r in taken):
                continue
            year, month, day = _year_number(m["year"]), _month_number(m["month"]), int(m["day"])
            try:
                dt.date(year, month, day)
            except ValueError:
                continue
            weekday = m.groupdict().get("weekday")
            found.append(DateMention(MeetingDate(year, month, day), m.start(), m.end(), weekday))
            taken.append(range(m.start(), m.end()))
    for m in _MONTH_PATTERN.finditer(text):
        if any(m.start() in r or m.end() - 1 in r for r in taken):
            continue
        found.append(DateMention(MeetingDate(int(m["year"]), _month_number(m["month"])), m.start(), m.end()))
    return sorted(found, key=lambda d: d.start)


def dates_without_year(text: str) -> list[str]:
    """The days of a month written with no year after them ("Tuesday 24th January"), as written."""
    return [m.group().strip() for pattern in _YEARLESS_PATTERNS for m in pattern.finditer(text)]


_RELATIVE = re.compile(r"\b(?:today|tonight|yesterday|this\s+(?:week|month)(?:['’]s)?|last\s+(?:night|week)(?:['’]s)?)\b", re.I)


def relative_dates(text: str) -> list[str]:
    """Words that date something only relative to when it was written: "today", "this week's"."""
    return [m.group() for m in _RELATIVE.finditer(text)]


def _yearless(text: str, year_of: Callable[[int, int, str | None], int | None]) -> list[DateMention]:
    """Days written without a year ("Tuesday 24th January"), each given the year `year_of(month, day,
    weekday)` chooses for it; left out where it chooses none."""
    found = []
    for pattern in _YEARLESS_PATTERNS:
        for m in pattern.finditer(text):
            month, day = _month_number(m["month"]), int(m["day"])
            year = year_of(month, day, m["weekday"])
            if year is not None:
                found.append(DateMention(MeetingDate(year, month, day), m.start(), m.end(), m["weekday"]))
    return sorted(found, key=lambda d: d.start)


def _fits(year: int, month: int, day: int, weekday: str | None) -> bool:
    """The day exists in that year, and falls on the weekday written with it, if any."""
    return _valid(year, month, day) and not (weekday and not _weekday_fits(dt.date(year, month, day), weekday))


def dates_before(text: str, posted: MeetingDate) -> list[DateMention]:
    """Dates written without a year ("Tuesday 24th January"), each given the year that puts it
    on or before `posted` (a report is posted after its meeting). A weekday that does not fall
    on that date rules the reading out."""
    last_day = dt.date(posted.year, posted.month, posted.day or calendar.monthrange(posted.year, posted.month)[1])

    def year_of(month: int, day: int, weekday: str | None) -> int | None:
        year = next((y for y in (posted.year, posted.year - 1)
                     if _valid(y, month, day) and dt.date(y, month, day) <= last_day), None)
        return year if year is not None and _fits(year, month, day, weekday) else None

    return _yearless(text, year_of)


def dates_in_years(text: str, years: set[int]) -> list[DateMention]:
    """Dates written without a year but with a weekday ("Monday 6th January"), each given the one
    year among `years` (those the report names anywhere) in which that day fell on that weekday;
    left out when none or several do."""
    def year_of(month: int, day: int, weekday: str | None) -> int | None:
        fits = [year for year in years if weekday and _fits(year, month, day, weekday)]
        return fits[0] if len(fits) == 1 else None

    return _yearless(text, year_of)


def dates_in_months(text: str, months: set[tuple[int, int]]) -> list[DateMention]:
    """Days written without a year ("met on 20 September") in a month the report names with its year
    ("NEC Report – September 2011"): each given that year, when just one such month fits."""
    def year_of(month: int, day: int, weekday: str | None) -> int | None:
        fits = [y for y, mo in months if mo == month and _valid(y, month, day)]
        return fits[0] if len(fits) == 1 and _fits(fits[0], month, day, weekday) else None

    return _yearless(text, year_of)


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:  # 29 February, or 31 April
        return False
    return True


def years_named(text: str) -> set[int]:
    return {int(y) for y in re.findall(r"\b((?:19|20)\d\d)\b", text)}


_SEASONS = {"spring": (3, 4, 5), "summer": (6, 7, 8), "autumn": (9, 10, 11), "fall": (9, 10, 11),
            "winter": (12, 1, 2), "early": (1, 2, 3, 4), "start": (1, 2, 3), "beginning": (1, 2, 3),
            "mid": (5, 6, 7, 8), "late": (9, 10, 11, 12), "end": (10, 11, 12)}
_SEASON = re.compile(rf"\b(?P<part>{'|'.join(_SEASONS)})(?:\s+of)?(?:\s+the)?\s+(?P<year>(?:19|20)\d\d)\b", re.I)


def mentioned_periods(text: str) -> tuple[set[tuple[int, int]], set[int]]:
    """The (year, month) pairs and bare years a question names: 'in July 2013', 'spring 2012',
    'the end of 2012', 'the 2011 away day'."""
    months = {(m.date.year, m.date.month) for m in find_dates(text)}
    for m in _SEASON.finditer(text):
        year = int(m["year"])
        months |= {(year + (part == "winter" and month < 6), month) for part in [m["part"].lower()]
                   for month in _SEASONS[part]}
    years = {int(y) for y in re.findall(r"\b((?:19|20)\d\d)\b", text)} - {y for y, _ in months}
    return months, years
