"""Gazetteer recognizer: a list of names (data file) matched on token boundaries with spaCy's
PhraseMatcher (case-sensitive on ORTH, or on LOWER)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tasks.reports.config import RecognizerSpec, data_path, read_column
from tasks.reports.recognizers.base import Analysis, Identified, identify
from tasks.reports.spans import Candidate


class GazetteerRecognizer(Identified):
    needs_doc = "tokens"

    def __init__(self, spec: RecognizerSpec, config_path: Path) -> None:
        identify(self, spec, "")
        self.attr = "ORTH" if spec.case_sensitive else "LOWER"
        self.entries = read_column(data_path(spec, config_path), spec.column)
        self._matchers: dict[int, Any] = {}

    def _matcher(self, nlp_vocab: Any, make_doc: Any) -> Any:
        key = id(nlp_vocab)
        if key not in self._matchers:
            from spacy.matcher import PhraseMatcher

            matcher = PhraseMatcher(nlp_vocab, attr=self.attr)
            matcher.add(self.name, [make_doc(entry) for entry in self.entries])
            self._matchers[key] = matcher
        return self._matchers[key]

    def find(self, analysis: Analysis) -> list[Candidate]:
        doc = analysis.doc
        matcher = self._matcher(doc.vocab, analysis.make_doc)
        found = []
        for _, start, end in matcher(doc):
            span = doc[start:end]
            found.append(
                Candidate(span.start_char, span.end_char, self.label, self.priority, weak=True)
            )
        return found


def build(spec: RecognizerSpec, config_path: Path) -> GazetteerRecognizer:
    return GazetteerRecognizer(spec, config_path)
