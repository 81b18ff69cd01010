"""Fields of HL7 v2 messages pasted as text, labelled by their position.

An ORM or ORU message copied into a report keeps its structure: a segment id, then fields
split by ``|``, components by ``^`` and repetitions by ``~``. The field's position says
what it holds (``data/gazetteers/hl7_fields.yaml``): PID-3 the patient's identifiers,
PID-5 their name, PV1-8 the referring doctor... whatever the value looks like. The segment
ids themselves ("PID", "OBR") name no one.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from tasks.reports.config import RecognizerSpec, data_path, read_yaml
from tasks.reports.recognizers.base import Analysis, Identified, identify
from tasks.reports.spans import Candidate, trim

SEGMENT = re.compile(r"^(?P<id>[A-Z][A-Z0-9]{2})\|(?P<fields>[^\n]*)$", re.MULTILINE)
DATE_PREFIX = re.compile(r"[0-9]{8}")


@functools.cache
def field_labels(path: Path) -> dict[str, dict[int, str]]:
    data = read_yaml(path)
    return {
        segment: {int(k): str(v) for k, v in fields.items()} for segment, fields in data.items()
    }


class Hl7SegmentsRecognizer(Identified):
    needs_doc = False

    def __init__(self, spec: RecognizerSpec, config_path: Path) -> None:
        identify(self, spec, "ID")
        self.fields = field_labels(data_path(spec, config_path))

    def find(self, analysis: Analysis) -> list[Candidate]:
        text = analysis.text
        found: list[Candidate] = []
        for segment in SEGMENT.finditer(text):
            analysis.not_identifying.append(segment.span("id"))
            labels = self.fields.get(segment.group("id"), {})
            position = segment.start("fields")
            for number, value in enumerate(segment.group("fields").split("|"), start=1):
                label = labels.get(number)
                if label is not None:
                    found.extend(self._field(text, position, value, label))
                position += len(value) + 1
        return found

    def _field(self, text: str, start: int, value: str, label: str) -> list[Candidate]:
        found = []
        for repetition in re.finditer(r"[^~]+", value):
            begin = start + repetition.start()
            end = start + repetition.end()
            if label == "ID":  # a CX: the identifier, then its assigning authority
                end = begin + len(repetition.group().split("^")[0])
            elif label == "DATE":
                date = DATE_PREFIX.match(text, begin, end)
                end = date.end() if date else begin
            begin, end = trim(text, begin, end)
            if begin < end and any(c.isalnum() for c in text[begin:end]):
                found.append(Candidate(begin, end, label, self.priority, strong=True))
        return found


def build(spec: RecognizerSpec, config_path: Path) -> Hl7SegmentsRecognizer:
    return Hl7SegmentsRecognizer(spec, config_path)
