"""Language patterns of Clean Descriptors: ages, dates, initials and serial numbers written
in English, French, Spanish, German, Italian, Dutch or Portuguese (``data/descriptor_patterns
.yaml``). Runs on any descriptor, before the report stage's recognisers."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

from tasks.headers.crosscheck import fold

DATA_PATH = Path(__file__).resolve().parent / "data" / "descriptor_patterns.yaml"
_B = r"(?<![^\W_])"  # not preceded by a letter or digit
_E = r"(?![^\W_])"  # not followed by one


def _alternatives(text: str) -> str:
    return "|".join(part.strip() for part in text.split("|") if part.strip())


@cache
def compiled() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(folded-text pattern, original-text pattern for initials)."""
    data = yaml.safe_load(DATA_PATH.read_text(encoding="utf-8"))
    units, words = _alternatives(data["age_units"]), _alternatives(data["age_words"])
    months, serials = _alternatives(data["months"]), _alternatives(data["serial_labels"])
    number_date = (  # 12/03/2021, 12.3.21, 2021-03-12; not 50.80.103 nor a version 1.2.30
        r"(?<![\d.])(?:[0-3]?\d[-/.][01]?\d[-/.](?:\d{4}|\d{2})"
        r"|\d{4}[-/.][01]?\d[-/.][0-3]?\d)(?!\.?\d)"
    )
    named_date = (
        rf"(?:\d{{1,2}}\.?\s*(?:de\s+)?(?:{months})\.?,?\s*(?:de\s+)?\d{{2,4}}"
        rf"|(?:{months})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{2,4}})"
    )
    parts = [
        rf"{_B}\d{{1,3}}\s*(?:{units}){_E}\.?",  # 60 ANOS, 60 Jahre, 60 a., 60 jaar
        rf"{_B}(?:{words})\s*[:=]?\s*\d{{1,3}}{_E}",  # edad 60, Alter: 60
        rf"{_B}{number_date}{_E}",
        rf"{_B}{named_date}{_E}",
        rf"{_B}(?:{serials})\s*[:=#]?\s*[^\W_](?:[\w\-/.]*[^\W_])?",
    ]
    folded = re.compile("|".join(f"(?:{p})" for p in parts))
    # an initial: one capital letter and a dot, alone ("J.", "J.-P.", "M.A.")
    initials = re.compile(r"(?<![^\W\d_])(?:[A-Z]\.\s?-?){1,3}(?![^\W\d_])")
    return folded, initials


def drop_patterns(text: str) -> str:
    """``text`` without ages, dates, initials and labelled serial numbers."""
    if not text or not any(c.isalnum() for c in text):
        return text
    folded_pattern, initials = compiled()
    folded = fold(text)
    found = [m.span() for m in folded_pattern.finditer(folded) if m.end() > m.start()]
    found += [m.span() for m in initials.finditer(text) if m.end() > m.start()]
    if not found:
        return text
    keep = [True] * len(text)
    for start, end in found:
        for index in range(start, end):
            keep[index] = False
    out, previous = [], True
    for char, kept in zip(text, keep, strict=True):
        if kept:
            out.append(char)
        elif previous:
            out.append(" ")
        previous = kept
    return "".join(out)
