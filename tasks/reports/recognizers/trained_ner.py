"""The project's own NER, trained on synthetic reports in many styles (``training/``),
shipped inside the package (``data/model/<name>``, CNN tok2vec, no vectors).

It reads the whole text; its answers are weak (they yield to protected medical terms and
allow-listed phrases) and are unioned with the rules'. Entities made only of report
vocabulary or function words are dropped.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from tasks.reports.config import InvalidRecognizerConfig, RecognizerSpec, data_path
from tasks.reports.lexicon import is_french_word, never_a_name
from tasks.reports.recognizers.base import Analysis, identify
from tasks.reports.spans import Candidate, trim

WORD = re.compile(r"[^\W\d_]{2,}")


@functools.cache
def load_model(path: Path) -> Any:
    import spacy

    return spacy.load(path)


class TrainedNerRecognizer:
    needs_doc = False
    statistical = True  # off with the profile's statistical_ner: false

    def __init__(self, spec: RecognizerSpec, config_path: Path) -> None:
        identify(self, spec, "PERSON")
        self.path = data_path(spec, config_path)
        if not (self.path / "meta.json").is_file():
            raise InvalidRecognizerConfig(f"recognizer {spec.name}.file: not a spaCy pipeline")

    def find(self, analysis: Analysis) -> list[Candidate]:
        text = analysis.text
        doc = load_model(self.path)(text)
        found = []
        for ent in doc.ents:
            if ent.label_ != self.label:
                continue
            start, end = trim(text, ent.start_char, ent.end_char)
            words = WORD.findall(text[start:end])
            if start >= end or not words or not _plausible(words):
                continue
            found.append(Candidate(start, end, self.label, self.priority, weak=True))
        return found


def _plausible(words: list[str]) -> bool:
    """At most five words, not all function words or report vocabulary; in lower case, one
    word outside the French dictionary ("gaëtan roussillon", not "lésion focale")."""
    if len(words) > 5 or all(never_a_name(w) for w in words):
        return False
    if any(w[0].isupper() for w in words):
        return True
    return any(not is_french_word(w) and not never_a_name(w) for w in words)


def build(spec: RecognizerSpec, config_path: Path) -> TrainedNerRecognizer:
    return TrainedNerRecognizer(spec, config_path)
