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
# a serial number after the model: "SN 74512", "s/n 2AB1944", "n° série 1MR4582"
SERIAL = re.compile(
    r"[ \t]*,?[ \t]*\(?(?i:sn|s/n|s\.n\.|n°[ \t]*(?:de[ \t]+)?s[ée]rie|"
    r"num[ée]ro[ \t]+de[ \t]+s[ée]rie|serial(?:[ \t]+(?:no\.?|number|#))?|#)"
    r"[ \t]*:?[ \t]*[\w/-]*[0-9][\w/-]*\)?"
)
# any-case text ("siemens somatom force sn 74512", "CANON AQUILION ONE S/N 2AB1944"): the
# tokens after a make, cut at the first function word or report word
LOOSE_TOKEN = re.compile(r"[ \t]+([\w+/.-]*\w)")
MAX_LOOSE_TOKENS = 4


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
        self.any_case = re.compile(rf"(?<![\w-])(?i:{makes}|{families})(?![\w-])")

    def find(self, analysis: Analysis) -> list[Candidate]:
        text = analysis.text
        found = []
        for match in self.pattern.finditer(text):
            start, end = match.span()
            words = text[start:end].split()
            while len(words) > 1 and words[-1] in STOP_TOKENS:
                end = text.rfind(words.pop(), start, end)
            serial = SERIAL.match(text, end)
            if serial:
                end = serial.end()
            start, end = trim(text, start, end)
            if start < end:
                found.append(Candidate(start, end, self.label, self.priority))
        found.extend(self._any_case(text, found))
        return found

    def _any_case(self, text: str, found: list[Candidate]) -> list[Candidate]:
        """Makes written in lower or upper case, with the model tokens and serial after."""
        from tasks.reports.lexicon import function_words, is_dictionary_word
        from tasks.reports.vocab import is_report_word

        extra = []
        for match in self.any_case.finditer(text):
            start, end = match.span()
            if any(c.start <= start < c.end for c in found):
                continue
            make = match.group().lower()
            tokens, has_digit = 0, False
            while tokens < MAX_LOOSE_TOKENS:
                serial = SERIAL.match(text, end)
                if serial:
                    end, has_digit = serial.end(), True
                    break
                token = LOOSE_TOKEN.match(text, end)
                if token is None:
                    break
                word = token.group(1).lower()
                if word in function_words() or (
                    is_report_word(word) and not any(ch.isdigit() for ch in word)
                ):
                    serial = SERIAL.match(text, token.end())
                    if serial:  # "Aquilion ONE S/N 2AB1944"
                        end, has_digit = serial.end(), True
                    break
                end, tokens = token.end(), tokens + 1
                has_digit = has_digit or any(ch.isdigit() for ch in word)
            ordinary = is_dictionary_word(make, "en") or is_dictionary_word(make, "fr")
            if ordinary and not has_digit:
                continue
            extra.append(Candidate(start, end, self.label, self.priority))
        return extra


def build(spec: RecognizerSpec, config_path: Path) -> DeviceRecognizer:
    return DeviceRecognizer(spec, config_path)
