"""The shipped NER (tasks/reports/data/model/fr_person), real spaCy: it loads from the
package, finds names the rules miss, and leaves medical prose alone."""

from __future__ import annotations

from tasks.reports.api import analyze
from tasks.reports.config import DEFAULT_CONFIG, load_config
from tasks.reports.recognizers import build
from tasks.reports.recognizers.base import Analysis


def trained_recognizer():
    spec = next(s for s in load_config(DEFAULT_CONFIG).recognizers if s.type == "trained_ner")
    return build(spec, DEFAULT_CONFIG)


def found(text: str) -> list[str]:
    candidates = trained_recognizer().find(Analysis(text=text, language="fr"))
    return [text[c.start : c.end] for c in candidates]


def test_model_finds_a_lower_case_name_without_any_cue_the_rules_use():
    text = "scanner pour ewen le dantec douleur thoracique"
    assert "ewen le dantec" in found(text)
    rules_only = analyze(text, language="fr", statistical_ner=False)
    assert not rules_only
    assert any(text[s.start : s.end] == "ewen le dantec" for s in analyze(text, language="fr"))


def test_model_leaves_medical_prose_and_one_word_cells_alone():
    prose = (
        "Lésion focale hypodense du segment VI. Arthro-IRM de l'épaule selon le protocole. "
        "Pas d'épanchement pleural. Classification T2 N1 M0."
    )
    assert found(prose) == []
    assert found("Hépatocarcinome") == []
