"""The project's own NER, trained on synthetic reports in many styles (``training/``),
shipped inside the package (``data/model/<name>``, CNN tok2vec, no vectors).

One pipeline per language (``data/recognizers.yaml`` names the folder: ``fr_person`` for
French, ``en_person`` for English). It runs after the rules and reads the lines where a
name may be that the rules have not explained (a word outside the report language's
dictionary and the report vocabulary, outside every rule's span); its answers are weak
(they yield to protected medical terms and allow-listed phrases) and are unioned with the
rules'. Entities made only of report vocabulary or function words are dropped.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from tasks.reports.config import InvalidRecognizerConfig, RecognizerSpec, data_path
from tasks.reports.lexicon import function_words, is_dictionary_word, never_a_name
from tasks.reports.recognizers.base import Analysis, Identified, identify
from tasks.reports.spans import Candidate, trim

WORD = re.compile(r"[^\W\d_]{2,}")


@functools.cache
def load_model(path: Path) -> Any:
    import spacy

    return spacy.load(path)


class TrainedNerRecognizer(Identified):
    needs_doc = False
    statistical = True  # off with the profile's statistical_ner: false
    after_rules = True  # reads only what the rules left

    def __init__(self, spec: RecognizerSpec, config_path: Path) -> None:
        identify(self, spec, "PERSON")
        self.path = data_path(spec, config_path)
        if not (self.path / "meta.json").is_file():
            raise InvalidRecognizerConfig(f"recognizer {spec.name}.file: not a spaCy pipeline")

    def find(self, analysis: Analysis) -> list[Candidate]:
        text = analysis.text
        if " " not in text.strip():
            return []  # a one-word text (a CSV cell): no context
        language = analysis.language
        pieces = _readable_lines(text, analysis.covered, language)
        if not pieces:
            return []
        docs = load_model(self.path).pipe([text[start:end] for start, end in pieces])
        found = []
        for (offset, _), doc in zip(pieces, docs, strict=True):
            for ent in doc.ents:
                if ent.label_ != self.label:
                    continue
                for start, end in _lines(text, offset + ent.start_char, offset + ent.end_char):
                    start, end = _without_function_words(text, start, end)
                    trimmed = _without_ordinary_words(text, start, end, language)
                    if trimmed != (start, end) and _one_lower_word(text[slice(*trimmed)]):
                        continue  # "voies" of "voies biliaires non dilatées"
                    start, end = trimmed
                    if start < end and _plausible(text[start:end].split(), language):
                        found.append(Candidate(start, end, self.label, self.priority, weak=True))
        return found


# a line and the next when it ends with a hyphen-wrapped word
TEXT_LINE = re.compile(r"(?:[^\n]*-\n)*[^\n]+")


def _readable_lines(
    text: str, covered: bytearray | None = None, language: str = "fr"
) -> list[tuple[int, int]]:
    """The lines the model reads: those holding a word outside the dictionary, the
    function words and the report vocabulary (no other line can give an answer that
    ``_plausible`` keeps) that no rule has already found."""
    pieces = []
    for line in TEXT_LINE.finditer(text):
        for word in WORD.finditer(text, line.start(), line.end()):
            if covered is not None and covered[word.start()]:
                continue
            word_text = word.group()
            if not is_dictionary_word(word_text, language) and not never_a_name(word_text):
                pieces.append(line.span())
                break
    return pieces


LINE_BREAK = re.compile(r"(?<!-)[ \t]*\n|[ \t]*[;|\t()][ \t]*")


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The entity cut at line breaks and field separators (a name hyphen-wrapped across a
    line stays whole)."""
    pieces, position = [], start
    for match in LINE_BREAK.finditer(text, start, end):
        pieces.append(trim(text, position, match.start()))
        position = match.end()
    pieces.append(trim(text, position, end))
    return [(s, e) for s, e in pieces if s < e]


EDGE_WORD = re.compile(r"[^\s]+")


