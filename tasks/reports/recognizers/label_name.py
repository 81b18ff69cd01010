"""Person names after a field label or a role ("Nom :", "Patient :", "Validé par", "cc:")."""

from __future__ import annotations

import re
from pathlib import Path

from tasks.reports.config import RecognizerSpec, data_path
from tasks.reports.names import read_lower_name, read_name
from tasks.reports.recognizers.base import Analysis, Identified, identify
from tasks.reports.recognizers.title_name import title_pattern
from tasks.reports.spans import Candidate
from tasks.reports.vocab import is_report_word

TITLES_FILE = "gazetteers/titles.yaml"


class LabelNameRecognizer(Identified):
    needs_doc = False

    def __init__(self, spec: RecognizerSpec, config_path: Path) -> None:
        identify(self, spec, "PERSON")
        flags = re.IGNORECASE if spec.ignore_case else 0
        labels = spec.labels if isinstance(spec.labels, list) else []
        self.rules = [(re.compile(rf"(?<![\w]){p}", flags), 1) for p in labels]
        self.rules += [(re.compile(rf"(?<![\w]){p}", flags), 2) for p in spec.labels_two_words]
        self.rules += [(re.compile(rf"(?<![\w]){p}", flags), 1) for p in spec.labels_next_line]
        self.person = [re.compile(p, flags) for p in spec.labels_person]
        self.roles = [re.compile(rf"{p}$", flags) for p in spec.labels_role]
        titles_spec = spec.model_copy(update={"file": TITLES_FILE})
        self.titles = title_pattern(data_path(titles_spec, config_path))

    def find(self, analysis: Analysis) -> list[Candidate]:
        text = analysis.text
        found = []
        for pattern, min_words in self.rules:
            for match in pattern.finditer(text):
                position = match.end()
                # (a key/value table: "| Radiologue | Droit |", the value is the next cell)
                while position < len(text) and text[position] in " \t:|":
                    position += 1
                title = self.titles.match(text, position)
                if title is not None and text.startswith("-", title.end()):
                    title = None  # "M.-C. Chauve": the initials of a compound given name
                if title is not None:
                    position = title.end()
                # a field label ("Nom : MASSE") or a title is strong enough for a surname that
                # is also a report word
                field = ":" in text[match.start() : position] or title is not None
                person = title is not None or any(p.match(match.group()) for p in self.person)
                span = read_name(
                    text, position, after_title=field or person, ordinary_surname=person
                )
                if span is not None and min_words > 1 and not _enough(text[span[0] : span[1]]):
                    span = None
                if span is not None and title is None and _acronym(text[span[0] : span[1]]):
                    span = None  # "Patient COVID positif"
                if span is None:
                    # "patiente émilie petit", "adressé par le dr lebeau", "wife ann lowe",
                    # "vu avec gwenaëlle ploudalmézeau": lower-case names need two words
                    # a title or a person field ("nom : le gall") is as strong as a title
                    strong_label = title is not None or (field and person)
                    strong_label = strong_label or any(r.match(match.group()) for r in self.roles)
                    span = read_lower_name(text, position, strong_label, language=analysis.language)
                if span is not None:
                    strong = field or person
                    found.append(
                        Candidate(span[0], span[1], self.label, self.priority, strong=strong)
                    )
        return found


def _acronym(name: str) -> bool:
    """One upper-case word of report vocabulary ("COVID", "HTA")."""
    return " " not in name and name.isupper() and is_report_word(name)


def _enough(name: str) -> bool:
    """After a generic word ("par", "by"): two name words, or one upper-case surname of four
    letters or more (shorter ones are mostly acronyms: "by SRU criteria")."""
    words = name.split()
    return len(words) >= 2 or (len(words[0]) >= 4 and words[0].isupper())


def build(spec: RecognizerSpec, config_path: Path) -> LabelNameRecognizer:
    return LabelNameRecognizer(spec, config_path)
