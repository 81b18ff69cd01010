"""Public entry point: find identifying spans in a text.

Cheap to import (spaCy and the data load on the first call, once per process). Also used by
the header stage to clean free-text descriptors.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tasks.reports.spans import Span

__all__ = ["Span", "find_spans"]


def find_spans(
    text: str, known_values: Iterable[str] = (), language: str | None = None
) -> list[Span]:
    """Identifying spans of ``text`` (sorted, non-overlapping), with their labels.

    ``known_values``: identifying values known from another source (e.g. the DICOM header),
    matched exactly (case/accent-insensitive). ``language``: "fr" or "en"; guessed from the
    text when None.
    """
    return analyze(text, known_values, language)


def analyze(
    text: str,
    known_values: Iterable[str] = (),
    language: str | None = None,
    config_path: Path | None = None,
    groups: dict[str, list[str]] | None = None,
    default_language: str = "fr",
    statistical_ner: bool = True,
) -> list[Span]:
    from tasks.reports.config import DEFAULT_CONFIG
    from tasks.reports.engine import engine_for
    from tasks.reports.known_values import KnownValues
    from tasks.reports.language import detect_language
    from tasks.reports.ocr import undo_confusions

    if not text.strip():
        return []
    original = text
    text = undo_confusions(same_length_normalised(text))
    language = language or detect_language(text, default=default_language)
    merged: dict[str, list[str]] = {k: list(v) for k, v in (groups or {}).items()}
    extra = [v for v in known_values if v]
    if extra:
        merged.setdefault("other", []).extend(extra)
    known = KnownValues(merged) if merged else None
    engine = engine_for(config_path or DEFAULT_CONFIG)
    spans = engine.analyze(text, language, known, statistical_ner=statistical_ner)
    if known:  # the study's values, also in their original spelling (offsets are shared)
        found = known.find(original)
        if found:
            from tasks.reports.spans import Candidate, merge

            pieces = [Candidate(s.start, s.end, s.label, 50) for s in spans] + found
            spans = merge(pieces)
    return spans


# characters that rules would not see as blanks or apostrophes; replaced one for one, so the
# spans found in the normalised text are the spans of the original
SAME_LENGTH = str.maketrans(
    {
        "\r": " ",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2007": " ",
        "\u2009": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2019": "'",
        "\u02bc": "'",
        "\u2010": "-",
        "\u2011": "-",
        "\u00ad": "-",
        "\f": " ",
        "\v": " ",
    }
)


def same_length_normalised(text: str) -> str:
    return text.translate(SAME_LENGTH)
