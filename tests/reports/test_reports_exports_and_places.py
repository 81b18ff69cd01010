"""Identifiers in the forms exports and letterheads write them: delimited tables read by
their column headers, DICOM/HL7 person names and ages, logins, practices named after a
place, building and flat before the street, devices in any case with their serial.

Values are invented for these tests (names absent from the gazetteers and training lists).
Real spaCy, the shipped models."""

from __future__ import annotations

from tasks.reports.recognizers.table_columns import fold_header, label_of
from tests.reports_support import covered, spans_of, touched

# --- tables read by their header ------------------------------------------------------------


def test_cells_of_a_pipe_export_take_their_column_label():
    text = (
        "DATE|IPP|NOM|PRENOM|DDN|EXAMEN|ACC|PRESCRIPTEUR|SITE\n"
        "20230412|771 204 318|PIED|OCÉANE|03-02-1951|IRM DU GENOU DROIT|B77-1048822|Vachelard|"
        "Clinique des Quatre Vents\n"
    )
    spans = spans_of(text)
    for value in ("771 204 318", "PIED", "OCÉANE", "03-02-1951", "B77-1048822", "Vachelard"):
        assert covered(text, value, spans), value
    assert covered(text, "Clinique des Quatre Vents", spans)
    assert not touched(text, "IRM DU GENOU DROIT", spans)
    for header in ("NOM", "PRENOM", "EXAMEN", "PRESCRIPTEUR"):
        assert not touched(text, header, spans), header


def test_cells_of_a_csv_export_with_quotes_and_logins():
    text = (
        "id_patient,nom,date_naissance,modalite,manipulateur,telephone,ville\n"
        '51837720,"Rouxel-Tanguy Maëlys",14/09/1962,IRM,pkerbrat,02 96 41 77 30,Lannion\n'
    )
    spans = spans_of(text)
    for value in ("51837720", "Rouxel-Tanguy Maëlys", "14/09/1962", "pkerbrat", "Lannion"):
        assert covered(text, value, spans), value
    assert not touched(text, "IRM", spans)


def test_a_comma_in_prose_is_no_table():
    text = "scanner thoracique, pas de nodule, pas d'épanchement\nconclusion, examen normal"
    assert spans_of(text) == []


def test_header_folding_and_descriptive_columns():
    assert fold_header("Date de naissance") == "date_de_naissance"
    known = {"nom": "PERSON", "date": "DATE"}
    assert label_of("Nom patient", known) == "PERSON"
    assert label_of("nom_examen", known) is None  # the exam's name, not a person
    assert label_of("date_examen", known) == "DATE"


# --- DICOM and HL7 forms, logins ------------------------------------------------------------


def test_caret_names_in_any_case_and_dicom_ages():
    for text, name, age in (
        ("Patient : LE GUENNEC^YVONIG   Âge : 067Y", "LE GUENNEC^YVONIG", "067Y"),
        (
            "(0010,0010) PN [van der wiel^saskia]  (0010,1010) AS [041y]",
            "van der wiel^saskia",
            "041y",
        ),
        ("PID|1||4471||OYONO^MBALLA^ESTELLE||19790201|F", "OYONO^MBALLA^ESTELLE", None),
    ):
        spans = spans_of(text)
        assert covered(text, name, spans), text
        if age:
            assert covered(text, age, spans), text


def test_logins_after_a_role_or_ending_a_note():
    for text, login in (
        ("Manipulatrice : gquillivic\nModalité : IRM 1,5 T", "gquillivic"),
        ("Patient calme, injection sans incident. /tlebihan", "tlebihan"),
        ("CONTRAST GIVEN, NO REACTION. -RKOWALCZ", "RKOWALCZ"),
        ("saisi par y.morvezen le 3 mars", "y.morvezen"),
    ):
        assert covered(text, login, spans_of(text)), text
    text = "Examen réalisé par le technicien de garde"
    assert spans_of(text) == []


# --- establishments named after a place -----------------------------------------------------


