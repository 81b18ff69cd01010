"""The report engine on the labelled corpus and on targeted cases (real spaCy, no mocks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.reports.api import find_spans
from tasks.reports.config import InvalidRecognizerConfig, load_config
from tasks.reports.evaluation import load_corpus, score
from tasks.reports.language import detect_language
from tasks.reports.spans import LABELS
from tasks.reports.validators import nir_key

CORPUS = Path(__file__).resolve().parents[1] / "data" / "reports" / "corpus.jsonl"


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return load_corpus(CORPUS)


@pytest.fixture(scope="module")
def result(corpus):
    return score(corpus, lambda r: find_spans(r["text"]))


def covered(text: str, value: str, spans) -> bool:
    start = text.index(value)
    end = start + len(value)
    return all(any(s.start <= i < s.end for s in spans) for i in range(start, end))


def test_corpus_size_and_languages(corpus):
    languages = [r["language"] for r in corpus]
    assert languages.count("fr") >= 60
    assert languages.count("en") >= 20
    assert sum(len(r["spans"]) for r in corpus) > 900


def test_recall_overall_and_strong_identifiers(result):
    assert result.recall() >= 0.995, result.misses
    assert result.strong_recall() == 1.0, [
        m for m in result.misses if m[1] in ("PERSON", "NIR", "ID", "PHONE", "EMAIL")
    ]


@pytest.mark.parametrize(
    "label",
    [label for label in LABELS if label not in ("URL", "KNOWN")],  # corpus categories
)
def test_recall_per_category(result, label):
    assert result.gold.get(label, 0) >= 10
    assert result.recall([label]) >= 0.97, [m for m in result.misses if m[1] == label]


def test_precision(result):
    assert result.precision() >= 0.90, result.false_positives[:20]


def test_holdout_templates_generalise(corpus):
    holdout = [r for r in corpus if r["group"] in ("holdout", "blind", "blind2")]
    assert len(holdout) >= 20
    held = score(holdout, lambda r: find_spans(r["text"]))
    assert held.recall() >= 0.98


def test_medical_phrases_survive(corpus):
    for record in corpus:
        spans = find_spans(record["text"])
        for phrase in record["keep"]:
            start = record["text"].index(phrase)
            end = start + len(phrase)
            hit = [s for s in spans if s.start < end and start < s.end]
            assert not hit, (record["id"], phrase)


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("Scanner thoracique. Conclusion : nodule du lobe inférieur gauche de 6 mm.", "Scanner"),
        ("Scanner thoracique. Conclusion : nodule du lobe inférieur gauche de 6 mm.", "Conclusion"),
        (
            "Scanner thoracique. Conclusion : nodule du lobe inférieur gauche de 6 mm.",
            "lobe inférieur gauche de 6 mm",
        ),
        ("Dose : CTDIvol 8,2 mGy, DLP 450 mGy.cm. Injection de 90 mL d'Iomeron 350.", "450 mGy.cm"),
        ("Dose : CTDIvol 8,2 mGy, DLP 450 mGy.cm. Injection de 90 mL d'Iomeron 350.", "90 mL"),
        ("Maladie de Crohn connue. Signe de Murphy négatif. Kyste de Baker.", "Crohn"),
        ("Maladie de Crohn connue. Signe de Murphy négatif. Kyste de Baker.", "Murphy"),
        ("Contrôle dans 2 ans. Stable depuis 3 ans.", "2 ans"),
        ("Follow-up CT in 6 months. Stable for 2 years.", "6 months"),
        ("Segment VII, 18 mm contre 25 mm. RECIST 1.1. BI-RADS 3.", "18 mm"),
    ],
)
def test_targeted_phrases_survive(text, phrase):
    spans = find_spans(text)
    start = text.index(phrase)
    assert not [s for s in spans if s.start < start + len(phrase) and start < s.end], spans


@pytest.mark.parametrize(
    "text, value, label",
    [
        ("Examen du 12/03/2021.", "12/03/2021", "DATE"),
        ("Examen du 12 mars 2021.", "12 mars 2021", "DATE"),
        ("Examen du 1er mars 2021.", "1er mars 2021", "DATE"),
        ("Examen du 2021-03-12.", "2021-03-12", "DATE"),
        ("Bilan de mars 2021.", "mars 2021", "DATE"),
        ("Exam on March 12, 2021 and 12th March 2021.", "March 12, 2021", "DATE"),
        ("Exam on March 12, 2021 and 12th March 2021.", "12th March 2021", "DATE"),
        ("Patiente âgée de 67 ans.", "67 ans", "AGE"),
        ("A 67-year-old man.", "67-year-old", "AGE"),
        ("NIR : 1 84 12 75 108 236 31", "1 84 12 75 108 236 31", "NIR"),
        ("Tél. : 03 20 44 59 62", "03 20 44 59 62", "PHONE"),
        ("Tel +33 (0)3 20 44 59 62", "+33 (0)3 20 44 59 62", "PHONE"),
        ("Call +44 20 7946 0958 now.", "+44 20 7946 0958", "PHONE"),
        ("Mail: jean.dupont@chu-lille.fr", "jean.dupont@chu-lille.fr", "EMAIL"),
        ("IPP : 00123456", "00123456", "ID"),
        ("MRN: AB-12345", "AB-12345", "ID"),
        ("Domicile : 12 rue des Lilas, 59000 Lille", "12 rue des Lilas", "ADDRESS"),
        ("Domicile : 12 rue des Lilas, 59000 Lille", "59000", "POSTCODE"),
        ("Domicile : 12 rue des Lilas, 59000 Lille", "Lille", "CITY"),
        ("Adressé par le CHU de Bordeaux.", "CHU de Bordeaux", "ESTABLISHMENT"),
        ("Réalisé sur Siemens SOMATOM Force.", "Siemens SOMATOM Force", "DEVICE"),
        ("Réalisé sur un Aquilion ONE.", "Aquilion ONE", "DEVICE"),
        ("Vu par Mme Lefebvre et le Pr Jean-Pierre LE GOFF.", "Lefebvre", "PERSON"),
        ("Vu par Mme Lefebvre et le Pr Jean-Pierre LE GOFF.", "Jean-Pierre LE GOFF", "PERSON"),
        ("Dear Mrs O'Brien, thank you.", "O'Brien", "PERSON"),
        ("Âge : 67. Patiente née en 1954.", "67", "AGE"),
        ("Âge : 67. Patiente née en 1954.", "1954", "DATE"),
        (
            "Images sur https://pacs.chu-lille.fr/viewer?id=3 .",
            "https://pacs.chu-lille.fr/viewer?id=3",
            "URL",
        ),
        ("Pt: O'Neill, Rita   MRN: 123", "O'Neill, Rita", "PERSON"),
        ("Findings called to Macdonald at 16:40.", "Macdonald", "PERSON"),
        ("Interprétée par Rossi et FOUCHER.", "FOUCHER", "PERSON"),
    ],
)
def test_recognizes(text, value, label):
    spans = find_spans(text)
    assert covered(text, value, spans), spans
    start = text.index(value)
    assert any(s.label == label for s in spans if s.start <= start < s.end), spans


def test_nir_key_is_checked():
    assert nir_key("1 84 12 75 108 236 31", 0, 21)
    assert not nir_key("1 84 12 75 108 236 32", 0, 21)
    assert nir_key("2 69 05 2A 123 456 18".replace("18", _corsica_key()), 0, 21)
    text = "NIR : 1 84 12 75 108 236 32"
    spans = find_spans(text, language="fr")
    assert all(s.label != "NIR" for s in spans)
    assert covered(text, "1 84 12 75 108 236 32", spans)  # still removed, as an ID after its label


def _corsica_key() -> str:
    body = int("2690519123456")  # 2A -> 19
    return f"{97 - body % 97:02d}"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_identifier_free_prose_is_left_alone(language):
    """Precision on realistic medical prose: eponyms, drugs, classifications, sentence case."""
    text = (CORPUS.parent / f"clean_prose_{language}.txt").read_text(encoding="utf-8")
    spans = find_spans(text, language=language)
    assert not spans, [(text[s.start : s.end], s.label) for s in spans]


@pytest.mark.parametrize(
    "cell",
    [
        "Sarcoïdose",
        "Hépatocarcinome",
        "Mésothéliome",
        "Infarctus",
        "Adénocarcinome",
        "Pneumopathie",
        "RAS",
        "Oui",
    ],
)
def test_one_word_cells_survive(cell):
    """Clinical CSV cells are tiny texts: the statistical NER has no context there."""
    assert find_spans(cell, language="fr") == []


def test_delimited_exports_and_signatures():
    text = "ACC1234567;DUPONT;Jean;12/03/1954;TDM THORAX;RAS;LEFEBVRE\n"
    spans = find_spans(text, language="fr")
    for value in ("DUPONT", "Jean", "LEFEBVRE", "12/03/1954", "ACC1234567"):
        assert covered(text, value, spans), value
    assert not covered(text, "TDM THORAX", spans) and not covered(text, "RAS", spans)
    letter = "Madame,\nVotre IRM est normale.\nJe reste à votre disposition.\nRODRIGUEZ\n"
    assert covered(letter, "RODRIGUEZ", find_spans(letter, language="fr"))


def test_eponyms_survive_but_not_people_with_the_same_name():
    text = "Signe de Murphy positif. Avis du Dr Murphy demandé."
    spans = find_spans(text, language="fr")
    first = text.index("Murphy")
    second = text.index("Murphy", first + 1)
    assert not [s for s in spans if s.start <= first < s.end]
    assert [s for s in spans if s.start <= second < s.end and s.label == "PERSON"]


@pytest.mark.parametrize(
    "descriptor",
    [
        "CT THORAX SANS INJECTION",
        "CHEVILLE FACE PROFIL",
        "RACHIS LOMBAIRE FACE PROFIL",
        "CT ABDOMEN PELVIS WITH CONTRAST",
        "T1 SE AXIAL GADO",
        "ANGIO TSA",
    ],
)
def test_dicom_descriptors_are_left_alone(descriptor):
    assert find_spans(descriptor, language="fr") == []


def test_names_in_their_many_forms():
    for text, name in [
        ("Objet : résultat scanner LAUNAY épouse SIMON Patrick", "LAUNAY épouse SIMON Patrick"),
        ("Patiente Thérèse Schneider née Lacroix, 81 ans", "Thérèse Schneider née Lacroix"),
        ("Résultat de Allain, Suzanne (54 ans)", "Allain, Suzanne"),
        ("Thanks,\nBROWN\n", "BROWN"),
        ("COURTOIS, radiologue de garde", "COURTOIS"),
        ("Dr MASSE Camille", "MASSE Camille"),
    ]:
        assert covered(text, name, find_spans(text)), text


def test_known_values_match_any_case_and_accents():
    text = "Patient Zoé ÉLISABETH-MARTIN, dossier XK-99812, vu pour bilan."
    spans = find_spans(text, known_values=["ELISABETH-MARTIN", "XK-99812", "ZOE"])
    for value in ("ÉLISABETH-MARTIN", "XK-99812", "Zoé"):
        assert covered(text, value, spans)


def test_short_strings_are_fast_and_clean():
    assert find_spans("CT THORAX SANS INJECTION") == []
    text = "Thorax de DUPONT JEAN du 12/03/2021"
    spans = find_spans(text, known_values=["DUPONT^JEAN", "20210312"], language="fr")
    assert covered(text, "DUPONT JEAN", spans) and covered(text, "12/03/2021", spans)
    assert find_spans("") == []
    spans = find_spans("IRM cérébrale Dr Lefebvre", language="fr")
    assert [s.label for s in spans] == ["PERSON"]


def test_language_detection():
    assert detect_language("Le patient présente un nodule du lobe inférieur droit.") == "fr"
    assert detect_language("The patient has a nodule in the right lower lobe.") == "en"
    assert detect_language("12345", default="en") == "en"


def test_config_errors_name_the_file_and_field(tmp_path):
    bad = tmp_path / "recognizers.yaml"
    bad.write_text(
        "recognizers:\n  - name: broken\n    type: pattern\n    label: DATE\n"
        "    patterns: ['(unclosed']\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidRecognizerConfig) as error:
        load_config(bad)
    assert str(bad) in str(error.value) and "patterns[0]" in str(error.value)
    bad.write_text(
        "recognizers:\n  - name: x\n    type: pattern\n    label: NOPE\n", encoding="utf-8"
    )
    load_config.cache_clear()
    with pytest.raises(InvalidRecognizerConfig) as error:
        load_config(bad)
    assert "label" in str(error.value)
