"""One module per recognizer type; ``build(spec)`` makes a recognizer from its YAML entry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tasks.reports.config import DEFAULT_CONFIG, RecognizerSpec, RecognizerType
from tasks.reports.recognizers import (
    device,
    dicom_dump,
    first_name,
    gazetteer,
    hl7_segments,
    label_name,
    name_line,
    pattern,
    postcode_city,
    spacy_ner,
    table_columns,
    title_name,
    trained_ner,
)
from tasks.reports.recognizers.base import Recognizer

# recognizer type (the YAML ``type``) -> the function that builds it from its entry. Every
# module is cheap to import (~25 ms for all ten): models and data load on first use.
BUILDERS: dict[RecognizerType, Callable[[RecognizerSpec, Path], Recognizer]] = {
    "pattern": pattern.build,
    "gazetteer": gazetteer.build,
    "postcode_city": postcode_city.build,
    "device": device.build,
    "title_name": title_name.build,
    "label_name": label_name.build,
    "name_line": name_line.build,
    "spacy_ner": spacy_ner.build,
    "first_name": first_name.build,
    "trained_ner": trained_ner.build,
    "table_columns": table_columns.build,
    "dicom_dump": dicom_dump.build,
    "hl7_segments": hl7_segments.build,
}


def build(spec: RecognizerSpec, config_path: Path = DEFAULT_CONFIG) -> Recognizer:
    return BUILDERS[spec.type](spec, config_path)
