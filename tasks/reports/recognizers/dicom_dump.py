"""Values of a DICOM header pasted as text, labelled by their attribute.

A dump pasted into a report or a ticket names each attribute by its tag, and often by its
keyword: dcmdump's ``(0010,0010) PN [DUPONT^JEAN]``, pydicom's ``(0010,0010) Patient's Name
PN: 'DUPONT^JEAN'``, or ``PatientID: 4471209``. The attribute says what the value is,
whatever its form: every attribute the confidentiality profile (PS3.15 Table E.1-1, the
header stage's own table) removes, empties or replaces is a candidate, labelled by its value
representation (PN a person, DA/DT a date, AS an age, others an identifier). Free-text
descriptions (the profile's "clean descriptors" attributes) are left to the other
recognizers, which find the names inside them.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from tasks.reports.config import RecognizerSpec, data_path
from tasks.reports.recognizers.base import Analysis, Identified, identify
from tasks.reports.spans import Candidate, trim

TAG = r"\(?(?P<group>[0-9A-Fa-f]{4}),[ \t]?(?P<element>[0-9A-Fa-f]{4})\)?"
DUMP_LINES = (
    # dcmdump / dcm4che: (0010,0010) PN [DUPONT^JEAN]
    re.compile(rf"{TAG}[ \t]+(?P<vr>[A-Z]{{2}})[ \t]+\[(?P<value>[^\]\n]*)\]"),
    # pydicom: (0010,0010) Patient's Name                      PN: 'DUPONT^JEAN'
    re.compile(
        rf"{TAG}[ \t]+[^\n]*?[ \t](?P<vr>[A-Z]{{2}}):[ \t]*(?P<quote>['\"])(?P<value>[^\n]*?)"
        r"(?P=quote)"
    ),
    # a tag, then a value after "=" or ":": 0010,0020 = 4471209
    re.compile(rf"{TAG}[ \t]*(?:[A-Z]{{2}}[ \t]*)?[:=][ \t]*(?P<value>[^\n]*\S)"),
)
# a keyword at the start of a line: "PatientID: 4471209", "AccessionNumber = A24118273";
# written in CamelCase, so that plain labels ("Date:", "Time:") are left to other recognizers
KEYWORD_LINE = re.compile(
    r"^[ \t]*(?P<keyword>[A-Z][a-z]+[A-Z][A-Za-z]*)[ \t]*[:=][ \t]*(?P<value>[^\n]*\S)",
    re.MULTILINE,
)
LABEL_BY_VR = {"PN": "PERSON", "DA": "DATE", "DT": "DATE", "AS": "AGE"}
KEPT_ACTIONS = frozenset({"K", "C"})


@functools.cache
def identifying_attributes(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(tag "GGGGEEEE" -> label, keyword -> label) of the attributes the profile does not
    keep and that are no free-text description."""
    with open(path, encoding="utf-8") as handle:
        rows = json.load(handle)["rows"]
    by_tag: dict[str, str] = {}
    by_keyword: dict[str, str] = {}
    for row in rows:
        action = row["basic"].split("/")[0]
        if action in KEPT_ACTIONS or "clean_descriptors" in row.get("options", {}):
            continue
        keyword = row.get("keyword") or ""
        label = _label_of(keyword, "")
        by_tag[row["tag"].upper()] = label
        if keyword:
            by_keyword[keyword] = label
    return by_tag, by_keyword


def _label_of(keyword: str, vr: str) -> str:
    if vr in LABEL_BY_VR:
        return LABEL_BY_VR[vr]
    if keyword.endswith(("Name", "Names")) and "Institution" not in keyword:
        return "PERSON"
    if keyword.endswith(("Date", "DateTime")):
        return "DATE"
    if keyword.endswith("Age"):
        return "AGE"
    if "Institution" in keyword:
        return "ESTABLISHMENT"
    if "Address" in keyword:
        return "ADDRESS"
    if "Telephone" in keyword:
        return "PHONE"
    return "ID"


class DicomDumpRecognizer(Identified):
    needs_doc = False

    def __init__(self, spec: RecognizerSpec, config_path: Path) -> None:
        identify(self, spec, "ID")
        self.by_tag, self.by_keyword = identifying_attributes(data_path(spec, config_path))

    def find(self, analysis: Analysis) -> list[Candidate]:
        text = analysis.text
        found: list[Candidate] = []
        taken: set[int] = set()
        for pattern in DUMP_LINES:
            for match in pattern.finditer(text):
                if match.start() in taken:
                    continue
                tag = (match.group("group") + match.group("element")).upper()
                label = self.by_tag.get(tag)
                if label is None:
                    continue
                taken.add(match.start())
                # the attribute's name between the tag and the value ("Patient's Birth Date")
                analysis.not_identifying.append((match.end("element"), match.start("value")))
                vr = match.groupdict().get("vr") or ""
                found.extend(self._value(text, match, LABEL_BY_VR.get(vr, label)))
        for match in KEYWORD_LINE.finditer(text):
            label = self.by_keyword.get(match.group("keyword"))
            if label is not None:
                found.extend(self._value(text, match, label))
        return found

    def _value(self, text: str, match: re.Match[str], label: str) -> list[Candidate]:
        start, end = trim(text, *match.span("value"))
        if start >= end or not any(c.isalnum() for c in text[start:end]):
            return []
        return [Candidate(start, end, label, self.priority, strong=True)]


def build(spec: RecognizerSpec, config_path: Path) -> DicomDumpRecognizer:
    return DicomDumpRecognizer(spec, config_path)
