"""What every recognizer offers the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from tasks.reports.config import RecognizerSpec
from tasks.reports.spans import Candidate


@dataclass
class Analysis:
    """One text being analysed: the text, its language, and the spaCy Doc when one exists."""

    text: str
    language: str
    doc: Any = None  # spacy.tokens.Doc (tokenizer always; NER only for languages with a model)
    make_doc: Any = None  # the pipeline's tokenizer, for building matcher patterns
    # the statistical pipeline's Docs over some lines of the text: (offset of the line, Doc)
    ner_docs: list[tuple[int, Any]] = field(default_factory=list)
    # characters the rules already found (1), for recognizers that run after them
    covered: bytearray | None = None
    # ranges a recognizer proved are no identifying value (the header row of a table):
    # weaker answers inside them are dropped
    not_identifying: list[tuple[int, int]] = field(default_factory=list)


class Identified:
    """The attributes every recognizer takes from its YAML entry (set by ``identify``)."""

    name: str
    languages: frozenset[str]
    label: str
    priority: int


def identify(recognizer: Identified, spec: RecognizerSpec, default_label: str) -> None:
    """The attributes every recognizer takes from its spec (name, languages, label,
    priority); ``default_label`` applies when the YAML entry names none."""
    recognizer.name = spec.name
    recognizer.languages = frozenset(spec.languages)
    recognizer.label = spec.label or default_label
    recognizer.priority = spec.priority


class Recognizer(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def languages(self) -> frozenset[str]: ...
    # False: plain text is enough; "tokens": a tokenized Doc; "ner": the statistical pipeline
    @property
    def needs_doc(self) -> bool | str: ...

    def find(self, analysis: Analysis) -> list[Candidate]: ...
