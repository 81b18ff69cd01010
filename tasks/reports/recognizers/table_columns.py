"""Cells of delimited exports, labelled by their column's header.

A RIS worklist pasted into a report, a CSV or a pipe table says what each column holds in
its header row ("nom;prenom;ddn;ipp;ville"). A header row is a line of three cells or
more, split by one delimiter (``|``, ``;``, tab or ``,``), made of short words, of which at
least two name a known column (`data/gazetteers/table_columns.yaml`). Every following line
split into the same number of cells is a row (a header needs at least one); its cells
under an identifying column are candidates with that column's label, found whatever
their case or spelling ("mac mahon", "tbras", "534 406 692"). Cells of other columns
are left to the other recognizers.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

import yaml

from tasks.reports.config import RecognizerSpec
from tasks.reports.recognizers.base import Analysis, Identified, identify
from tasks.reports.spans import Candidate

DELIMITERS = ("|", ";", "\t", ",")
LINE = re.compile(r"^.*$", re.MULTILINE)
SEPARATOR_ROW = re.compile(r"^[\s|:+-]*-{3,}[\s|:+-]*$")
DIGIT = re.compile(r"[0-9]")
LETTER = re.compile(r"[^\W\d_]")
TITLE = re.compile(
    r"^(?:(?:Dr|Pr|Prof|Docteur|Professeur|M|Mme|Mlle|Madame|Monsieur|Mr|Mrs|Ms|Miss)\.?\s+)+",
    re.IGNORECASE,
)
EMPTY_VALUES = frozenset({"", "-", "--", "na", "n/a", "nc", "inconnu", "unknown", "none", "?"})
# labels whose cells must hold a digit (a name column holding "Morris" is no ID)
NUMERIC_LABELS = frozenset({"DATE", "ID", "NIR", "PHONE", "AGE", "POSTCODE"})
# a header part that makes a word column describe the exam, not a person or a place
# ("nom_examen", "exam_name", "type_appareil" hold no identifying value)
DESCRIPTIVE_PARTS = frozenset(
    "examen exam exams study etude procedure acte actes protocole protocol libelle description "
    "modalite modality type code_acte resultat result conclusion heure time duree statut "
    "status service unite unit salle room lit bed sexe sex".split()
)
WORD_LABELS = frozenset({"PERSON", "ESTABLISHMENT", "DEVICE", "CITY", "ADDRESS"})
MAX_HEADER_WORDS = 3
SENTENCE = re.compile(r"[.!?]\s")


def fold_header(cell: str) -> str:
    """ "Date de naissance" -> "date_de_naissance"; "N° IPP" -> "n_ipp"."""
    decomposed = unicodedata.normalize("NFKD", cell.strip().strip("\"'").lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


@functools.cache
def column_labels(path: Path) -> dict[str, str]:
    """Folded header -> label, from the YAML file (label -> headers)."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    return {fold_header(header): label for label, headers in data.items() for header in headers}


def label_of(header: str, known: dict[str, str]) -> str | None:
    folded = fold_header(header)
    if not folded or DIGIT.search(folded):
        return None
    if folded in known:
        return known[folded]
    parts = folded.split("_")
    descriptive = any(part in DESCRIPTIVE_PARTS for part in parts)
    for part in parts:
        label = known.get(part)
        if label is not None and not (descriptive and label in WORD_LABELS):
            return label
    return None


def split_cells(text: str, start: int, end: int, delimiter: str) -> list[tuple[int, int]]:
    """(start, end) of each cell of ``text[start:end]``, quotes honoured for commas and
    semicolons; the outer pipes of a Markdown row do not open empty cells."""
    cells: list[tuple[int, int]] = []
    cell_start = start
    quoted = False
    for index in range(start, end):
        char = text[index]
        if char == '"' and delimiter != "|":
            quoted = not quoted
        elif char == delimiter and not quoted:
            cells.append((cell_start, index))
            cell_start = index + 1
    cells.append((cell_start, end))
    if delimiter == "|" and len(cells) > 2:
        first, last = cells[0], cells[-1]
        if not text[first[0] : first[1]].strip() and not text[last[0] : last[1]].strip():
            cells = cells[1:-1]
    return cells


def cell_value(text: str, start: int, end: int) -> tuple[int, int]:
    """The cell's value without blanks, quotes and a leading title."""
    while start < end and text[start] in " \t\"'":
        start += 1
    while end > start and text[end - 1] in " \t\"'\r":
        end -= 1
    title = TITLE.match(text, start, end)
    if title and title.end() < end:
        start = title.end()
    return start, end


def header_labels(
    text: str, start: int, end: int, known: dict[str, str]
) -> tuple[str, list[str | None]] | None:
    """(delimiter, labels per column) when the line is a header row, else None."""
    line = text[start:end]
    for delimiter in DELIMITERS:
        if line.count(delimiter) < 2:
            continue
        cells = split_cells(text, start, end, delimiter)
        values = [text[a:b].strip().strip("\"'") for a, b in cells]
        if len(values) < 3 or any(
            len(v.split()) > MAX_HEADER_WORDS or SENTENCE.search(v) for v in values
        ):
            continue
        if sum(1 for v in values if DIGIT.search(v)) > len(values) // 5:
            continue
        labels = [label_of(v, known) for v in values]
        if sum(1 for label in labels if label) >= 2:
            return delimiter, labels
    return None


def accepts(label: str, value: str) -> bool:
    if value.lower() in EMPTY_VALUES or not LETTER.search(value) and not DIGIT.search(value):
        return False
    if label in NUMERIC_LABELS:
        return DIGIT.search(value) is not None
    return LETTER.search(value) is not None and len(value.split()) <= 8


class TableColumnsRecognizer(Identified):
    needs_doc = False

    def __init__(self, spec: RecognizerSpec, config_path: Path) -> None:
        identify(self, spec, "PERSON")
        self.known = column_labels(config_path.parent / (spec.file or ""))

    def find(self, analysis: Analysis) -> list[Candidate]:
        text = analysis.text
        lines = [(m.start(), m.end()) for m in LINE.finditer(text)]
        found: list[Candidate] = []
        index = 0
        while index < len(lines):
            header = header_labels(text, *lines[index], self.known)
            if header is None:
                index += 1
                continue
            delimiter, labels = header
            following = lines[index + 1] if index + 1 < len(lines) else None
            if following is None or len(split_cells(text, *following, delimiter)) != len(labels):
                index += 1  # a header row is followed by a row of as many cells
                continue
            analysis.not_identifying.extend(
                cell_value(text, *cell) for cell in split_cells(text, *lines[index], delimiter)
            )
            index += 1
            while index < len(lines):
                start, end = lines[index]
                if SEPARATOR_ROW.match(text, start, end) and text[start:end].strip():
                    index += 1
                    continue
                cells = split_cells(text, start, end, delimiter)
                if len(cells) != len(labels):
                    break
                for (cell_start, cell_end), label in zip(cells, labels, strict=True):
                    if label is None:
                        continue
                    value_start, value_end = cell_value(text, cell_start, cell_end)
                    if value_start < value_end and accepts(label, text[value_start:value_end]):
                        found.append(
                            Candidate(value_start, value_end, label, self.priority, strong=True)
                        )
                index += 1
        return found


def build(spec: RecognizerSpec, config_path: Path) -> TableColumnsRecognizer:
    return TableColumnsRecognizer(spec, config_path)
