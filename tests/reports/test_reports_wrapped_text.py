"""Hard-wrapped text: phone numbers, establishments and dates cut by a line break are found
whole; short structural lines (labels, address blocks, signatures) keep their breaks.

Values are invented for these tests (names absent from the gazetteers and training lists).
Real spaCy, the shipped models."""

from __future__ import annotations

from tasks.reports.wrapped import crosses, joined, soft_breaks
from tests.reports_support import covered, spans_of, touched


def test_values_cut_by_a_wrap_are_found_whole():
    text = (
        "Patiente accompagnée de sa sœur Mme Nathalie Vernoux (joignable au 07\n"
        "81 26 25 30). Examen comparé au précédent du 16/06/2023 (Centre d'IRM\n"
        "de la Combe Brûlée). Copie : Dr I. Sauvageot – Clinique Sainte-Orlane, +33 2 90\n"
        "74 58 61\n"
    )
    spans = spans_of(text)
    for value in ("07\n81 26 25 30", "Centre d'IRM\nde la Combe Brûlée", "+33 2 90\n74 58 61"):
        assert covered(text, value, spans), value


def test_english_wrapped_letter_keeps_its_phone_and_date_whole():
    text = (
        "Thank you for referring this patient, whose daughter can be reached on 07700\n"
        "900412. She was previously imaged on 14 March\n"
        "2021 at our department, with no change since.\n"
    )
    spans = spans_of(text, "en")
    assert covered(text, "07700\n900412", spans)
    assert covered(text, "14 March\n2021", spans)


def test_structure_keeps_its_breaks():
    text = "Nom : KERVELLEC\nPrénom : Anouk\n12 rue des Ajoncs\n29200 Brest\nDr Le Quéré\n"
    assert soft_breaks(text) == []
    prose = "Le foie est de taille normale sans lésion focale décelable\nà l'échographie.\n"
    assert soft_breaks(prose) == [prose.index("\n")]
    # a line closed by punctuation or a hyphen is no soft break
    assert soft_breaks("Conclusion : pas de lésion focale suspecte retrouvée.\nSuite\n") == []


def test_joined_text_keeps_offsets_and_only_crossing_answers_count():
    text = "un texte assez long pour être replié ici\nsuite du texte\n"
    breaks = soft_breaks(text)
    view = joined(text, breaks)
    assert len(view) == len(text) and view[breaks[0]] == " "
    assert crosses(breaks[0] - 3, breaks[0] + 3, breaks)
    assert not crosses(0, breaks[0], breaks)  # ends at the break: found on its own line


def test_a_wrapped_paragraph_of_findings_stays_untouched():
    text = (
        "Le foie est de taille normale, d'échostructure homogène, sans lésion focale\n"
        "décelable. Les voies biliaires ne sont pas dilatées, la vésicule est alithiasique\n"
        "et la rate mesure 11 cm de grand axe.\n"
    )
    spans = spans_of(text)
    assert not touched(text, "sans lésion focale\ndécelable", spans)
    assert not touched(text, "alithiasique\net la rate", spans)
