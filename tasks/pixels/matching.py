"""Policy ``identifying_text``: does a recognised string reveal an identifying value?

A box is identifying when its text matches one of the dataset's own identifying values in
any spelling (name parts in any order, case or accents; IDs with or without separators;
dates in any common format), or looks like a date or a long identifier on its own. Short
technical labels (L, R, kV, mA, cm, scale values) are kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

MIN_NAME_PART = 3
MIN_ID_LENGTH = 4
ID_LIKE = re.compile(r"\d{5,}|[A-Z]{1,4}\d{4,}|\d{4,}[A-Z]{1,4}")
DATE_LIKE = re.compile(
    r"\b(\d{1,4})[./\-\s](\d{1,2}|[A-Z]{3,9})[./\-\s](\d{2,4})\b|\b(19|20)\d{2}(0[1-9]|1[0-2])\d{2}\b"
)
MONTHS = {
    "JAN": 1, "JANV": 1, "JANVIER": 1, "JANUARY": 1, "FEB": 2, "FEV": 2, "FEVRIER": 2,
    "FEBRUARY": 2, "MAR": 3, "MARS": 3, "MARCH": 3, "APR": 4, "AVR": 4, "AVRIL": 4, "APRIL": 4,
    "MAY": 5, "MAI": 5, "JUN": 6, "JUIN": 6, "JUNE": 6, "JUL": 7, "JUIL": 7, "JUILLET": 7,
    "JULY": 7, "AUG": 8, "AOU": 8, "AOUT": 8, "AUGUST": 8, "SEP": 9, "SEPT": 9, "SEPTEMBRE": 9,
    "SEPTEMBER": 9, "OCT": 10, "OCTOBRE": 10, "OCTOBER": 10, "NOV": 11, "NOVEMBRE": 11,
    "NOVEMBER": 11, "DEC": 12, "DECEMBRE": 12, "DECEMBER": 12,
}  # fmt: skip


def normalise(text: str) -> str:
    """Upper case, accents removed, every non-alphanumeric run turned into one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    return re.sub(r"[^A-Z0-9]+", " ", ascii_text).strip()


def _compact(text: str) -> str:
    return normalise(text).replace(" ", "")


@dataclass
class IdentifierIndex:
    """Spellings of one dataset's identifying values, prepared once per file."""

    name_parts: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    dates: set[tuple[int, int, int]] = field(default_factory=set)

    @classmethod
    def build(cls, identifiers: dict[str, list[str]]) -> IdentifierIndex:
        index = cls()
        for group, values in identifiers.items():
            for value in values:
                index.add(group, str(value))
        return index

    def add(self, group: str, value: str) -> None:
        if group == "dates":
            parsed = _parse_compact_date(re.sub(r"\D", "", value))
            if parsed:
                self.dates.add(parsed)
            return
        compact = _compact(value)
        if group == "ids" or (compact and any(c.isdigit() for c in compact)):
            if len(compact) >= MIN_ID_LENGTH:
                self.ids.add(compact)
            for date in _dates_in(normalise(value)):
                self.dates.add(date)
        if group != "ids":
            for part in normalise(value).split():
                if len(part) >= MIN_NAME_PART and not part.isdigit():
                    self.name_parts.add(part)

    def matches(self, text: str) -> bool:
        norm = normalise(text)
        if not norm:
            return False
        words = norm.split()
        if any(_close(word, part) for word in words for part in self.name_parts):
            return True
        compact = norm.replace(" ", "")
        if any(identifier in compact for identifier in self.ids):
            return True
        return any(date in self.dates for date in _dates_in(norm))


def looks_identifying(text: str) -> bool:
    """Text that is a date or an identifier whatever the dataset says."""
    norm = normalise(text)
    return bool(ID_LIKE.search(norm.replace(" ", ""))) or bool(_dates_in(norm))


def _close(word: str, part: str) -> bool:
    if word == part:
        return True
    if len(part) < 5 or abs(len(word) - len(part)) > 1:
        return False
    return _edit_distance_at_most_one(word, part)


def _edit_distance_at_most_one(a: str, b: str) -> bool:
    if len(a) > len(b):
        a, b = b, a
    i = j = edits = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            i += 1
            j += 1
            continue
        edits += 1
        if edits > 1:
            return False
        if len(a) == len(b):
            i += 1
        j += 1
    return edits + (len(b) - j) + (len(a) - i) <= 1


def _dates_in(norm: str) -> set[tuple[int, int, int]]:
    found: set[tuple[int, int, int]] = set()
    for match in DATE_LIKE.finditer(norm):
        if match.group(1) is None:
            parsed = _parse_compact_date(match.group(0))
            if parsed:
                found.add(parsed)
            continue
        first, middle, last = match.group(1), match.group(2), match.group(3)
        found.update(_interpretations(first, middle, last))
    for run in re.findall(r"\d{6,8}", norm.replace(" ", "")):
        parsed = _parse_compact_date(run)
        if parsed:
            found.add(parsed)
    return found


def _interpretations(first: str, middle: str, last: str) -> Iterable[tuple[int, int, int]]:
    month = int(middle) if middle.isdigit() else MONTHS.get(middle)
    if month is None:
        return []
    a, b, c = int(first), month, int(last)
    candidates: list[tuple[int, int, int]] = []
    if len(first) == 4:  # Y M D
        candidates.append((a, b, c))
    else:
        year = c if len(last) == 4 else 2000 + c if c < 50 else 1900 + c
        candidates += [(year, b, a), (year, a, b)]  # D M Y and M D Y
    return [d for d in candidates if 1 <= d[1] <= 12 and 1 <= d[2] <= 31]


def _parse_compact_date(digits: str) -> tuple[int, int, int] | None:
    if len(digits) == 8:
        year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
        if 1800 <= year <= 2200 and 1 <= month <= 12 and 1 <= day <= 31:
            return year, month, day
        day, month, year = int(digits[:2]), int(digits[2:4]), int(digits[4:])
        if 1800 <= year <= 2200 and 1 <= month <= 12 and 1 <= day <= 31:
            return year, month, day
    return None
