"""The regression set of report styles (tests/data/reports/styles.txt: letters, structured
reports, dictation, OCR'd faxes, pipe tables, upper-case headers, lower-case text, wrapped
lines, snippets, English US/UK), scored as bench/reports.py --corpus does."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tasks.reports.api import find_spans
from tasks.reports.evaluation import load_corpus, score

DATA = Path(__file__).resolve().parents[1] / "data" / "reports"


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return load_corpus(DATA / "styles.jsonl")


@pytest.fixture(scope="module")
def result(records):
    return score(records, lambda r: find_spans(r["text"], language=r["language"]))


def test_jsonl_is_built_from_the_markup(records):
    sys.path.insert(0, str(DATA))
    import build_styles

    assert json.loads(json.dumps(build_styles.records())) == records
    styles = {r["style"] for r in records}
    assert {"letter", "dictation", "ocr_fax", "pipe_table", "en_us", "en_uk"} <= styles


def test_recall_strong_identifiers_and_precision(result):
    assert result.recall() >= 0.99, result.misses
    assert result.strong_recall() == 1.0, result.misses
    assert result.span_precision() >= 0.95, result.false_positives


def test_every_style_is_covered(result):
    for style in result.style_gold:
        assert result.style_recall(style) >= 0.95, (style, result.misses)


def test_protected_terms_survive(result):
    assert sum(result.protected.values()) >= 30
    assert result.survival() == 1.0, result.destroyed_terms
