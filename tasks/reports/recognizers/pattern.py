"""Regular-expression recognizer with an optional validate hook (checksums, shapes)."""

from __future__ import annotations

import re
from pathlib import Path

from tasks.reports.config import InvalidRecognizerConfig, RecognizerSpec
from tasks.reports.recognizers.base import Analysis, Identified, identify
from tasks.reports.spans import Candidate, trim
from tasks.reports.validators import VALIDATORS


class PatternRecognizer(Identified):
    needs_doc = False

    def __init__(self, spec: RecognizerSpec) -> None:
        identify(self, spec, "")
        flags = re.IGNORECASE if spec.ignore_case else 0
        self.patterns = [re.compile(p, flags | re.MULTILINE) for p in spec.patterns]
        self.group = spec.group
        self.weak = spec.weak
        self.strong = spec.strong
        if spec.validator is not None and spec.validator not in VALIDATORS:
            raise InvalidRecognizerConfig(
                f"recognizer {spec.name}.validator: unknown validator {spec.validator!r} "
                f"(known: {', '.join(sorted(VALIDATORS))})"
            )
        self.validate = VALIDATORS.get(spec.validator or "")
        if self.group is not None:
            for index, pattern in enumerate(self.patterns):
                if self.group not in pattern.groupindex:
                    raise InvalidRecognizerConfig(
                        f"recognizer {spec.name}.patterns[{index}]: no group named {self.group}"
                    )

    def find(self, analysis: Analysis) -> list[Candidate]:
        text = analysis.text
        found = []
        for pattern in self.patterns:
            for match in pattern.finditer(text):
                start, end = match.span(self.group) if self.group else match.span()
                start, end = trim(text, start, end)
                if start >= end:
                    continue
                if self.validate is not None and not self.validate(text, start, end):
                    continue
                found.append(
                    Candidate(
                        start, end, self.label, self.priority, weak=self.weak, strong=self.strong
                    )
                )
        return found


def build(spec: RecognizerSpec, config_path: Path) -> PatternRecognizer:
    return PatternRecognizer(spec)
