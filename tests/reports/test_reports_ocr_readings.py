"""OCR'd faxes: confusions with a fixed reading ("(O)" in a phone, "1RM", "HTTP5://", "AN5"),
ages written with letters ("O34Y", "4la"), postcodes with a B or before a line break, words
opening with a digit after an elided article ("d'1magerie") or in capitals ("5AINT").

Values are invented for these tests (names absent from the gazetteers and training lists).
Real spaCy, the shipped models."""

from __future__ import annotations

from tasks.reports.ocr import undo_confusions
from tests.reports_support import covered, spans_of


def test_fixed_readings_and_ages_with_letters():
    assert undo_confusions("+33 (O)4 32 77 32 89") == "+33 (0)4 32 77 32 89"
    assert undo_confusions("Centre d'1RM") == "Centre d'IRM"
    assert undo_confusions("HTTP5://WWW.X.FR") == "HTTPS://WWW.X.FR"
    assert undo_confusions("(79 AN5)") == "(79 ANS)"
    assert undo_confusions("(O34Y) (4la)") == "(034Y) (41a)"
    # codes whose digit is part of them stay as written
    assert undo_confusions("BRCA1 T1W SW1A 5FU") == "BRCA1 T1W SW1A 5FU"
    # every reading keeps the length: spans found on the reading are spans of the original
    for text in ("tel +33 (O)5 http5://x.fr 1RM 79 AN5 O34Y", "d'1magerie 5AINT 3B200 Vienne"):
        assert len(undo_confusions(text)) == len(text)


def test_an_ocr_fax_letterhead_is_removed_whole():
    text = (
        "Centre d'1magerie Medica1e des Quatre Ormes\n"
        "Tel. +33 (O)5 61 48 22 07\n"
        "4 allee des Mesanges\n3B200 Vienne\n"
        "Patient : M. QUERNEC Ewan\nNe le : l7/05/1981 (O43Y)\n"
        "SITE : HTTP5://WWW.IMAGERIE-QUATRE-ORMES.FR\n"
    )
    spans = spans_of(text)
    for value in (
        "Centre d'1magerie Medica1e des Quatre Ormes",
        "+33 (O)5 61 48 22 07",
        "3B200",
        "O43Y",
        "HTTP5://WWW.IMAGERIE-QUATRE-ORMES.FR",
    ):
        assert covered(text, value, spans), value


def test_capital_words_opening_with_a_digit():
    text = "CLINIQUE 5AINT-EUTROPE\n48 AVENUE DES TILLEULS, 17100 SAINTES\n"
    spans = spans_of(text)
    assert covered(text, "CLINIQUE 5AINT-EUTROPE", spans)
