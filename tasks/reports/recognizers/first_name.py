"""Given names from a gazetteer, with the surname written next to them: "Suzanne Lacroix",
"Thérèse Schneider née Lacroix", "ALLAIN, Suzanne", "Hi Carl"."""

from __future__ import annotations

import re
from pathlib import Path

from tasks.reports.config import RecognizerSpec, data_path, read_lines
from tasks.reports.lexicon import is_given_name
from tasks.reports.names import read_lower_name, read_lower_pair, read_name
from tasks.reports.recognizers.base import Analysis, Identified, identify
from tasks.reports.spans import Candidate
from tasks.reports.vocab import is_report_word

WORD = re.compile(r"(?<![\w'’-])[A-ZÀ-ÖØ-Þ][\wÀ-ÿ'’-]+")


class FirstNameRecognizer(Identified):
    needs_doc = False

    def __init__(self, spec: RecognizerSpec, config_path: Path) -> None:
        identify(self, spec, "PERSON")
        names = read_lines(data_path(spec, config_path))
        self.names = frozenset(names) | frozenset(n.upper() for n in names)

    def _is_first_name(self, word: str) -> bool:
        return word in self.names or word.split("-")[0] in self.names

    def find(self, analysis: Analysis) -> list[Candidate]:
        text = analysis.text
        found = []
        for match in WORD.finditer(text):
            if not self._is_first_name(match.group()):
                continue
            span = read_name(text, match.start())
            if span is None:
                continue
            start, end = span
            start = _extend_backwards(text, start)
            found.append(Candidate(start, end, self.label, self.priority, weak=True))
        if analysis.language == "fr":  # the lower-case rules lean on the French dictionary
            found.extend(self._lower_case(text))
        return found

    def _lower_case(self, text: str) -> list[Candidate]:
        """Dictated or typed-in-lower-case names: "jean mercier né le ...". A given name and
        a surname, kept when one of them is not a French word ("émilie petit") or when a
        birth date or an age follows them ("jean mercier né le")."""
        found = []
        for match in BIRTH_OR_AGE_AFTER.finditer(text):  # "pour gaëtan roussillon né le"
            before = LOWER_PAIR_BEFORE.search(text, max(0, match.start() - 60), match.start())
            span = read_lower_pair(text, before.start()) if before is not None else None
            if span is not None and span[1] == match.start():
                found.append(Candidate(*span, self.label, self.priority, weak=True))
        for match in LOWER_GIVEN.finditer(text):
            if not is_given_name(match.group()):
                continue
            span = read_lower_name(text, match.start(), after_title=False)
            if span is None:
                following = read_lower_name(text, match.start(), after_title=True)
                if following is None or following[1] == match.end():
                    continue
                if not BIRTH_OR_AGE_AFTER.match(text, following[1]):
                    continue
                span = following
            found.append(Candidate(*span, self.label, self.priority, weak=True))
        return found


LOWER_PAIR_BEFORE = re.compile(r"[a-zà-öø-ÿ][\wà-öø-ÿ'’-]*[ \t]+[a-zà-öø-ÿ][\wà-öø-ÿ'’-]*$")
LOWER_GIVEN = re.compile(r"(?<![\w'’-])[a-zà-öø-ÿ][a-zà-öø-ÿ-]+(?![\w'’])")
BIRTH_OR_AGE_AFTER = re.compile(
    r"[ \t,]+(?:n[ée]e?\b|[âa]g[ée]e?\b|[0-9]{1,3}[ \t]*(?:ans|an|yo|y/o|years?)\b|born\b|aged\b"
    r"|d\.?o\.?b\b|ddn\b)",
    re.IGNORECASE,
)
BEFORE = re.compile(
    r"(?:^|(?<=[\s(:;]))((?:[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+|[A-ZÀ-ÖØ-Þ]{2,})(?:[-'][\wÀ-ÿ]+)*)"
    r"(,[ \t]|[ \t]+(?:(?:née|épouse|ép\.|veuve|dit|dite)[ \t]+)?)$"
)


def _extend_backwards(text: str, start: int) -> int:
    """Take in the surname(s) written before a given name: "ALLAIN, Suzanne",
    "LAUNAY épouse SIMON Patrick" (upper-case words, or any name word before a comma)."""
    for _ in range(3):
        before = BEFORE.search(text, max(0, start - 40), start)
        if before is None or is_report_word(before.group(1)):
            break
        word, gap = before.group(1), before.group(2)
        if not (word.isupper() or gap.startswith(",") or gap.strip()):
            break
        start = before.start(1)
        if gap.startswith(","):
            break
    return start


def build(spec: RecognizerSpec, config_path: Path) -> FirstNameRecognizer:
    return FirstNameRecognizer(spec, config_path)
