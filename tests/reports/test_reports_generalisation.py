"""Failure classes seen on report text written outside the project, one test each, with
values of our own (names, places and numbers absent from the gazetteers). Real spaCy."""

from __future__ import annotations

from tests.reports_support import covered, spans_of, touched


def test_upper_case_city_after_a_postcode_is_one_whole_span():
    text = "Domicile : 7 impasse des Tilleuls, 24100 BERGERAC-LES-VIGNES\nRAS."
    spans = spans_of(text)
    city = text.index("BERGERAC")
    assert any(s.start == city and s.label == "CITY" for s in spans), spans
    assert covered(text, "BERGERAC-LES-VIGNES", spans)
    assert all(s.end - s.start > 1 for s in spans), spans


def test_upper_case_address_keeps_its_house_number_and_is_not_a_person():
    text = "ADRESSE : 118 BOULEVARD GASTON DOUMERGUE, 42100, SAINT-ETIENNE\nTDM du rachis."
    spans = spans_of(text)
    for value in ("118 BOULEVARD GASTON DOUMERGUE", "42100", "SAINT-ETIENNE"):
        assert covered(text, value, spans), value
    street = text.index("118")
    assert any(s.start == street and s.label == "ADDRESS" for s in spans), spans


def test_lower_case_names_after_a_title_or_a_person_label():
    cases = [
        ("fr", "Patiente philomène quenneville, 61 ans, vue ce jour.", "philomène quenneville"),
        ("fr", "Examen demandé par le dr vasseur-monnet pour lombalgie.", "vasseur-monnet"),
        ("en", "Patient referred by dr okonkwo for chest pain.", "okonkwo"),
    ]
    for language, text, name in cases:
        assert covered(text, name, spans_of(text, language)), text
    prose = "Patiente coopérante et calme, vue pour douleur."
    assert not touched(prose, "coopérante", spans_of(prose))


def test_ordinary_word_surnames_after_a_title_or_a_person_label():
    text = (
        "Compte rendu validé par Dr Rate. Avis du docteur Coude. Patiente Cuisse, 70 ans.\n"
        "Copie à Mme Lune."
    )
    spans = spans_of(text)
    for name in ("Rate", "Coude", "Cuisse", "Lune"):
        assert covered(text, name, spans), name


def test_eponyms_and_drugs_outside_the_allowlist_survive():
    text = (
        "Aspect évoquant une maladie de Kienböck. Signe de Lasègue positif. Lésion de "
        "Hill-Sachs. Syndrome de Zollinger-Ellison. Kyste de Tarlov en S2. Kyste selon "
        "Bosniak 2F. Pancoast tumour excluded. Traitement par Xarelto et Kardegic, "
        "Tahor. Injection de Dotarem.\nSigné : Dr Tarlov"
    )
    spans = spans_of(text)
    for term in ("Kienböck", "Lasègue", "Hill-Sachs", "Zollinger-Ellison", "Bosniak", "Pancoast"):
        assert not touched(text, term, spans), term
    for drug in ("Xarelto", "Kardegic", "Tahor", "Dotarem"):
        assert not touched(text, drug, spans), drug
    # a title is strong evidence: the same word as a doctor's name is still removed
    signer = text.rindex("Tarlov")
    assert any(s.start <= signer < s.end for s in spans), spans


def test_identifiers_after_unknown_labels_and_social_security_numbers_in_any_writing():
    text = (
        "Visit #: 5520931. Nº du passage : 88107. Son NIP est 40213.\n"
        "Assuré 2|64|07|13|055|231|08 ; 164071305523108 ; 2 64 07 13 055 231 99."
    )
    spans = spans_of(text)
    for value in (
        "5520931",
        "88107",
        "40213",
        "2|64|07|13|055|231|08",
        "164071305523108",
        "2 64 07 13 055 231 99",
    ):
        assert covered(text, value, spans), value
    assert not touched(text, "Son", spans)


