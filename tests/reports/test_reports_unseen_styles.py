"""Writing styles the rules were weakest on, with values of our own (invented names absent
from the gazetteers, the lexicons and the training name lists): dictated text (numbers,
dates, phones and record numbers in words, spoken titles, no capitals), lower-case English
names after relatives and persons, OCR'd scans (dates and phones with several letter/digit
confusions, a surname ending in a 0 read for an O). Real spaCy, the shipped models.

The development set ``tests/data/reports/unseen_styles_dev.txt`` was used while writing the
rules; ``unseen_styles_heldout.txt`` was written with it, before any change, and only its
aggregate scores were read (see tasks/reports/README.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tasks.reports.api import find_spans
from tasks.reports.evaluation import score
from tests.reports_support import covered, spans_of, touched

DATA = Path(__file__).resolve().parents[1] / "data" / "reports"


# --- dictated numbers -------------------------------------------------------------------


def test_french_phone_dictated_in_words_is_removed():
    text = (
        "rappeler sa fille au zéro sept quarante-trois, quatre-vingt-onze, soixante et onze, "
        "treize point à la ligne scanner normal"
    )
    spans = spans_of(text)
    phone = "zéro sept quarante-trois, quatre-vingt-onze, soixante et onze, treize"
    assert covered(text, phone, spans), spans
    assert not touched(text, "scanner normal", spans)


def test_record_numbers_read_digit_by_digit_are_removed():
    french = "dossier numéro neuf trois zéro un un six huit virgule irm du genou"
    assert covered(french, "neuf trois zéro un un six huit", spans_of(french))
    english = "hospital number eight oh two two five nine period mri of the knee"
    assert covered(english, "eight oh two two five nine", spans_of(english, "en"))


def test_english_phone_read_digit_by_digit_is_removed():
    text = "call her son on zero seven nine six one, four four two, eight three five period"
    spans = spans_of(text, "en")
    assert covered(text, "zero seven nine six one, four four two, eight three five", spans)


@pytest.mark.parametrize(
    "text, value, language",
    [
        ("revu le vingt et un septembre point", "vingt et un septembre", "fr"),
        ("née le neuf novembre cinquante-deux virgule", "neuf novembre cinquante-deux", "fr"),
        (
            "date of birth october twenty second nineteen forty seven period",
            "october twenty second nineteen forty seven",
            "en",
        ),
        (
            "seen on the fifth of april twenty twenty three period",
            "fifth of april twenty twenty three",
            "en",
        ),
        ("seen on june 9th, 2022 in clinic", "june 9th, 2022", "en"),
    ],
)
def test_dates_dictated_in_words_are_removed(text, value, language):
    assert covered(text, value, spans_of(text, language)), text


def test_ages_dictated_in_words_are_removed_but_not_durations():
    french = "madame soixante-quatorze ans virgule douleur depuis trois ans"
    spans = spans_of(french)
    assert covered(french, "soixante-quatorze ans", spans)
    assert not touched(french, "trois ans", spans)
    english = "a sixty one year old with pain"
    assert covered(english, "sixty one year old", spans_of(english, "en"))


def test_numbers_in_ordinary_dictated_prose_are_kept():
    text = "deux ou trois nodules de six millimètres virgule kyste de dix millimètres"
    assert spans_of(text) == []
    english = "two or three nodules of five millimetres in segment seven"
    assert spans_of(english, "en") == []


# --- names without capitals --------------------------------------------------------------


def test_spoken_english_titles_introduce_names():
    text = "ultrasound for mister thornquist abelard date of birth unknown"
    spans = spans_of(text, "en")
    assert covered(text, "thornquist abelard", spans), spans
    text = "discussed with misses quillfeather period"
    assert covered(text, "quillfeather", spans_of(text, "en"))


def test_a_lower_case_surname_after_title_and_unknown_first_word_is_whole():
    text = "dicté par le docteur ermengarde kerlouédec pour madame x"
    assert covered(text, "ermengarde kerlouédec", spans_of(text))
    english = "referred by dr osgood pemberthy for chest pain"
    spans = spans_of(english, "en")
    assert covered(english, "osgood pemberthy", spans)
    assert not touched(english, "chest pain", spans)


def test_english_lower_case_names_after_relatives_and_persons():
    for text, name in (
        ("spoke with her husband aldwin threlkeld on the ward", "aldwin threlkeld"),
        ("sixty year old female winifrith ollerenby seen today", "winifrith ollerenby"),
        ("patient gildas fennerby, dob unknown", "gildas fennerby"),
    ):
        assert covered(text, name, spans_of(text, "en")), text


def test_english_words_after_persons_are_not_names():
    for text in (
        "a 45 year old man presenting with abdominal pain",
        "the needle misses the target lesion",
        "spoke with her husband regarding the findings",
    ):
        assert [s for s in spans_of(text, "en") if s.label == "PERSON"] == [], text


# --- OCR'd scans ----------------------------------------------------------------------------


def test_ocr_dates_and_phones_with_several_confusions_are_removed():
    text = "Née le : l8/O6/l95O\nTél : O5 49 l1 3O 86\nRAS."
    spans = spans_of(text)
    assert covered(text, "l8/O6/l95O", spans)
    assert covered(text, "O5 49 l1 3O 86", spans)


def test_ocr_surname_ending_in_a_zero_for_an_o_is_removed():
    for text, name in (
        ("Validé par le Dr PENVERN0\nRAS", "PENVERN0"),
        ("Nom : MADEC0\nPrénom : Yann", "MADEC0"),
    ):
        assert covered(text, name, spans_of(text)), text


def test_ocr_lower_l_for_i_in_an_upper_case_header_is_not_a_name():
    text = "CENTRE D'lMAGERIE DU PONANT - SERVlCE DE RADlOLOGIE\nPas d'anomalie."
    assert [s for s in spans_of(text) if s.label == "PERSON"] == []


# --- the two sets of this style family ---------------------------------------------------


def _score(name: str):
    sys.path.insert(0, str(DATA))
    import build_styles

    records = build_styles.records(DATA / name)
    return score(records, lambda r: find_spans(r["text"], language=r["language"]))


def test_development_set():
    result = _score("unseen_styles_dev.txt")
    assert result.recall() >= 0.98, result.misses
    assert result.survival() == 1.0, result.destroyed_terms
    assert result.span_precision() >= 0.95, result.false_positives


# --- lower-case places and particles ------------------------------------------------------


def test_lower_case_city_after_a_street_postcode_is_removed_not_units():
    text = "domiciliée 8 impasse des ajoncs 29590 loperhet-bourg. numération 10000, cellules"
    spans = spans_of(text)
    assert covered(text, "29590", spans)
    assert covered(text, "loperhet-bourg", spans)
    assert not touched(text, "cellules", spans)
    text = "glycémie 35000 ui, 29000 ml"
    assert [s for s in spans_of(text) if s.label == "CITY"] == []


def test_lower_case_establishments_are_removed_not_generic_units():
    text = "transfert au chu de kervignac puis à l'hôpital de jour"
    spans = spans_of(text)
    assert covered(text, "chu de kervignac", spans)
    assert not touched(text, "hôpital de jour", spans)


def test_lower_case_names_with_particles_and_after_any_label():
    for text, name in (
        ("relu par le pr le quéllenec ce jour", "le quéllenec"),
        ("called dr van der hoogstraat at home", "van der hoogstraat"),
        ("résultats discutés avec gwenvaël ploumanac'h ce matin", "gwenvaël ploumanac'h"),
        ("a man named ebenezer quillmoor was seen", "ebenezer quillmoor"),
    ):
        language = "en" if text.startswith(("called", "a man")) else "fr"
        assert covered(text, name, spans_of(text, language)), text


# --- the English person model -------------------------------------------------------------


def test_english_model_finds_lower_case_names_no_rule_announces():
    for text, name in (
        ("ct head requested for tamzin wolcombe after a fall", "tamzin wolcombe"),
        ("findings discussed at length, ottilie brackwater agreed", "ottilie brackwater"),
        ("mri brain. thaddeus grimsdyke, seen in clinic, no change", "thaddeus grimsdyke"),
    ):
        assert covered(text, name, spans_of(text, "en")), text


def test_english_model_leaves_medical_phrases_alone():
    text = "Chest X-ray after Sternotomy. Hypermetabolic node, midline shift, arthrogram shoulder."
    assert [s for s in spans_of(text, "en") if s.label == "PERSON"] == []


# --- lower-case fields, maiden names, places of residence -------------------------------------


def test_lower_case_person_fields_maiden_names_and_signatures():
    for text, names in (
        ("nom : le quintrec prénom : maïlis", ("le quintrec", "maïlis")),
        ("mme le bourhis née kerjean", ("le bourhis", "kerjean")),
        ("signé : aouregan le meur, radiologue", ("aouregan le meur",)),
    ):
        spans = spans_of(text)
        for name in names:
            assert covered(text, name, spans), (text, name)


def test_lower_case_place_of_residence_but_not_born_at_term():
    text = "domicilié à quimperlé depuis 2010"
    assert covered(text, "quimperlé", spans_of(text))
    text = "enfant né à terme, née le 3 mars"
    assert not touched(text, "terme", spans_of(text))
