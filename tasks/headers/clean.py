"""Clean Descriptors / Clean Structured Content for free text: remove the dataset's own
identifying values (every spelling, case-, accent- and separator-insensitively: see
``crosscheck``), ages, dates, initials and serial numbers in seven languages (``patterns``),
then whatever the report stage's recognisers find (``tasks.reports.api.find_spans``)."""

from __future__ import annotations

import re
from functools import lru_cache

from tasks.headers.crosscheck import pattern, scrub
from tasks.headers.patterns import drop_patterns
from tasks.reports.api import find_spans

_SPACES = re.compile(r"[ \t]{2,}")


def scrub_known(text: str, needles: tuple[str, ...]) -> str:
    """``text`` without the dataset's identifying values (``crosscheck`` rules)."""
    return scrub(text, pattern(needles))


@lru_cache(maxsize=4096)
def _drop_recognised(text: str, language: str | None) -> str:
    if not text.strip():
        return text
    spans = sorted(find_spans(text, (), language=language), key=lambda s: s.start)
    out, cursor = [], 0
    for span in spans:
        if span.start >= cursor:
            out.append(text[cursor : span.start])
            out.append(" ")
            cursor = span.end
        elif span.end > cursor:
            cursor = span.end
    out.append(text[cursor:])
    return "".join(out)


_LAST_WORD = re.compile(r"([^\W_]{3,})\W*$")


def drop_truncated_tail(text: str, words: tuple[str, ...]) -> str:
    """A value cut at its VR's maximum length may end in a truncated name ("... Davidso"):
    drop a last word that starts one of ``words`` (compared case-insensitively)."""
    match = _LAST_WORD.search(text)
    if match:
        tail = match.group(1).casefold()
        if any(len(w) > len(tail) and w.casefold().startswith(tail) for w in words):
            return text[: match.start()]
    return text


REMEMBERED_LENGTH = 1024  # longer text (a report in a UT) is cleaned afresh: memory stays small


def clean_text(
    text: str,
    needles: tuple[str, ...],
    language: str | None = None,
    recognise: bool = True,
    words: tuple[str, ...] = (),
) -> str:
    """The text without the dataset's identifying values nor recognised entities. Remembered
    per arguments: the files of a series repeat their descriptors and their values."""
    if len(text) <= REMEMBERED_LENGTH:
        return _clean_remembered(text, needles, language, recognise, words)
    return _clean(text, needles, language, recognise, words)


def _clean(
    text: str,
    needles: tuple[str, ...],
    language: str | None,
    recognise: bool,
    words: tuple[str, ...],
) -> str:
    cleaned = drop_patterns(drop_truncated_tail(scrub_known(text, needles), words))
    if recognise:
        cleaned = _drop_recognised(cleaned, language)
    if cleaned != text and not any(c.isalnum() for c in cleaned):
        return ""  # only punctuation left ("/ 60 ANOS J." -> "/")
    return _SPACES.sub(" ", cleaned).strip()


_clean_remembered = lru_cache(maxsize=1024)(_clean)
