"""Identifiers written without capitals (typed in lower case, dictated, case-folded by an
export): places named after a hospital's qualifier or a town, names after a title that end
their line or put the given name second, dates with a month abbreviation, UK and US address
lines. Each class with a guard that must stay untouched.

Values are invented for these tests (names absent from the gazetteers and training lists).
Real spaCy, the shipped models."""

from __future__ import annotations

from tests.reports_support import covered, spans_of, touched

# --- establishments ---------------------------------------------------------------------------


def test_french_clinics_and_hospitals_in_lower_case_after_an_elided_article():
    text = (
        "adressée par la clinique sainte-orlane pour bilan.\n"
        "examen réalisé à l'hôpital privé du val d'escaude, service de radiologie.\n"
        "suivi au groupe hospitalier nord-aubrac et au centre d'irm de la combe brûlée.\n"
    )
    spans = spans_of(text)
    for value in (
        "clinique sainte-orlane",
        "hôpital privé du val d'escaude",
        "groupe hospitalier nord-aubrac",
        "centre d'irm de la combe brûlée",
    ):
        assert covered(text, value, spans), value


def test_specialties_and_day_hospitals_name_no_place():
    text = "vue en clinique de la douleur puis en hôpital privé de jour pour perfusion.\n"
    spans = spans_of(text)
    assert not touched(text, "clinique de la douleur", spans)
    assert not touched(text, "hôpital privé de jour", spans)


def test_english_practices_in_lower_case_named_by_a_town_or_an_unknown_word():
    text = (
        "ordering: dr. okonjo, brackenhurst pulmonary clinic\n"
        "prior at leeds diagnostic centre and university hospital of coventry, 2019.\n"
        "no change since the prior imaging; seen at the clinic today.\n"
    )
    spans = spans_of(text, "en")
    for value in (
        "brackenhurst pulmonary clinic",
        "leeds diagnostic centre",
        "university hospital of coventry",
    ):
        assert covered(text, value, spans), value
    assert not touched(text, "prior imaging", spans)
    assert not touched(text, "the clinic", spans)


# --- names --------------------------------------------------------------------------------------


def test_lower_case_title_then_a_surname_and_a_word_ending_the_line():
    text = (
        "je reste à votre disposition. m. boulanger a reçu le cd.\n"
        "dr loubière fontaine\n"
        "radiologue\n"
    )
    spans = spans_of(text)
    for value in ("boulanger", "loubière fontaine"):
        assert covered(text, value, spans), value


def test_milliseconds_and_metres_open_no_name():
    text = "séquence tr 500 ms te 20 ms puis table à 2 m. de la console.\n"
    spans = spans_of(text)
    assert not touched(text, "te 20", spans)
    assert not touched(text, "de la console", spans)


def test_english_ms_title_and_surname_first_after_a_patient_label():
    text = "seen with ms baker today.\npatient fisher priya dob 02/11/1961\n"
    spans = spans_of(text, "en")
    assert covered(text, "baker", spans)
    assert covered(text, "fisher priya", spans)


# --- dates and address lines ------------------------------------------------------------------


def test_month_abbreviations_in_any_case_once_a_year_is_there():
    text = "dob 07-feb-1961. prior dated 19-SEP-2022. compared with march 3, 2020.\n"
    spans = spans_of(text, "en")
    for value in ("07-feb-1961", "19-SEP-2022", "march 3, 2020"):
        assert covered(text, value, spans), value


def test_lower_case_uk_and_us_address_lines():
    text = (
        "43 quarry bank road, stockport sk4 9pw tel 0161 496 0731\n"
        "8812 n. wendover st, columbus oh 43215\n"
        "fracture of the c5 6th rib level unchanged. tel 0161 496 0732 patient street\n"
    )
    spans = spans_of(text, "en")
    for value in ("sk4 9pw", "stockport", "8812 n. wendover st", "columbus", "43215"):
        assert covered(text, value, spans), value
    assert not touched(text, "c5 6th", spans)
    assert not touched(text, "patient street", spans)


# --- dictated names -----------------------------------------------------------------------------


def test_an_organ_right_after_a_title_and_before_a_stop_is_a_surname():
    text = "conclusion pas de fracture point dicté par docteur poumon point fin de dictée\n"
    spans = spans_of(text)
    assert covered(text, "poumon", spans)
    assert not touched(text, "fracture", spans)


def test_one_word_after_a_care_role_and_a_closing_formula_on_the_same_line():
    text = (
        "réalisé par le manipulateur renard compte rendu normal "
        "bien confraternellement p. verger copie au dossier\n"
        "la manipulatrice a injecté 60 ml de produit de contraste\n"
    )
    spans = spans_of(text)
    assert covered(text, "renard", spans)
    assert covered(text, "p. verger", spans)
    assert not touched(text, "a injecté", spans)


def test_a_given_name_then_an_organ_closing_the_phrase_after_a_title():
    text = "discussed with doctor ilona hand by phone.\nseen by dr anouk chest wall pain\n"
    spans = spans_of(text, "en")
    assert covered(text, "ilona hand", spans)
    assert not touched(text, "wall pain", spans)


def test_capitals_a_town_after_its_postcode_and_a_madame_title():
    text = (
        "33 TER RUE DES TROIS-PUITS, 38200 VIENNE\n"
        "JE RESTE À VOTRE DISPOSITION. MME QUÉLENNEC A REÇU LE CD ET LE COMPTE RENDU.\n"
        "Manipulateur : M.-C. Fromentel.\n"
    )
    spans = spans_of(text)
    for value in ("VIENNE", "QUÉLENNEC", "M.-C. Fromentel"):
        assert covered(text, value, spans), value
    assert not touched(text, "VOTRE DISPOSITION", spans)


def test_a_signature_after_a_blank_line_below_the_closing_formula():
    text = (
        "je reste à votre disposition.\n\nbien confraternellement,\n\nb. verger\n\n"
        "copie : dossier\n"
    )
    spans = spans_of(text)
    assert covered(text, "b. verger", spans)
    assert not touched(text, "copie", spans)