def test_practices_named_after_a_place_in_any_case():
    for text, name in (
        ("Centre d'Imagerie Médicale des Salines", "Centre d'Imagerie Médicale des Salines"),
        ("adressée par le Centre d'IRM du Bois Joli", "Centre d'IRM du Bois Joli"),
        ("Imagerie Médicale de la Haute Lande", "Imagerie Médicale de la Haute Lande"),
        ("Hôpital d'instruction de Quimperlé", "Hôpital d'instruction de Quimperlé"),
        ("vue à la polyclinique des trois rivières.", "polyclinique des trois rivières"),
    ):
        assert covered(text, name, spans_of(text)), text
    for text in ("SCANNER DU RACHIS LOMBAIRE", "clinique de la douleur chronique"):
        assert [s for s in spans_of(text) if s.label == "ESTABLISHMENT"] == [], text


def test_english_practices_and_departments():
    for text, name in (
        ("Referred by Tollgate Orthopaedic Associates", "Tollgate Orthopaedic Associates"),
        ("Radiology Department, Wexcombe Community Hospital", None),
        ("seen at brackenfold general hospital last week", "brackenfold general hospital"),
        ("Report from Harrowgate Diagnostics.", "Harrowgate Diagnostics"),
    ):
        spans = spans_of(text, "en")
        assert covered(text, name or text, spans), text
    text = "Interventional Radiology reviewed the images with Diagnostic Imaging."
    assert [s for s in spans_of(text, "en") if s.label == "ESTABLISHMENT"] == []


# --- addresses and devices ------------------------------------------------------------------


def test_building_and_flat_before_the_street():
    for text, address in (
        (
            "Domicile : Résidence Ker Avel, bât. D, appt 12, 8 rue des Goélands, 29200 Brest",
            "Résidence Ker Avel, bât. D, appt 12, 8 rue des Goélands",
        ),
        (
            "le clos fleuri, porte 4, 17 ter chemin des ajoncs",
            "le clos fleuri, porte 4, 17 ter chemin des ajoncs",
        ),
        ("Flat 7, 42 Wyndcliffe Road", "Flat 7, 42 Wyndcliffe Road"),
        ("12 lotissement Les Hortensias", "12 lotissement Les Hortensias"),
    ):
        assert covered(text, address, spans_of(text)), text


def test_devices_in_any_case_with_their_serial():
    for text, device in (
        ("examen sur siemens magnetom sola sn 88231 ce jour", "siemens magnetom sola sn 88231"),
        (
            "MAMMOGRAPHE HOLOGIC 3DIMENSIONS N° SÉRIE H3D-5521",
            "HOLOGIC 3DIMENSIONS N° SÉRIE H3D-5521",
        ),
        ("Acquisition : GE Revolution Apex s/n 7RA0915", "GE Revolution Apex s/n 7RA0915"),
    ):
        assert covered(text, device, spans_of(text)), text
    text = "positron emission tomography with a canon of protocols"
    assert [s for s in spans_of(text, "en") if s.label in ("DEVICE", "ID")] == []


# --- lower-case address blocks, particles before an ordinary surname ------------------------


def test_lower_case_address_block_lines():
    text = (
        "cabinet de radiologie\n9 impasse des mouettes\n56100 lorient\n\n"
        "le havre, le 4 juin 2024\n"
        "wexcombe general hospital\n31 tanner road\nbristol\nbs8 4ru\nconclusion\n"
    )
    spans = spans_of(text)
    for value in ("56100", "lorient", "le havre", "31 tanner road", "bristol", "bs8 4ru"):
        assert covered(text, value, spans), value
    assert not touched(text, "conclusion", spans)


def test_a_particle_after_a_title_or_a_given_name_announces_a_surname():
    for text, name in (
        ("Vu avec le Dr Le Genou ce matin.", "Le Genou"),
        ("Pr Maëlle Du Coude, radiologue", "Maëlle Du Coude"),
        ("Dr LA JAMBE Hortense", "LA JAMBE Hortense"),
    ):
        assert covered(text, name, spans_of(text)), text
    text = "Le genou est normal. La jambe aussi."
    assert spans_of(text) == []


# --- medical terms that must survive --------------------------------------------------------


def test_drugs_survive_labels_upper_case_and_accents():
    for text, term in (
        ("IDE : EXTRAVASATION OMNIPAQUE 20 ML AVANT-BRAS G, GLACE.", "OMNIPAQUE"),
        ("IDE : EXTRAVASATION OMNIPAQUE 20 ML AVANT-BRAS G, GLACE.", "20 ML AVANT-BRAS G"),
        ("Indication : thyroïdectomie totale, patiente sous Lévothyrox.", "Lévothyrox"),
    ):
        assert not touched(text, term, spans_of(text)), text


