"""Spans found in a text, and how overlapping candidates become one answer."""

from __future__ import annotations

from dataclasses import dataclass

LABELS = (
    "PERSON",
    "DATE",
    "AGE",
    "NIR",
    "ID",
    "PHONE",
    "EMAIL",
    "ADDRESS",
    "POSTCODE",
    "CITY",
    "ESTABLISHMENT",
    "DEVICE",
    "URL",
    "KNOWN",
)
# strong identifiers: the ones that must be found every time (benchmark target 100 %)
STRONG_LABELS = frozenset({"PERSON", "NIR", "ID", "PHONE", "EMAIL", "KNOWN"})


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    label: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A recognizer's proposal. ``weak`` ones are dropped inside allow-listed phrases;
    only ``strong`` ones (a title, a label, a header value) may overlap a protected medical
    term (eponym, drug)."""

    start: int
    end: int
    label: str
    priority: int
    weak: bool = False
    strong: bool = False


TRIM = " \t\r\n,;:.()[]{}\"'«»-–—/"


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) so it neither starts nor ends with spaces or punctuation.

    A final period is kept after a single capital (an initial such as "J.") or inside an
    abbreviation; other punctuation at the edges goes.
    """
    while start < end and text[start] in TRIM:
        if text[start] == "(" and ")" in text[start:end]:
            break
        start += 1
    while end > start and text[end - 1] in TRIM:
        if text[end - 1] == ")" and "(" in text[start:end]:
            break
        if text[end - 1] == "." and end - start >= 2 and text[end - 2].isalpha():
            before = text[end - 3] if end - start >= 3 else " "
            if not before.isalpha():
                break
        end -= 1
    return start, end


def merge(candidates: list[Candidate]) -> list[Span]:
    """Union of overlapping candidates; each group takes the label of its strongest member
    (highest priority, then longest)."""
    ordered = sorted(candidates, key=lambda c: (c.start, -c.end))
    spans: list[Span] = []
    group: list[Candidate] = []
    group_end = -1
    for candidate in ordered:
        if group and candidate.start >= group_end:
            spans.append(_close(group))
            group = []
        group.append(candidate)
        group_end = max(group_end, candidate.end) if len(group) > 1 else candidate.end
    if group:
        spans.append(_close(group))
    return spans


def _close(group: list[Candidate]) -> Span:
    best = max(group, key=lambda c: (c.priority, c.end - c.start))
    return Span(min(c.start for c in group), max(c.end for c in group), best.label)
