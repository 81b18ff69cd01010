"""English letters and notes: the patient after "Re:", hospital and accession numbers with
short labels, technologists named by their role, and a UK address's town whatever the word.

Values are invented for these tests (names absent from the gazetteers and training lists).
Real spaCy, the shipped models."""

from __future__ import annotations

from tests.reports_support import covered, spans_of, touched


def test_the_patient_named_after_re_and_a_letter_subject_left_alone():
    text = (
        "Dear Dr. Quillfeather,\n\nRe: Ebele Nwachukwo-Hart, DOB 10 August 1997\n"
        "Subject: MRI right knee\n"
    )
    spans = spans_of(text, "en")
    assert covered(text, "Ebele Nwachukwo-Hart", spans)
    assert not touched(text, "MRI right knee", spans)


def test_hospital_and_accession_numbers_with_short_labels():
    text = (
        "NHS No: 4010232137  Hosp No: 318-52-7740\nMRN 55102938  Acc B31-4402817\n"
        "according to acc 2 lines of evidence\n"
    )
    spans = spans_of(text, "en")
    for value in ("318-52-7740", "B31-4402817"):
        assert covered(text, value, spans), value
    assert not touched(text, "acc 2 lines", spans)


def test_a_technologist_named_after_rad_tech():
    text = "Rad tech P. Gable: extravasation of 25 mL.\nRAD TECH T. WINSHIP: PT REPORTS PAIN\n"
    spans = spans_of(text, "en")
    assert covered(text, "P. Gable", spans)
    assert covered(text, "T. WINSHIP", spans)


def test_a_uk_town_that_is_a_word_before_its_postcode():
    text = (
        "Flat 3, 12 Otterbourne Rise\nReading\nRG4 7XQ\n"
        "Tanner Lodge Surgery - 88 Weir Row, Bath, BA2 9QQ\n"
        "71 MILLBROOK CLOSE, HOPE, S33 6RS\n"
    )
    spans = spans_of(text, "en")
    for value in ("Reading", "RG4 7XQ", "Bath", "BA2 9QQ", "HOPE", "S33 6RS"):
        assert covered(text, value, spans), value


def test_dictated_english_names_closed_by_spoken_punctuation():
    text = (
        "the liver is unremarkable period dictated by doctor spleen period end of dictation\n"
        "report for miss yasmine knee comma date of birth to follow\n"
    )
    spans = spans_of(text, "en")
    assert covered(text, "spleen", spans)
    assert covered(text, "yasmine knee", spans)
    assert not touched(text, "the liver is unremarkable", spans)


def test_capital_titles_but_not_mr_or_ms_in_capitals():
    text = "MRS WEAVER WAS INFORMED. MR ANGIOGRAPHY OF THE BRAIN. TR 500 MS TE 20.\n"
    spans = spans_of(text, "en")
    assert covered(text, "WEAVER", spans)
    assert not touched(text, "WAS INFORMED", spans)
    assert not touched(text, "ANGIOGRAPHY", spans)
    assert not touched(text, "TE 20", spans)
