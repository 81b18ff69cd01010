"""Imaging devices: a make and/or a model family (gazetteer) plus the model tokens after it."""

from __future__ import annotations

import re
from pathlib import Path

from tasks.reports.config import InvalidRecognizerConfig, RecognizerSpec, data_path, read_yaml
from tasks.reports.recognizers.base import Analysis, Identified, identify
from tasks.reports.spans import Candidate, trim

# a model token: starts with a capital or a digit ("Aquilion", "ONE", "E10", "DX-D", "600",
# "go.Top" after a make), inner dots allowed, never a sentence's final period
MODEL_TOKEN = r"(?:[A-Z0-9]|[a-z]{1,3}(?=[A-Z0-9.]))(?:[\w+/-]|\.(?=\w))*"
STOP_TOKENS = {"Conclusion", "CONCLUSION", "Technique", "DLP", "PDL", "CTDIvol", "Impression"}


class DeviceRecognizer(Identified):
    needs_doc = False

    def __init__(self, spec: RecognizerSpec, config_path: Path) -> None:
        identify(self, spec, "DEVICE")
        path = data_path(spec, config_path)
        data = read_yaml(path)
        lists = {}
        for key in ("makes", "families"):
            values = data.get(key)
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise InvalidRecognizerConfig(f"device gazetteer {path}: '{key}' must be a list")
            lists[key] = sorted(values, key=len, reverse=True)
        makes = "|".join(re.escape(m) for m in lists["makes"])
        families = "|".join(re.escape(f) for f in lists["families"])
        model = rf"(?:[ \t]+{MODEL_TOKEN}){{0,4}}"
        self.pattern = re.compile(
            rf"(?<![\w-])(?:(?:{makes})(?:[ \t]+(?:{families}))?{model}|(?:{families}){model})"
            rf"(?![\w])"
        )

    def find(self, analysis: Analysis) -> list[Candidate]:
        text = analysis.text
        found = []
        for match in self.pattern.finditer(text):
            start, end = match.span()
            words = text[start:end].split()
            while len(words) > 1 and words[-1] in STOP_TOKENS:
                end = text.rfind(words.pop(), start, end)
            start, end = trim(text, start, end)
            if start < end:
                found.append(Candidate(start, end, self.label, self.priority))
        return found


def build(spec: RecognizerSpec, config_path: Path) -> DeviceRecognizer:
    return DeviceRecognizer(spec, config_path)
