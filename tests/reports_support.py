"""Helpers shared by the report tests that probe one failure class each
(tests/reports/test_reports_generalisation.py, tests/reports/test_reports_unseen_styles.py)."""

from __future__ import annotations

from tasks.reports.api import analyze
from tasks.reports.spans import Span


def spans_of(text: str, language: str = "fr") -> list[Span]:
    return analyze(text, language=language)


def covered(text: str, value: str, spans: list[Span]) -> bool:
    """Every character of the first ``value`` in ``text`` is inside a span."""
    start = text.index(value)
    return all(any(s.start <= i < s.end for s in spans) for i in range(start, start + len(value)))


def touched(text: str, value: str, spans: list[Span]) -> bool:
    """Some character of the first ``value`` in ``text`` is inside a span."""
    start = text.index(value)
    end = start + len(value)
    return any(s.start < end and start < s.end for s in spans)
