"""Names standing on their own line (signatures, letter headers) or opening a line before a
separator ("Jean DUPONT - né le ...", "Jean DUPONT, 67 ans")."""

from __future__ import annotations

import re
from pathlib import Path

from tasks.reports.config import RecognizerSpec
from tasks.reports.names import read_name
from tasks.reports.recognizers.base import Analysis, Identified, identify
from tasks.reports.spans import Candidate

LINE_START = re.compile(r"^[ \t]*(?:[-–•*>]+[ \t]*)?", re.MULTILINE)
# what may follow a name at the start of a line
AFTER_NAME = re.compile(r"[ \t]*(?:$|[,(]|[-–/][ \t])", re.MULTILINE)


class NameLineRecognizer(Identified):
    needs_doc = False

    def __init__(self, spec: RecognizerSpec, config_path: Path) -> None:
        identify(self, spec, "PERSON")
        roles = spec.labels if isinstance(spec.labels, list) else []
        self.role_after = (
            re.compile(rf"[ \t]*,[ \t]*(?:{'|'.join(roles)})", re.IGNORECASE) if roles else None
        )

    def find(self, analysis: Analysis) -> list[Candidate]:
        text = analysis.text
        found = self._fields(text) + self._signature(text)
        for match in LINE_START.finditer(text):
            span = read_name(text, match.end(), min_words=1)
            if span is None or not AFTER_NAME.match(text, span[1]):
                continue
            single = len(text[span[0] : span[1]].split()) < 2
            if single and not (self.role_after and self.role_after.match(text, span[1])):
                continue
            found.append(Candidate(span[0], span[1], self.label, self.priority, weak=True))
        return found

    def _signature(self, text: str) -> list[Candidate]:
        """The last line of a letter (3 lines or more), when it is one name word, is a
        signature. Short texts (a CSV cell, a DICOM descriptor) have no signature."""
        stripped = text.rstrip()
        if sum(1 for line in stripped.splitlines() if line.strip()) < 3:
            return []
        start = stripped.rfind("\n") + 1
        while start < len(stripped) and stripped[start] in " \t":
            start += 1
        span = read_name(text, start, min_words=1)
        if span is None or span != (start, len(stripped)):
            return []
        return [Candidate(span[0], span[1], self.label, self.priority, weak=True)]

    def _fields(self, text: str) -> list[Candidate]:
        """Delimited records (exports, worklists: "ACC1;DUPONT;Jean;12/03/1954;TDM"): a field
        made only of name words is a name."""
        found = []
        for line in DELIMITED_LINE.finditer(text):
            separator = max(FIELD_SEPARATORS, key=line.group().count)
            if line.group().count(separator) < 2:
                continue
            position = line.start()
            for field in line.group().split(separator):
                start = position + len(field) - len(field.lstrip())
                end = position + len(field.rstrip())
                position += len(field) + len(separator)
                if start >= end:
                    continue
                span = read_name(text, start, min_words=1)
                if span is not None and span == (start, end):
                    found.append(Candidate(start, end, self.label, self.priority, weak=True))
        return found


DELIMITED_LINE = re.compile(r"^[^\n]*[;|\t][^\n]*$", re.MULTILINE)
FIELD_SEPARATORS = (";", "|", "\t")


def build(spec: RecognizerSpec, config_path: Path) -> NameLineRecognizer:
    return NameLineRecognizer(spec, config_path)
