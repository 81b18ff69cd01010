"""Every recognizer type the YAML schema accepts has a builder, and each builds its kind."""

from __future__ import annotations

from typing import get_args

from tasks.reports.config import DEFAULT_CONFIG, RecognizerType, load_config
from tasks.reports.recognizers import BUILDERS, build


def test_every_type_of_the_schema_has_a_builder() -> None:
    assert set(BUILDERS) == set(get_args(RecognizerType))


def test_the_shipped_configuration_builds_one_recognizer_per_entry() -> None:
    specs = load_config(DEFAULT_CONFIG).recognizers
    assert specs
    for spec in specs:
        recognizer = build(spec)
        assert recognizer.name == spec.name
        assert recognizer.languages == frozenset(spec.languages)
        assert type(recognizer).__module__ == f"tasks.reports.recognizers.{spec.type}"
