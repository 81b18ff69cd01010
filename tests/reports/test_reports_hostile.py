"""Hostile or odd text: no exception, valid spans, and no pathological regex time."""

from __future__ import annotations

import random
import time

import pytest

from tasks.reports.api import find_spans
from tasks.reports.replace import rewrite
from tasks.reports.report_settings import ReportProfile

ALPHABET = (
    "AaÉé1 -'.,:/\n\t@()[]ÀÿŒœ€\u00a0\u2019\r;|#%+0123456789Dr M. Mme Pr CHU rue 75013 Paris "
    "janvier March ans years "
)


def test_random_text_gives_valid_spans_and_rewrites():
    rng = random.Random(11)
    profiles = [ReportProfile(), ReportProfile(strategy="surrogate", dates="year")]
    for _ in range(60):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 300)))
        text += "".join(chr(rng.randrange(32, 0x3000)) for _ in range(rng.randrange(0, 30)))
        for language in (None, "fr", "en"):
            spans = find_spans(text, language=language)
            assert all(0 <= s.start < s.end <= len(text) for s in spans)
            assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
            for profile in profiles:
                rewrite(text, spans, language or "fr", profile, b"k" * 16, -5)


@pytest.mark.parametrize(
    "text",
    [
        "-".join(["Ab"] * 4000),
        "'".join(["A"] * 4000),
        "A" + "aA" * 5000,
        "a" * 10000 + "@",
        "1" * 10000,
        "www." + "a." * 5000,
    ],
    ids=["hyphens", "apostrophes", "camel", "email-run", "digits", "url"],
)
def test_no_pathological_regex_time(text):
    find_spans("warm up", language="en")
    start = time.perf_counter()
    find_spans(text, language="en")  # English: rules only, so the time is the regexes'
    assert time.perf_counter() - start < 3.0