def _without_function_words(text: str, start: int, end: int) -> tuple[int, int]:
    """ "selon la", "Arthro-IRM de": function words at the edges are not part of a name."""
    words = list(EDGE_WORD.finditer(text, start, end))
    while words and words[0].group().lower() in function_words():
        words.pop(0)
    while words and words[-1].group().lower() in function_words():
        words.pop()
    return (words[0].start(), words[-1].end()) if words else (start, start)


def _ordinary(token: str, language: str) -> bool:
    """A lower-case word of the dictionary that is not a given name: in a name written in
    lower case the model may have run on into the sentence ("ysoline pellouard numéro")."""
    from tasks.reports.lexicon import is_given_name

    word = token.strip(",.;:")
    return (
        len(word) >= 2
        and word.islower()
        and word not in PARTICLES
        and is_dictionary_word(word, language)
        and not is_given_name(word)
    )


def _without_ordinary_words(text: str, start: int, end: int, language: str) -> tuple[int, int]:
    """Lower-case dictionary words at the edges of three words or more are not part of a
    name ("cholécystite aiguue lithiasique"); two words are left whole ("jordy prunier")."""
    words = list(EDGE_WORD.finditer(text, start, end))
    if len(words) < 3:
        return start, end

    def edge(word: str) -> bool:
        return _ordinary(word, language) or word.lower() in function_words()

    while words and edge(words[0].group()):
        words.pop(0)
    while words and edge(words[-1].group()):
        words.pop()
    return (words[0].start(), words[-1].end()) if words else (start, start)


def _one_lower_word(value: str) -> bool:
    return " " not in value.strip() and value.islower()


PARTICLES = frozenset("de du des d' la le l' van von der den da di del mac o' el al ben".split())


def _plausible(tokens: list[str], language: str = "fr") -> bool:
    """At most five words, written in one case, one of them a possible
    name: letters only (with ' and -), more than three letters when upper case, outside the
    language's dictionary, the function words and the report vocabulary, none of its hyphen
    parts vocabulary ("gaëtan roussillon", "Kervarec"; not "lésion focale", "Arthro-IRM",
    "N1 M0"). Surnames that are ordinary words are left to the title and label rules."""
    if len(tokens) > 5:
        return False
    words = [t for t in tokens if t.strip(",.;:").lower() not in PARTICLES]
    if any(w[:1].isupper() for w in words) and any(w[:1].islower() for w in words):
        return False  # "Lobes thyroïdiens": a name is written in one case
    if language == "en" and any(_english_word(w.strip(",.;:")) for w in words):
        # the English lists miss much medical vocabulary: an answer holding an ordinary
        # word ("Chest X-ray", "midline shift") is a phrase; titled surnames that are
        # words ("Dr Baker") are the rules' job
        return False
    return any(_name_like(token.strip(",.;:"), language) for token in tokens)


# endings of medical words, never of names ("Sternotomy", "Hypermetabolic", "arthrogram")
MEDICAL_ENDING = re.compile(
    r"(?:otomy|ectomy|ostomy|itis|osis|gram|graphy|scopy|plasty|a?emia|pathy|algia|ology"
    r"|ological|metabolic|genic|ectasis|trophy|plegia|ometric|ametric|oscopic|ographic)$",
    re.IGNORECASE,
)


def _english_word(word: str) -> bool:
    parts = [p for p in re.split(r"['’-]", word) if len(p) >= 2]
    return bool(parts) and all(is_dictionary_word(p, "en") for p in parts)


def _name_like(token: str, language: str = "fr") -> bool:
    parts = [p for p in re.split(r"['’-]", token) if p]
    if not parts or not all(p.isalpha() for p in parts):
        return False
    if token.isupper() and len(token) <= 3:
        return False  # an acronym ("RCP", "LCA")
    if language == "en" and MEDICAL_ENDING.search(token):
        return False
    if any(never_a_name(p) for p in parts if len(p) >= 2):
        return False
    return len(token) >= 3 and not is_dictionary_word(token, language)


def build(spec: RecognizerSpec, config_path: Path) -> TrainedNerRecognizer:
    return TrainedNerRecognizer(spec, config_path)
