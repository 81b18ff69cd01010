"""Load and validate the recognizer configuration (YAML) and the data files it names.

Errors name the file and the field (never a text being analysed). Loaded once per process
per path (``load_config`` is cached).
"""

from __future__ import annotations

import csv
import functools
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tasks.config.errors import ClearanceError, describe_validation_error
from tasks.reports.spans import LABELS

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_CONFIG = DATA_DIR / "recognizers.yaml"
FRAGMENT = re.compile(r"<<([a-z_0-9]+)>>")
Language = Literal["fr", "en"]
RecognizerType = Literal[
    "pattern",
    "gazetteer",
    "postcode_city",
    "device",
    "title_name",
    "label_name",
    "name_line",
    "spacy_ner",
    "first_name",
    "table_columns",
    "dicom_dump",
    "hl7_segments",
    "trained_ner",
]


class InvalidRecognizerConfig(ClearanceError):
    pass


class RecognizerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: RecognizerType
    label: str | None = None
    languages: list[Language] = ["fr", "en"]
    priority: int = Field(default=50, ge=0, le=100)
    enabled: bool = True
    weak: bool = False  # weak answers yield to allow-listed medical phrases (eponyms)
    # strong answers rest on their context (a postcode, a label): kept on upper-case lines
    strong: bool = False
    patterns: list[str] = []
    ignore_case: bool = False
    validator: str | None = None
    group: str | None = None  # named group holding the value (default: the whole match)
    file: str | None = None  # data file (or model folder), relative to the config's folder
    column: str | None = None  # CSV column of a gazetteer
    case_sensitive: bool = True
    city_label: str | None = None
    labels: list[str] | dict[str, str] = []
    labels_two_words: list[str] = []
    labels_next_line: list[str] = []
    # label_name: labels that name a person ("Patiente", "Nom :", "épouse"): after them a
    # capitalised ordinary word is a surname ("Patiente Gauche") and lower-case names are read
    labels_person: list[str] = []
    # label_name: care roles ("par la manipulatrice", "technologist"): a lower-case word
    # after them is read as after a title ("par la manipulatrice martin")
    labels_role: list[str] = []
    context_before: dict[str, str] = {}  # spacy_ner: label -> words required just before


class RecognizerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fragments: dict[str, str] = {}
    recognizers: list[RecognizerSpec]


@functools.cache
def load_config(path: Path = DEFAULT_CONFIG) -> RecognizerConfig:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidRecognizerConfig(
            f"recognizer config {path} cannot be read ({type(error).__name__})"
        ) from None
    try:
        config = RecognizerConfig.model_validate(raw)
    except ValidationError as error:
        raise InvalidRecognizerConfig(
            describe_validation_error(f"recognizer config {path}", error)
        ) from None
    names = set()
    for index, spec in enumerate(config.recognizers):
        where = f"recognizer config {path}: recognizers[{index}] ({spec.name})"
        if spec.name in names:
            raise InvalidRecognizerConfig(f"{where}.name: duplicate name")
        names.add(spec.name)
        for field_name, value in (("label", spec.label), ("city_label", spec.city_label)):
            if value is not None and value not in LABELS:
                raise InvalidRecognizerConfig(f"{where}.{field_name}: unknown label {value!r}")
        if spec.type != "spacy_ner" and spec.label is None:
            raise InvalidRecognizerConfig(f"{where}.label: required for type {spec.type}")
        if spec.file is not None and not (path.parent / spec.file).exists():
            raise InvalidRecognizerConfig(f"{where}.file: {spec.file} does not exist")
        spec.patterns = [
            _expand(p, config.fragments, f"{where}.patterns[{i}]")
            for i, p in enumerate(spec.patterns)
        ]
        if isinstance(spec.labels, list):
            spec.labels = [
                _expand(p, config.fragments, f"{where}.labels[{i}]")
                for i, p in enumerate(spec.labels)
            ]
        spec.context_before = {
            k: _expand(v, config.fragments, f"{where}.context_before.{k}")
            for k, v in spec.context_before.items()
        }
        for field_name in LABEL_LISTS:
            expanded = [
                _expand(p, config.fragments, f"{where}.{field_name}[{i}]")
                for i, p in enumerate(getattr(spec, field_name))
            ]
            setattr(spec, field_name, expanded)
    return config


# label_name's lists of label patterns, expanded like ``patterns``
LABEL_LISTS = ("labels_two_words", "labels_person", "labels_next_line", "labels_role")


def _expand(pattern: str, fragments: dict[str, str], where: str) -> str:
    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in fragments:
            raise InvalidRecognizerConfig(f"{where}: unknown fragment <<{name}>>")
        return fragments[name]

    expanded = single_line(FRAGMENT.sub(substitute, pattern))
    try:
        re.compile(expanded)
    except re.error as error:
        raise InvalidRecognizerConfig(
            f"{where}: invalid regular expression ({error.msg})"
        ) from None
    return expanded


def single_line(pattern: str) -> str:
    r"""Make ``\s`` mean a blank (space or tab): a span never runs across a line break.

    A line break inside a pattern must be written ``\n``.
    """
    out = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            pair = pattern[index : index + 2]
            if pair == "\\s":
                out.append(" \\t" if in_class else "[ \\t]")
            else:
                out.append(pair)
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        index += 1
    return "".join(out)


def data_path(spec: RecognizerSpec, config_path: Path = DEFAULT_CONFIG) -> Path:
    if spec.file is None:
        raise InvalidRecognizerConfig(f"recognizer {spec.name}: field 'file' is required")
    return Path(config_path).parent / spec.file


def read_lines(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a text data file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def read_column(path: Path, column: str | None) -> list[str]:
    """Values of one column of a CSV data file (comment lines starting with # skipped)."""
    if column is None:
        return read_lines(path)
    rows = [
        line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    ]
    reader = csv.DictReader(rows)
    if reader.fieldnames is None or column not in reader.fieldnames:
        raise InvalidRecognizerConfig(f"gazetteer {path}: column '{column}' is missing")
    return [row[column].strip() for row in reader if row[column] and row[column].strip()]


def read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidRecognizerConfig(
            f"data file {path} cannot be read ({type(error).__name__})"
        ) from None
    if not isinstance(data, dict):
        raise InvalidRecognizerConfig(f"data file {path} must be a YAML mapping")
    return data
