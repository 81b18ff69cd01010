"""Names standing on their own line (signatures, letter headers) or opening a line before a
separator ("Jean DUPONT - né le ...", "Jean DUPONT, 67 ans")."""

from __future__ import annotations

import re
from pathlib import Path

from tasks.reports.config import RecognizerSpec
from tasks.reports.names import read_name
from tasks.reports.recognizers.base import Analysis
from tasks.reports.spans import Candidate

LINE_START = re.compile(r"^[ \t]*(?:[-–•*>]+[ \t]*)?", re.MULTILINE)
# what may follow a name at the start of a line
AFTER_NAME = re.compile(r"[ \t]*(?:$|[,(]|[-–/][ \t])", re.MULTILINE)


class NameLineRecognizer:
    needs_doc = False

    def __init__(self, spec: RecognizerSpec, config_path: Path) -> None:
        self.name = spec.name
        self.languages = frozenset(spec.languages)
        self.label = spec.label or "PERSON"
        self.priority = spec.priority
        roles = spec.labels if isinstance(spec.labels, list) else []
        self.role_after = (
            re.compile(rf"[ \t]*,[ \t]*(?:{'|'.join(roles)})", re.IGNORECASE) if roles else None
        )

    def find(self, analysis: Analysis) -> list[Candidate]:
        text = analysis.text
        found = []
        for match in LINE_START.finditer(text):
            span = read_name(text, match.end(), min_words=1)
            if span is None or not AFTER_NAME.match(text, span[1]):
                continue
            single = len(text[span[0] : span[1]].split()) < 2
            if single and not (self.role_after and self.role_after.match(text, span[1])):
                continue
            found.append(Candidate(span[0], span[1], self.label, self.priority, weak=True))
        return found


def build(spec: RecognizerSpec, config_path: Path) -> NameLineRecognizer:
    return NameLineRecognizer(spec, config_path)
