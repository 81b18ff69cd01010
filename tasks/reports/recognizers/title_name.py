"""Person names after a title or form of address (M., Mme, Dr, Pr, Docteur, Mrs, ...)."""

from __future__ import annotations

import re
from pathlib import Path

from tasks.reports.config import InvalidRecognizerConfig, RecognizerSpec, data_path, read_yaml
from tasks.reports.names import read_lower_name, read_name
from tasks.reports.recognizers.base import Analysis, Identified, identify
from tasks.reports.spans import Candidate


def _strings(data: dict[str, object], key: str, path: Path, optional: bool = False) -> list[str]:
    values = data.get(key)
    if optional and not values:
        return []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidRecognizerConfig(f"title list {path}: '{key}' must be a list of strings")
    return values


def title_pattern(path: Path) -> re.Pattern[str]:
    data = read_yaml(path)
    exact, words = _strings(data, "case_sensitive", path), _strings(data, "words", path)
    exact_part = "|".join(re.escape(t) for t in sorted(exact, key=len, reverse=True))
    words_part = "|".join(re.escape(t) for t in sorted(words, key=len, reverse=True))
    # "Mme le Dr X", "Monsieur le Professeur X": a title may follow another one
    return re.compile(
        rf"(?<![\w.])(?:(?:{exact_part})|(?i:{words_part}))(?![\w])"
        rf"(?:[ \t]+(?:le|la|l'|the)?[ \t]*(?:(?:{exact_part})|(?i:{words_part}))(?![\w]))*"
    )


def lower_title_pattern(path: Path) -> re.Pattern[str] | None:
    """Titles written in lower case ("dr", "mme") and the title words ("docteur")."""
    data = read_yaml(path)
    lower = _strings(data, "lower_case", path, optional=True)
    words = _strings(data, "words", path, optional=True)
    units = _strings(data, "lower_case_not_after_number", path, optional=True)
    titles = sorted([*lower, *words], key=len, reverse=True)
    if not titles:
        return None
    body = "|".join(re.escape(t) for t in titles)
    if units:  # "500 ms", "2 m." are units there
        ambiguous = "|".join(re.escape(t) for t in sorted(units, key=len, reverse=True))
        body += rf"|(?<![0-9][ \t])(?:{ambiguous})"
    return re.compile(rf"(?<![\w.])(?:{body})(?![\w])[ \t]+(?=[a-zà-öø-ÿ])")


class TitleNameRecognizer(Identified):
    needs_doc = False

    def __init__(self, spec: RecognizerSpec, config_path: Path) -> None:
        identify(self, spec, "PERSON")
        self.pattern = title_pattern(data_path(spec, config_path))
        self.lower = lower_title_pattern(data_path(spec, config_path))

    def find(self, analysis: Analysis) -> list[Candidate]:
        text = analysis.text
        found = []
        for match in self.pattern.finditer(text):
            position = match.end()
            # "doctor M. Sanchez": after another title, "M." is the first name's initial
            if match.group().endswith(" M.") or match.group().endswith("\tM."):
                position -= 2
            span = read_name(text, position, after_title=True, ordinary_surname=True)
            if span is not None:
                found.append(Candidate(*span, self.label, self.priority, strong=True))
        if self.lower is not None:
            for match in self.lower.finditer(text):
                span = read_lower_name(
                    text, match.end(), after_title=True, language=analysis.language
                )
                if span is not None:
                    found.append(Candidate(*span, self.label, self.priority, strong=True))
        return found


def build(spec: RecognizerSpec, config_path: Path) -> TitleNameRecognizer:
    return TitleNameRecognizer(spec, config_path)
