"""Identifiers that come through in places the PS3.15 table does not list, searched for the
way an attacker would: every identifying value of the input, in every spelling (case,
accents and separators ignored; serial-like values also inside longer words), anywhere in
the output's text values and bytes."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from tasks.headers.clean import clean_text
from tasks.headers.crosscheck import holds_identifier, pattern, spans
from tasks.headers.header_stage import anonymise_file
from tests.headers.test_headers_support import identifying_values, make_ctx, synthetic_ct, write
from tests.headers.test_headers_support import leaks as scanner_leaks

PROFILE = {"extends": "default", "headers": {"descriptor_recognisers": False}}
IDENTIFYING = {  # keyword -> the value a device or a site put there
    "PatientName": "LEFÈVRE^MARIE^ANNE",
    "PatientID": "PID778899",
    "OtherPatientIDs": "OLD-4455",
    "InstitutionName": "HGUGM Madrid",
    "InstitutionalDepartmentName": "Radiologie Nord",
    "StationName": "CTLILLE07",
    "DeviceSerialNumber": "L03-02246",
    "OperatorsName": "LEROY^PAUL",
    "ReferringPhysicianName": "MARTIN^CLAIRE",
    "PerformingPhysicianName": "GARCÍA LÓPEZ^JOSÉ",
}
GENERIC = {"radiologie", "madrid"}  # words that identify no one on their own


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", _fold(text))


def attacker_needles(ds: Dataset) -> set[tuple[str, ...]]:
    """Every identifying value of the input as a tuple of folded words: whole values and
    each part of at least 3 characters (names, institutions, departments)."""
    needles: set[tuple[str, ...]] = set()
    for keyword in IDENTIFYING:
        value = str(ds.get(keyword) or "")
        for part in value.replace("=", "^").split("^"):
            words = _words(part)
            if words:
                needles.add(tuple(words))
            needles.update((w,) for w in words if len(w) >= 3 and w not in GENERIC)
    return needles


def found_in(text: str, needle: tuple[str, ...]) -> bool:
    words = _words(text)
    compact = "".join(needle)
    if len(compact) >= 5 and any(c.isdigit() for c in compact):
        return compact in "".join(words)
    size = len(needle)
    return any(tuple(words[i : i + size]) == needle for i in range(len(words) - size + 1))


def output_texts(ds: Dataset) -> list[str]:
    out = []
    for elem in ds.iterall():
        if elem.VR in ("SQ", "OB", "OW", "UN", "UI") or elem.value is None:
            continue
        values = elem.value if elem.VM > 1 else [elem.value]
        out.extend(str(v) for v in values)
    return out


def leaks(src: Path, dst: Path) -> list[tuple[str, ...]]:
    needles = attacker_needles(pydicom.dcmread(src))
    texts = output_texts(pydicom.dcmread(dst))
    raw = _fold(pydicom.dcmread(dst).to_json())  # every element, private ones too
    return sorted(n for n in needles if any(found_in(t, n) for t in texts + [raw]))


def real_world_ct(**extra: str) -> Dataset:
    """A CT whose header holds identifiers where real devices and sites put them."""
    ds = synthetic_ct()
    for keyword, value in IDENTIFYING.items():
        setattr(ds, keyword, value)
    ds.StudyDescription = "TDM THORAX LEFEVRE"  # the surname without its accent
    ds.SeriesDescription = "Lefevre-Marie thorax"
    ds.RadiationMachineName = "CTLILLE07"  # the station name, the table does not list it
    ds.DetectorDescription = "SN=L03-02246;Pixel 0.2"  # the serial number
    ds.StudyComments = "/ 60 ANOS J."  # an age and an initial, in Spanish
    ds.CommentsOnThePerformedProcedureStep = "/ 60 ANOS J."
    ds.PostprocessingFunction = "HGUGM"  # a site acronym
    ds.ContentDescription = "Paciente Garcia, 60 anos, control"  # unlisted free text
    code = Dataset()
    code.CodeValue = "TCTORAX"
    code.CodingSchemeDesignator = "HGUGM"  # a private scheme named after the institution
    code.CodeMeaning = "TC TORAX"
    ds.ProcedureCodeSequence = Sequence([code])
    ds.ConvolutionKernel = "STANDARD"
    ds.FilterType = "BODY FILTER"
    other = Dataset()
    other.RadiationMachineName = "RM-CTLILLE07-B"  # containing the station name, nested
    other.ImageComments = "Serial L0302246"
    ds.ReferencedImageSequence = Sequence([other])
    for keyword, value in extra.items():
        setattr(ds, keyword, value)
    return ds


def _run(tmp_path: Path, ds: Dataset, profile: dict | str = PROFILE) -> tuple[Path, Path, Dataset]:
    src = write(ds, tmp_path / "in.dcm")
    dst = tmp_path / "out.dcm"
    outcome = anonymise_file(src, dst, "item", make_ctx(tmp_path / "run", profile))
    assert outcome.ok, outcome.reason
    return src, dst, pydicom.dcmread(dst)


def test_attacker_finds_no_identifier_of_the_input(tmp_path: Path) -> None:
    src, dst, out = _run(tmp_path, real_world_ct())
    assert attacker_needles(pydicom.dcmread(src))  # the search has something to look for
    assert leaks(src, dst) == []
    assert scanner_leaks(dst, identifying_values(src)) == []  # the shared scanner too


def test_device_identity_the_table_does_not_list(tmp_path: Path) -> None:
    _, _, out = _run(tmp_path, real_world_ct())
    assert out.RadiationMachineName == "ANONYMOUS"
    assert out.ReferencedImageSequence[0].RadiationMachineName == "ANONYMOUS"
    assert "02246" not in out.DetectorDescription and "Pixel 0.2" in out.DetectorDescription


def test_free_text_the_table_does_not_list_is_cleaned(tmp_path: Path) -> None:
    _, _, out = _run(tmp_path, real_world_ct())
    assert out.get("StudyComments", "") == "" and out.get("ContentDescription") != ""
    assert "60" not in out.ContentDescription and "control" in out.ContentDescription
    assert "LEFEVRE" not in out.StudyDescription.upper() and "THORAX" in out.StudyDescription


@pytest.mark.parametrize(
    "institution", ["HGUGM Madrid", "Hospital General Universitario Gregorio Marañón"]
)
def test_codes_keep_their_meaning_unless_they_name_the_site(
    tmp_path: Path, institution: str
) -> None:
    _, _, out = _run(tmp_path, real_world_ct(InstitutionName=institution))
    item = out.ProcedureCodeSequence[0]
    assert item.CodingSchemeDesignator == "ANONYMOUS"  # the institution's acronym
    assert (item.CodeValue, item.CodeMeaning) == ("TCTORAX", "TC TORAX")
    assert out.PostprocessingFunction == "ANONYMOUS"
    assert (out.FilterType, out.ConvolutionKernel) == ("BODY FILTER", "STANDARD")


def test_kept_values_keep_when_they_hold_no_identifier(tmp_path: Path) -> None:
    """Short name parts and generic words are not searched for: ordinary words stay."""
    ds = real_world_ct(PatientName="DE LA CRUZ^LI", InstitutionalDepartmentName="RADIOLOGY")
    ds.SeriesDescription = "THORAX DE FACE LI RADIOLOGY"
    ds.ContentDescription = "Lineal de la columna"
    _, _, out = _run(tmp_path, ds)
    assert out.SeriesDescription == "THORAX DE FACE LI RADIOLOGY"
    assert out.ContentDescription == "Lineal de la columna"
    assert "CRUZ" not in out.to_json()


@pytest.mark.parametrize(
    "text",
    [
        "/ 60 ANOS J.",  # Spanish, Portuguese without the tilde
        "Paciente de 60 años",
        "Patient 60 Jahre alt",
        "paziente di 60 anni",
        "patiënt 60 jaar",
        "paciente com 60 anos",
        "Edad: 60",
        "Alter: 60",
        "vom 12. März 2021",
        "el 12 de marzo de 2021",
        "il 12 marzo 2021",
        "op 12 maart 2021",
        "em 12 de março de 2021",
        "le 12/03/2021",
        "SN=L03-02246;",
        "S/N: X1234",
        "Serien-Nr. 55-A",
        "numero di serie 8812",
        "número de serie 8812",
    ],
)
def test_descriptor_patterns_in_seven_languages(text: str) -> None:
    cleaned = clean_text(text, (), None, recognise=False)
    assert not re.search(r"\d", cleaned), cleaned
    assert not re.search(r"(?<![A-Za-z])J\.", cleaned)


def test_crosscheck_rules() -> None:
    compiled = pattern(("LEFÈVRE", "MARIE", "LI", "L03-02246", "CTLILLE07", "NONE", "RADIOLOGY"))
    for text in ("Lefevre", "LEFEVRE", "lefèvre", "M. LEFEVRE", "DUPONT^LEFEVRE", "marie-anne"):
        assert holds_identifier(text, compiled), text
    for text in ("SN=L03-02246;x", "L0302246", "RM-CTLILLE07-B", "ctlille07"):
        assert holds_identifier(text, compiled), text
    for text in ("LEFEVREX", "LINEAL", "LI", "li 3", "NONE", "RADIOLOGY", "MARIEN"):
        assert not holds_identifier(text, compiled), text


@pytest.mark.parametrize(
    "text",
    ["Lefevre", "x LEFÈVRE-MARIE y", "SN=L03-02246;x", "L0302246", "LEFEVREX", "li 3", "ok", ""],
)
def test_quick_test_and_positions_agree(text: str) -> None:
    compiled = pattern(("LEFÈVRE", "MARIE ANNE", "LI", "L03-02246", "NONE"))
    assert bool(spans(text, compiled)) == holds_identifier(text, compiled)


@pytest.mark.parametrize(
    "text",
    ["50.80.103.002", "T1 FLAIR AX", "SN", "SN12345", "Field 1", "CHEST 2 LAT", "AX T2 3mm"],
)
def test_descriptor_patterns_keep_technical_text(text: str) -> None:
    assert clean_text(text, (), None, recognise=False) == text


def test_retained_device_identity_keeps_the_machine_name(tmp_path: Path) -> None:
    profile = {"extends": "default", "headers": {"retain_device_identity": True}}
    _, _, out = _run(tmp_path, real_world_ct(), profile)
    assert out.StationName == out.RadiationMachineName == "CTLILLE07"


def test_no_identifying_value_in_logs_or_counts(tmp_path: Path, caplog) -> None:
    caplog.set_level("DEBUG")
    src = write(real_world_ct(), tmp_path / "in.dcm")
    outcome = anonymise_file(src, tmp_path / "out.dcm", "item", make_ctx(tmp_path, PROFILE))
    assert outcome.ok and outcome.counts["crosscheck_hits"] >= 1
    said = _fold(" ".join([caplog.text, repr(outcome)]))
    needles = attacker_needles(pydicom.dcmread(src))
    assert [n for n in needles if found_in(said, n)] == []
