"""Exact-match patterns for a study's own identifying values (cross-source knowledge).

Matching is case- and accent-insensitive on a folded copy of the text that keeps every
offset. Name parts match only where the text capitalises them (a patient called "Petit"
does not erase "petit nodule"); identifiers and dates match anywhere on word boundaries.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date

from tasks.reports.spans import Candidate

PRIORITY = 100
MIN_LENGTH = {"ID": 4, "DATE": 6}  # shorter values would erase measurements ("12 mm")
SPLIT_NAME = re.compile(r"[\^\s,/]+")
MOIS = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
).split()
MONTHS = (
    "January February March April May June July August September October November December"
).split()
INSTITUTION_WORDS = re.compile(
    r"\b(?:chu|chru|ch|hopital|hôpital|clinique|polyclinique|centre|institut|hospital|clinic|"
    r"infirmary|medical|imagerie|radiologie|cabinet)\b",
    re.IGNORECASE,
)


def fold(text: str) -> str:
    """Lower-case, accents removed, one character for one character (offsets kept)."""
    out = []
    for char in text:
        base = unicodedata.normalize("NFD", char)[0] if ord(char) > 127 else char
        out.append(base.lower() if len(base.lower()) == 1 else char)
    return "".join(out)


class KnownValues:
    """Compiled patterns for one study's values, by label."""

    def __init__(self, groups: Mapping[str, Iterable[str]]) -> None:
        self.rules: list[tuple[re.Pattern[str], str, bool]] = []
        names: set[str] = set()
        others: dict[str, set[str]] = {}
        for group, values in groups.items():
            for value in values:
                value = str(value).strip()
                if not value:
                    continue
                if group == "names":
                    names.update(name_forms(value))
                elif group == "dates":
                    others.setdefault("DATE", set()).update(date_forms(value))
                elif group == "institutions":
                    others.setdefault("ESTABLISHMENT", set()).add(value)
                elif group == "ids":
                    others.setdefault("ID", set()).add(value)
                else:
                    label = guess_label(value)
                    if label == "PERSON":
                        names.update(name_forms(value))
                    elif label == "DATE":
                        others.setdefault("DATE", set()).update(date_forms(value))
                    else:
                        others.setdefault(label, set()).add(value)
        if names:
            self.rules.append((_compile(names), "PERSON", True))
        for label, values in others.items():
            values = {v for v in values if len(v) >= MIN_LENGTH.get(label, 2)}
            if values:
                self.rules.append((_compile(values), label, label == "PERSON"))

    @classmethod
    def from_strings(cls, values: Iterable[str]) -> KnownValues:
        return cls({"other": list(values)})

    def find(self, text: str, folded: str | None = None) -> list[Candidate]:
        folded = fold(text) if folded is None else folded
        found = []
        for pattern, label, capitalised_only in self.rules:
            for match in pattern.finditer(folded):
                start, end = match.span()
                if capitalised_only and not text[start].isupper():
                    continue
                found.append(Candidate(start, end, label, PRIORITY, strong=True))
        return found

    def __bool__(self) -> bool:
        return bool(self.rules)


def guess_label(value: str) -> str:
    if re.fullmatch(r"(?:19|20)\d{6}", value):
        return "DATE"
    if any(char.isdigit() for char in value):
        return "ID"
    if INSTITUTION_WORDS.search(value):
        return "ESTABLISHMENT"
    return "PERSON"


def name_forms(value: str) -> set[str]:
    """The whole name, its parts, and the parts of hyphenated parts (3 letters or more)."""
    forms = set()
    parts = [p for p in SPLIT_NAME.split(value) if p]
    if len(parts) > 1:
        forms.add(" ".join(parts))
    for part in parts:
        forms.add(part)
        forms.update(piece for piece in part.split("-") if len(piece) >= 3)
    return {f for f in forms if len(f.replace(".", "")) >= 3 or (len(f) == 2 and f.isupper())}


def date_forms(value: str) -> set[str]:
    """Common spellings of a DICOM date (YYYYMMDD)."""
    match = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})", value.strip())
    if not match:
        return {value}
    try:
        d = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return {value}
    day, month = d.day, d.month
    forms = {
        f"{d:%Y%m%d}",
        f"{d:%d/%m/%Y}",
        f"{d:%d-%m-%Y}",
        f"{d:%d.%m.%Y}",
        f"{d:%Y-%m-%d}",
        f"{d:%d/%m/%y}",
        f"{day}/{month}/{d.year}",
        f"{d:%m/%d/%Y}",
        f"{month}/{day}/{d.year}",
        f"{day} {MOIS[month - 1]} {d.year}",
        f"{MONTHS[month - 1]} {day}, {d.year}",
        f"{day} {MONTHS[month - 1]} {d.year}",
        f"{d:%Y/%m/%d}",
    }
    if day == 1:
        forms.add(f"1er {MOIS[month - 1]} {d.year}")
    return forms


def _compile(values: set[str]) -> re.Pattern[str]:
    alternatives = []
    for value in sorted(values, key=len, reverse=True):
        escaped = re.escape(fold(value))
        alternatives.append(re.sub(r"(?:\\ )+", r"\\s+", escaped))
    return re.compile(rf"(?<![\w])(?:{'|'.join(alternatives)})(?![\w])")
