"""Read a date span as written, shift it, and write it back in the same style.

Handles the forms the date recognizers find: 12/03/2021, 12.03.21, 2021-03-12, 20210312,
12/03 (no year), 12 mars 2021, 1er mars, mars 2021, March 12, 2021, 12th March 2021,
12-Mar-2021, March 2021. Numeric day/month order follows the report's language (French:
day first; English: month first when the first number cannot be a day... and otherwise day
first, as in the UK).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MOIS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
MOIS_ABBREVIATIONS = {
    "janv": 1,
    "fevr": 2,
    "févr": 2,
    "fevrier": 2,
    "avr": 4,
    "juil": 7,
    "aout": 8,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
    "déc": 12,
    "decembre": 12,
}
MONTHS = list(calendar.month_name)[1:]
NO_YEAR = 2000  # a leap year: 29/02 without a year stays valid


@dataclass(frozen=True)
class ParsedDate:
    value: date
    style: str  # how to write it back (see render)
    has_year: bool = True
    has_day: bool = True
    separator: str = "/"
    short_year: bool = False
    padded: bool = True
    upper: bool = False
    month_first: bool = False
    abbreviated: bool = False


def _month_number(word: str) -> int | None:
    lowered = word.lower().rstrip(".")
    for index, name in enumerate(MOIS, start=1):
        if lowered == name:
            return index
    if lowered in MOIS_ABBREVIATIONS:
        return MOIS_ABBREVIATIONS[lowered]
    for index, name in enumerate(MONTHS, start=1):
        if lowered == name.lower() or (len(lowered) >= 3 and name.lower().startswith(lowered)):
            return index
    return None


def _year(text: str) -> int:
    value = int(text)
    if len(text) == 2:
        return 2000 + value if value <= 30 else 1900 + value
    return value


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


NUMERIC = re.compile(r"(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{4}|\d{2}))?$")
ISO = re.compile(r"(\d{4})([/.-])(\d{1,2})\2(\d{1,2})$")
COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})$")
DAY_MONTH_YEAR = re.compile(
    r"(1er|\d{1,2})(st|nd|rd|th)?(?:\s+of)?\s+([^\W\d]+\.?),?(?:\s+(\d{4}))?$"
)
MONTH_DAY_YEAR = re.compile(r"([^\W\d]+\.?)\s+(\d{1,2})(st|nd|rd|th)?(?:,?\s+(\d{4}))?$")
DASHED = re.compile(r"(\d{1,2})-([^\W\d]+)-(\d{4}|\d{2})$")
MONTH_YEAR = re.compile(r"([^\W\d]+\.?)\s+(\d{4})$")


def parse(text: str, language: str = "fr") -> ParsedDate | None:
    raw = " ".join(text.split())
    month: int | None
    if m := ISO.match(raw):
        d = _make(int(m[1]), int(m[3]), int(m[4]))
        return ParsedDate(d, "iso", separator=m[2], padded=len(m[3]) == 2) if d else None
    if m := COMPACT.match(raw):
        d = _make(int(m[1]), int(m[2]), int(m[3]))
        return ParsedDate(d, "compact") if d else None
    if m := NUMERIC.match(raw):
        first, second = int(m[1]), int(m[3])
        year = _year(m[4]) if m[4] else NO_YEAR
        month_first = language == "en" and first <= 12 and second > 12
        if language == "en" and first <= 12 and second <= 12 and m[2] == "/" and m[4]:
            month_first = False  # ambiguous: day first, as in the UK
        day, month = (second, first) if month_first else (first, second)
        d = _make(year, month, day) or _make(year, first, second)
        if d is None:
            return None
        if d.month == first and d.day == second and (first, second) != (day, month):
            month_first = True
        return ParsedDate(
            d,
            "numeric",
            has_year=bool(m[4]),
            separator=m[2],
            short_year=bool(m[4]) and len(m[4]) == 2,
            padded=len(m[1]) == 2,
            month_first=month_first,
        )
    if m := DASHED.match(raw):
        month = _month_number(m[2])
        d = _make(_year(m[3]), month, int(m[1])) if month else None
        return (
            ParsedDate(d, "dashed", short_year=len(m[3]) == 2, upper=m[2].isupper()) if d else None
        )
    if m := DAY_MONTH_YEAR.match(raw):
        month = _month_number(m[3])
        day = 1 if m[1] == "1er" else int(m[1])
        d = _make(_year(m[4]) if m[4] else NO_YEAR, month, day) if month else None
        if d is None:
            return None
        return ParsedDate(
            d,
            "day_month",
            has_year=bool(m[4]),
            upper=m[3].isupper(),
            abbreviated=_is_abbreviated(m[3]),
        )
    if m := MONTH_DAY_YEAR.match(raw):
        month = _month_number(m[1])
        d = _make(_year(m[4]) if m[4] else NO_YEAR, month, int(m[2])) if month else None
        if d is None:
            return None
        return ParsedDate(d, "month_day", has_year=bool(m[4]), abbreviated=_is_abbreviated(m[1]))
    if m := MONTH_YEAR.match(raw):
        month = _month_number(m[1])
        d = _make(int(m[2]), month, 15) if month else None
        if d is None:
            return None
        return ParsedDate(
            d, "month_year", has_day=False, upper=m[1].isupper(), abbreviated=_is_abbreviated(m[1])
        )
    return None


def _is_abbreviated(word: str) -> bool:
    lowered = word.lower().rstrip(".")
    return lowered not in MOIS and lowered not in (m.lower() for m in MONTHS)


def render(parsed: ParsedDate, value: date, language: str) -> str:
    """Write ``value`` in the style ``parsed`` was written in."""
    if parsed.style == "iso":
        s = parsed.separator
        return f"{value.year}{s}{value.month:02d}{s}{value.day:02d}"
    if parsed.style == "compact":
        return f"{value:%Y%m%d}"
    if parsed.style == "numeric":
        first, second = (value.month, value.day) if parsed.month_first else (value.day, value.month)
        s = parsed.separator
        body = f"{first:02d}{s}{second:02d}" if parsed.padded else f"{first}{s}{second}"
        if not parsed.has_year:
            return body
        year = f"{value.year % 100:02d}" if parsed.short_year else str(value.year)
        return f"{body}{s}{year}"
    month_name = _month_name(value.month, language, parsed.abbreviated)
    if parsed.upper:
        month_name = month_name.upper()
    if parsed.style == "dashed":
        year = f"{value.year % 100:02d}" if parsed.short_year else str(value.year)
        return f"{value.day:02d}-{_month_name(value.month, 'en', True)}-{year}"
    if parsed.style == "day_month":
        day = "1er" if value.day == 1 and language == "fr" else str(value.day)
        return f"{day} {month_name} {value.year}" if parsed.has_year else f"{day} {month_name}"
    if parsed.style == "month_day":
        body = f"{month_name} {value.day}"
        return f"{body}, {value.year}" if parsed.has_year else body
    return f"{month_name} {value.year}"


def _month_name(month: int, language: str, abbreviated: bool) -> str:
    if language == "fr":
        return MOIS[month - 1]
    name = MONTHS[month - 1]
    return name[:3] if abbreviated else name


def shift(text: str, days: int, language: str) -> str | None:
    """The date written in ``text`` moved by ``days``, same style; None if unreadable."""
    parsed = parse(text, language)
    if parsed is None:
        return None
    return render(parsed, parsed.value + timedelta(days=days), language)


def year_only(text: str, language: str) -> str | None:
    parsed = parse(text, language)
    if parsed is None or not parsed.has_year:
        return None
    return str(parsed.value.year)