def test_dates_with_pipes_commas_and_years_in_words():
    cases = [
        ("fr", "Né le 17|11|1938, revu le 9, Février 1981.", ["17|11|1938", "9, Février 1981"]),
        ("fr", "née le deux avril mille neuf cent trente-huit", ["deux avril mille neuf cent"]),
        ("en", "He was born in nineteen thirty-one in Leeds.", ["nineteen thirty-one"]),
    ]
    for language, text, values in cases:
        spans = spans_of(text, language)
        for value in values:
            assert covered(text, value, spans), (text, value)


def test_upper_case_practice_and_clinic_names():
    text = "SELARL IMAGERIE DES COTEAUX\nCENTRE DE RADIOLOGIE DU VIEUX MOULIN\nRADIOLOGIE\n"
    spans = spans_of(text)
    for value in ("SELARL IMAGERIE DES COTEAUX", "CENTRE DE RADIOLOGIE DU VIEUX MOULIN"):
        assert covered(text, value, spans), value
    assert any(s.label == "ESTABLISHMENT" for s in spans), spans


def test_signatures_wrapped_surnames_and_apostrophe_names_in_other_casings():
    letter = "IRM de l'épaule.\nTendinopathie du sus-épineux.\nPas de rupture.\nOctave Lanzmeyer\n"
    assert covered(letter, "Octave Lanzmeyer", spans_of(letter))
    wrapped = "Conclusion : tendinopathie.\nCompte rendu validé par Dr Gwenaëlle Kerdra-\nnvat.\n"
    assert covered(wrapped, "Kerdra-\nnvat", spans_of(wrapped))
    english = "Seen with Mrs O'sheridan today, referred by dr o'dwyer."
    spans = spans_of(english, "en")
    assert covered(english, "O'sheridan", spans)
    assert covered(english, "o'dwyer", spans)


def test_third_parties_relatives_carers_copied_doctors_and_secretaries():
    english = "Please call pt's wife Ondine Prudhomme on 07700 900461. Secretary: Gwyneth Marr."
    spans = spans_of(english, "en")
    for value in ("Ondine Prudhomme", "Gwyneth Marr"):
        assert covered(english, value, spans), value
    french = (
        "Sa fille Ysaline Quemeneur est présente. Copie au Dr Kerouredan ; secrétaire : Mme Yvinec."
    )
    spans = spans_of(french)
    for value in ("Ysaline Quemeneur", "Kerouredan", "Yvinec"):
        assert covered(french, value, spans), value


def test_dictation_without_punctuation_and_ocr_confusions():
    dictated = (
        "scanner thoracique pour gaëtan roussillon né le quatre juin mille neuf cent soixante"
    )
    spans = spans_of(dictated)
    assert covered(dictated, "gaëtan roussillon", spans)
    assert covered(dictated, "quatre juin mille neuf cent soixante", spans)
    assert not touched(dictated, "scanner thoracique", spans)
    fax = "Patient : FL0RIMOND VAUCORBE1L\nTél : O4.78.1l.52.36\nMarqueur BRCA1 négatif."
    spans = spans_of(fax)
    for value in ("FL0RIMOND VAUCORBE1L", "O4.78.1l.52.36"):
        assert covered(fax, value, spans), value
    assert not touched(fax, "BRCA1", spans)


def test_unlisted_eponyms_after_a_strong_head_survive():
    text = "Suspicion de maladie de Quenuorel. Signe de Vantrimpe absent."
    spans = spans_of(text)
    for term in ("Quenuorel", "Vantrimpe"):
        assert not touched(text, term, spans), term
    english = "Torbelund sign negative. Pain since the fall, seen by Dr Torbelund."
    spans = spans_of(english, "en")
    assert not touched(english, "Torbelund sign", spans)
    doctor = english.rindex("Torbelund")
    assert any(s.start <= doctor < s.end for s in spans), spans


def test_ordering_physician_label_and_a_trailing_middle_initial():
    text = "Name: VANTONGEREN, PERPETUA Q\nOrdering: Szabolcsi, Oderic MD\nCT head."
    spans = spans_of(text, "en")
    for value in ("VANTONGEREN, PERPETUA Q", "Szabolcsi", "Oderic"):
        assert covered(text, value, spans), value
    assert not touched(text, "CT head", spans)