def test_a_graded_eponym_survives_in_any_case():
    for text, term in (
        ("FRACTURE DE LA MALLÉOLE LATÉRALE WEBER C.", "WEBER C"),
        ("Kyste rénal Bosniak IIF, à surveiller.", "Bosniak IIF"),
    ):
        assert not touched(text, term, spans_of(text)), text


# --- DICOM headers and HL7 messages pasted as text ------------------------------------------


def test_dicom_dump_values_take_their_attribute_label():
    text = (
        "(0010,0020) LO [KQ-771093]\n"
        "(0020,0010) SH [61207]\n"
        "(0008,1030) LO [IRM CEREBRALE]\n"
        "(0010,0030) Patient's Birth Date                DA: '19580817'\n"
        "(0008,0080) Institution Name                    LO: 'Clinique des Ajoncs'\n"
        "AccessionNumber: 2024R55120\n"
    )
    spans = spans_of(text)
    for value in ("KQ-771093", "61207", "19580817", "Clinique des Ajoncs", "2024R55120"):
        assert covered(text, value, spans), value
    for kept in ("IRM CEREBRALE", "Patient's Birth Date", "Institution Name"):
        assert not touched(text, kept, spans), kept
    text = "Time: 14:22\nUID: see below"
    assert spans_of(text, "en") == []  # plain labels are no DICOM keywords


def test_hl7_segments_names_and_ids():
    text = (
        "PID|1||30117^^^HOSP^PI||KERVELLA^ANNAIG^M||19660302|F\n"
        "PV1|1|O|IMG^^^Site Nord||||20044189^MOALIC^GWENOLE\n"
    )
    spans = spans_of(text)
    for value in ("KERVELLA^ANNAIG^M", "MOALIC^GWENOLE", "19660302", "30117"):
        assert covered(text, value, spans), value
    for kept in ("PID", "PV1", "HOSP^PI", "IMG^^^"):
        assert not touched(text, kept, spans), kept


# --- text all in capitals, eponyms named by their context -----------------------------------


def test_upper_case_report_words_are_not_names_but_names_still_are():
    text = (
        "RENSEIGNEMENTS CLINIQUES : LOMBALGIES CHRONIQUES, DOULEUR IRRADIANT AU PIED GAUCHE.\n"
        "MOTIF : CHUTE DE SA HAUTEUR SUR LA MAIN DROITE. PATIENTE : ANNAÏG KERVELLA.\n"
        "COPIE AU DR LE GOUALLEC, 22300 LANNION.\n"
        "WEXCOMBE ROYAL INFIRMARY\n"
    )
    spans = spans_of(text)
    for kept in ("RENSEIGNEMENTS CLINIQUES", "LOMBALGIES", "PIED GAUCHE", "MAIN DROITE"):
        assert not touched(text, kept, spans), kept
    for value in ("ANNAÏG KERVELLA", "LE GOUALLEC", "LANNION", "WEXCOMBE ROYAL INFIRMARY"):
        assert covered(text, value, spans), value


def test_eponyms_named_by_a_medical_head_or_a_grade_survive():
    for text, term, language in (
        ("Névrome de Morton du troisième espace.", "Morton", "fr"),
        ("Bursite de Haglund.", "Haglund", "fr"),
        ("Score de Lequesne à 12.", "Lequesne", "fr"),
        ("Classification de Garden III.", "Garden III", "fr"),
        ("Schatzker II tibial plateau fracture.", "Schatzker II", "en"),
        ("Prominent Hoffa fat pad.", "Hoffa", "en"),
    ):
        assert not touched(text, term, spans_of(text, language)), text
    text = "Névrome de Morton, vu par le Dr Morton."
    doctor = text.rindex("Morton")
    spans = spans_of(text)
    assert any(s.start <= doctor and doctor + len("Morton") <= s.end for s in spans), spans
    assert not touched(text, "Névrome de Morton,", spans)


# --- OCR'd letterheads, wrapped dates, lower-case hospitals ---------------------------------


