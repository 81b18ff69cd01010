"""Word lists shared by recognizers: report vocabulary that is never a name, and
allow-listed medical phrases (eponyms) that survive."""

from __future__ import annotations

import functools
import re

from tasks.reports.config import DATA_DIR, read_lines

GAZETTEERS = DATA_DIR / "gazetteers"


@functools.cache
def not_names() -> frozenset[str]:
    return frozenset(word.lower() for word in read_lines(GAZETTEERS / "not_names.txt"))


@functools.cache
def allowlist_pattern() -> re.Pattern[str]:
    phrases = sorted(read_lines(GAZETTEERS / "allowlist.txt"), key=len, reverse=True)
    body = "|".join(re.escape(p) for p in phrases)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def allowed_ranges(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in allowlist_pattern().finditer(text)]


ELISION = re.compile(r"^(?:d|l|qu|j|n|s|c)['’]", re.IGNORECASE)


def is_report_word(word: str) -> bool:
    lowered = word.lower().strip(".:,;")
    words = not_names()
    return lowered in words or ELISION.sub("", lowered) in words
