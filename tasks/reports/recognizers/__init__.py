"""One module per recognizer type; ``build(spec)`` makes a recognizer from its YAML entry."""

from __future__ import annotations

import importlib
from pathlib import Path

from tasks.reports.config import DEFAULT_CONFIG, RecognizerSpec
from tasks.reports.recognizers.base import Recognizer

MODULES = {
    "pattern": "tasks.reports.recognizers.pattern",
    "gazetteer": "tasks.reports.recognizers.gazetteer",
    "postcode_city": "tasks.reports.recognizers.postcode_city",
    "device": "tasks.reports.recognizers.device",
    "title_name": "tasks.reports.recognizers.title_name",
    "label_name": "tasks.reports.recognizers.label_name",
    "name_line": "tasks.reports.recognizers.name_line",
    "spacy_ner": "tasks.reports.recognizers.spacy_ner",
    "first_name": "tasks.reports.recognizers.first_name",
    "trained_ner": "tasks.reports.recognizers.trained_ner",
}


def build(spec: RecognizerSpec, config_path: Path = DEFAULT_CONFIG) -> Recognizer:
    module = importlib.import_module(MODULES[spec.type])
    return module.build(spec, config_path)