def test_ocr_postcodes_and_leading_digits_and_wrapped_dates():
    for text, values in (
        ("Adresse : 7 rue du Stang, 2930O CONCARNEAU", ("2930O", "CONCARNEAU")),
        ("Clinique 5aint-Gwénolé, Quimperlé", ("Clinique 5aint-Gwénolé",)),
        ("examen du 14/09/\n2022 et contrôle le 3\nmars 2023", ("14/09/\n2022", "3\nmars 2023")),
        ("patiente de 6O ans", ("6O ans",)),
        ("adressée par le centre hospitalier de concarneau", ("centre hospitalier de concarneau",)),
    ):
        spans = spans_of(text)
        for value in values:
            assert covered(text, value, spans), (text, value)
    text = "hôpital de jour, 5 mm, T1W-FLAIR"
    assert spans_of(text) == []


def test_lower_case_fields_with_initials_and_last_first_names():
    for text, name in (
        ("patient name: thornbury, elspeth\ndob: 03/12/1961", "thornbury, elspeth"),
        ("referring physician: dr. ashcombe, rowan", "ashcombe, rowan"),
        ("technologist: k. pendlebury", "k. pendlebury"),
        ("signed 12/04/2024 by m. quarrington", "m. quarrington"),
    ):
        assert covered(text, name, spans_of(text, "en")), text
    text = "radiologue : dr lebeau, normal"
    assert not touched(text, "normal", spans_of(text))


def test_references_insurance_numbers_and_care_homes():
    for text, value, language in (
        ("Réf. : 31/0057/B", "31/0057/B", "fr"),
        ("n/réf : IRM/2023/5512", "IRM/2023/5512", "fr"),
        ("N° ADELI : 56 1 77302 4", "56 1 77302 4", "fr"),
        ("Insurance ID: WKT 5530 1187", "WKT 5530 1187", "en"),
        ("Our ref: RAD/8812/PB", "RAD/8812/PB", "en"),
        ("EHPAD Les Tamaris de Loctudy", "EHPAD Les Tamaris de Loctudy", "fr"),
        ("Laboratoire Biogroup Armor", "Laboratoire Biogroup Armor", "fr"),
        ("PO Box 8812, Penzance", "PO Box 8812", "en"),
        ("Domicile : lieu-dit Kerlosquet", "lieu-dit Kerlosquet", "fr"),
        ("échographe Esaote MyLab X8 (SN: 66120)", "Esaote MyLab X8 (SN: 66120)", "fr"),
    ):
        assert covered(text, value, spans_of(text, language)), text
    text = "reference range 3 to 5; the laboratory called back"
    assert spans_of(text, "en") == []


def test_ocr_lower_case_words_american_streets_and_accounts():
    text = (
        "To: Dr. Wi11iam Thornicroft, Radio1ogy Dept, St Agnes Hospita1\n"
        "Tel: O2O 7946 O871   Acct: 5518-204\n"
        "4410 N. Harbor View Dr., Suite 210\n"
    )
    spans = spans_of(text, "en")
    for value in (
        "Wi11iam Thornicroft",
        "St Agnes Hospita1",
        "O2O 7946 O871",
        "5518-204",
        "4410 N. Harbor View Dr., Suite 210",
    ):
        assert covered(text, value, spans), value
    text = "BRCA1 mutation, T1W sequences, Ga11ium scan"
    assert spans_of(text, "en") == []


def test_known_towns_after_words_of_residence_in_any_case():
    for text, town, language in (
        ("she lives in truro with her partner", "truro", "en"),
        ("moved from Penzance in 2019", "Penzance", "en"),
        ("la patiente vit à concarneau depuis 2010", "concarneau", "fr"),
    ):
        assert covered(text, town, spans_of(text, language)), text
    text = "transferred from the ward, lives in a flat"
    assert spans_of(text, "en") == []


def test_a_key_value_pipe_table_gives_its_value_cells():
    text = (
        "| Champ | Valeur |\n|---|---|\n| Radiologue | Genou |\n| Prescripteur | Quellec |\n"
        "| Examen | IRM du genou droit |\n"
    )
    spans = spans_of(text)
    assert covered(text, "Genou", spans)
    assert covered(text, "Quellec", spans)
    assert not touched(text, "Champ", spans)
    assert not touched(text, "IRM du genou droit", spans)
