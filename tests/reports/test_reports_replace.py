"""Replacement: nothing identifying survives any strategy; dates and ages are rewritten, not
dropped, wherever the engine can read them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tasks.reports import dates
from tasks.reports.api import find_spans
from tasks.reports.evaluation import load_corpus
from tasks.reports.replace import age_band, rewrite, surrogate
from tasks.reports.report_settings import ReportProfile

CORPUS = Path(__file__).resolve().parents[1] / "data" / "reports" / "corpus.jsonl"
KEY = b"test-key-0123456789abcdef"


@pytest.fixture(scope="module")
def analysed() -> list[tuple[dict, list]]:
    return [(r, find_spans(r["text"])) for r in load_corpus(CORPUS)]


def present(value: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text, re.IGNORECASE) is not None


@pytest.mark.parametrize("strategy", ["placeholder", "surrogate"])
def test_no_gold_value_survives(analysed, strategy):
    profile = ReportProfile(strategy=strategy, dates="placeholder", ages="placeholder")
    leaks = []
    for record, spans in analysed:
        out = rewrite(record["text"], spans, record["language"], profile, KEY, -20).text
        for start, end, label in record["spans"]:
            value = record["text"][start:end]
            if len(value) >= 4 and present(value, out):
                leaks.append((record["id"], label))
    assert not leaks


def test_every_corpus_date_can_be_shifted_and_every_age_banded(analysed):
    for record, _ in analysed:
        for start, end, label in record["spans"]:
            value = record["text"][start:end]
            if label == "DATE":
                assert dates.parse(value, record["language"]) is not None, (record["id"], label)
            if label == "AGE":
                assert age_band(value, record["language"], [0, 18, 45, 65, 90]), record["id"]


@pytest.mark.parametrize(
    "value, language, shifted",
    [
        ("12/03/2021", "fr", "22/02/2021"),
        ("2021-03-12", "fr", "2021-02-22"),
        ("12 mars 2021", "fr", "22 février 2021"),
        ("1er mars 2021", "fr", "11 février 2021"),
        ("mars 2021", "fr", "février 2021"),
        ("March 12, 2021", "en", "February 22, 2021"),
        ("12-Mar-2021", "en", "22-Feb-2021"),
        ("20210312", "fr", "20210222"),
        ("12/03", "fr", "23/02"),
    ],
)
def test_date_shift_keeps_the_style(value, language, shifted):
    assert dates.shift(value, -18, language) == shifted


def test_year_policy_and_unreadable_dates():
    profile = ReportProfile(dates="year")
    text = "Vu le 12/03/2021 et le 12/03."
    spans = [s for s in find_spans(text, language="fr") if s.label == "DATE"]
    out = rewrite(text, spans, "fr", profile, KEY, 0).text
    assert out == "Vu le 2021 et le [DATE]."


def test_age_bands():
    bands = [0, 18, 30, 45, 60, 75, 90]
    assert age_band("67 ans", "fr", bands) == "60-74 ans"
    assert age_band("94 ans", "fr", bands) == "90 ans et plus"
    assert age_band("8 mois", "fr", bands) == "0-17 ans"
    assert age_band("45-year-old", "en", bands) == "45-59 years"


def test_surrogates_are_keyed_and_consistent():
    assert surrogate("DUPONT Jean", "PERSON", KEY) == surrogate("Jean Dupont", "PERSON", KEY)
    assert surrogate("DUPONT Jean", "PERSON", KEY) != surrogate("DUPONT Jean", "PERSON", b"x" * 16)
    phone = surrogate("03 20 44 59 62", "PHONE", KEY)
    assert re.fullmatch(r"\d\d \d\d \d\d \d\d \d\d", phone) and phone != "03 20 44 59 62"


def test_nbsp_crlf_and_curly_apostrophes():
    text = (
        "Nom d\u2019usage\u00a0: DUPONT\r\n"
        "Âgée de 67\u00a0ans, vue par le Dr\u00a0Martin\r\nVasseur\r\n"
    )
    spans = find_spans(text, language="fr")
    found = {text[s.start : s.end] for s in spans}
    assert {"DUPONT", "67\u00a0ans", "Martin", "Vasseur"} <= found


@pytest.mark.parametrize(
    ("text", "language", "band"),
    [
        ("Patiente née le 23/12/1957, examen du 24/04/2020.", "fr", "60-74 ans"),
        ("M. X, né(e) le 2 mars 1941. Scanner du 24/04/2020.", "fr", "75-89 ans"),
        ("DOB: 03/02/1990. CT on 04/24/2020.", "en", "30-44 years"),
    ],
)
def test_a_birth_date_becomes_the_age_band_at_the_study(text: str, language: str, band: str):
    """A shifted birth date next to shifted exam dates gives the exact age: under the
    default profile a birth date in a report is the age band, as in the headers."""
    spans = find_spans(text, language=language)
    birth = next(s for s in spans if s.label == "DATE")
    profile = ReportProfile()
    released = rewrite(text, spans, language, profile, b"k" * 16, 17, "20200424").text
    assert band in released
    assert text[birth.start : birth.end] not in released
    assert "1957" not in released and "1941" not in released and "1990" not in released
    shifted = rewrite(
        text, spans, language, ReportProfile(birth_dates="shift"), b"k" * 16, 17, "20200424"
    ).text
    assert band not in shifted  # the explicit choice keeps a (shifted) date


def test_a_birth_date_without_a_study_date_is_removed():
    text = "Née le 23/12/1957."
    spans = find_spans(text, language="fr")
    released = rewrite(text, spans, "fr", ReportProfile(), b"k" * 16, 17, "").text
    assert "[DATE]" in released and "1957" not in released


def test_an_exam_date_is_not_taken_for_a_birth_date():
    text = "Patient examiné le 12/03/2021."
    spans = find_spans(text, language="fr")
    released = rewrite(text, spans, "fr", ReportProfile(), b"k" * 16, 17, "20210312").text
    assert "29/03/2021" in released
