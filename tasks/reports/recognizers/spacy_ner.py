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
    r"(?:(?:M\.|Mme|Mlle|Dr\.?|Pr\.?|Docteur|Professeur|Monsieur|Madame|Mr\.?|Mrs\.?|Ms\.?)\s+)+"
)


class SpacyNerRecognizer:
    needs_doc = "ner"

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
        self.context = {
            label: re.compile(rf"(?:{regex})[ \t]*$", re.IGNORECASE)
            for label, regex in spec.context_before.items()
        }

    def find(self, analysis: Analysis) -> list[Candidate]:
        text = analysis.text
        found = []
        for offset, doc in analysis.ner_docs:
            for ent in doc.ents:
                label = self.mapping.get(ent.label_)
                if label is None:
                    continue
                start, end = offset + ent.start_char, offset + ent.end_char
                title = LEADING_TITLE.match(text, start, end)
                if title is not None:
                    start = title.end()
                context = self.context.get(ent.label_)
                if context is not None and not context.search(text, max(0, start - 40), start):
                    continue
                for piece_start, piece_end in _lines(text, start, end):
                    piece_start = _skip_leading_vocabulary(text, piece_start, piece_end)
                    if label == "PERSON" and _sentence_opening_word(text, piece_start, piece_end):
                        continue
                    if text[piece_start:piece_end] == text.strip() and " " not in text.strip():
                        continue  # a one-word text (a CSV cell): the model has no context
                    if _looks_like_a_name(text[piece_start:piece_end]):
                        found.append(
                            Candidate(piece_start, piece_end, label, self.priority, weak=True)
                        )
        return found


LEADING_WORD = re.compile(r"([\wÀ-ÿ'’-]+)[ \t]+")
SENTENCE_BEFORE = re.compile(r"(?:^|[.!?:;][ \t]+)[ \t]*$", re.MULTILINE)
LOWER_AFTER = re.compile(r"[ \t]+[a-zà-öø-ÿ]")


def _skip_leading_vocabulary(text: str, start: int, end: int) -> int:
    """ "Score de Kellgren-Lawrence" -> "Kellgren-Lawrence": report words and particles that
    open an entity are not part of the name."""
    while True:
        word = LEADING_WORD.match(text, start, end)
        if word is None:
            return start
        value = word.group(1)
        if not (is_report_word(value) or value.lower() in PARTICLES):
            return start
        start = word.end()


def _sentence_opening_word(text: str, start: int, end: int) -> bool:
    """One word opening a sentence and followed by lower-case prose ("Clip mis en place"):
    sentence case, not a name."""
    if len(text[start:end].split()) != 1:
        return False
    return bool(SENTENCE_BEFORE.search(text, max(0, start - 3), start)) and bool(
        LOWER_AFTER.match(text, end)
    )


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces = []
    for match in re.finditer(r"[^\n]+", text[start:end]):
        piece = trim(text, start + match.start(), start + match.end())
        if piece[0] < piece[1]:
            pieces.append(piece)
    return pieces


def _looks_like_a_name(value: str) -> bool:
    """Capitalised words, no digits, at least one word that is not report vocabulary and is
    not a short upper-case abbreviation (VG, L5, N)."""
    words = WORD.findall(value)
    if not words or any(char.isdigit() for char in value):
        return False
    proper = [w for w in words if w[0].isupper() and not is_report_word(w)]
    if not proper or all(len(w) <= 3 and w.isupper() for w in proper):
        return False
    lower = [w for w in words if not w[0].isupper()]
    return all(w.lower() in PARTICLES for w in lower)


PARTICLES = {
    "de",
    "du",
    "des",
    "la",
    "le",
    "les",
    "d'",
    "l'",
    "van",
    "von",
    "der",
    "sur",
    "en",
    "et",
    "lès",
    "lez",
    "sous",
    "aux",
    "au",
}


def build(spec: RecognizerSpec, config_path: Path) -> SpacyNerRecognizer:
    return SpacyNerRecognizer(spec)
