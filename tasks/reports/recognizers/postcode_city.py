"""Postcodes, and the city name written next to one (named groups ``postcode`` / ``city``)."""

from __future__ import annotations

import re
from pathlib import Path

from tasks.reports.config import RecognizerSpec
from tasks.reports.lexicon import function_words
from tasks.reports.recognizers.base import Analysis
from tasks.reports.spans import Candidate, trim
from tasks.reports.vocab import is_report_word


class PostcodeCityRecognizer:
    needs_doc = False

    def __init__(self, spec: RecognizerSpec) -> None:
        self.name = spec.name
        self.languages = frozenset(spec.languages)
        self.label = spec.label or "POSTCODE"
        self.city_label = spec.city_label or "CITY"
        self.priority = spec.priority
        self.patterns = [re.compile(p, re.MULTILINE) for p in spec.patterns]

    def find(self, analysis: Analysis) -> list[Candidate]:
        text = analysis.text
        found = []
        for pattern in self.patterns:
            for match in pattern.finditer(text):
                groups = match.groupdict()
                if groups.get("city") is not None:
                    start, end = trim(text, *match.span("city"))
                    words = text[start:end].split()
                    if not words or all(is_report_word(w) for w in words):
                        continue
                    if _opens_a_sentence(words[0]):  # "N° : 44512 Son IPP est ..."
                        continue
                    head = next((w for w in words if w.lower() not in ARTICLES), words[0])
                    if words[0][0].islower() and not _lower_case_city(
                        head, after_street=text[match.start()] != ","
                    ):
                        continue
                    # the postcode vouches for the town, even an ordinary word in capitals
                    found.append(Candidate(start, end, self.city_label, self.priority, strong=True))
                if groups.get("postcode") is not None:
                    start, end = match.span("postcode")
                    found.append(Candidate(start, end, self.label, self.priority))
        return found


ARTICLES = frozenset({"le", "la", "les", "l", "the"})


def _opens_a_sentence(word: str) -> bool:
    """A function word other than an article ("Son", "Il") does not start a city name."""
    lowered = word.lower()
    return lowered in function_words() and lowered not in ARTICLES


def _lower_case_city(word: str, after_street: bool) -> bool:
    """A lower-case word after a postcode is a city when it is not a unit or report word
    ("35000 ui") and, after a bare comma, not a dictionary word ("10000, cellules")."""
    from tasks.reports.lexicon import is_french_word, never_a_name

    if len(word) < 3 or never_a_name(word):
        return False
    return after_street or not is_french_word(word)


def build(spec: RecognizerSpec, config_path: Path) -> PostcodeCityRecognizer:
    return PostcodeCityRecognizer(spec)
