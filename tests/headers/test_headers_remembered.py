"""What the header stage remembers or skips for speed gives the answers it would compute
afresh: the cross-check's remembered yes/no, the cleaning remembered per arguments, the
unlisted-UID pass deferring to the profile's own actions, the sidecar's clear text, the
original values read without pydicom's per-access overhead."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataelem import RawDataElement

from tasks.config.phi import PhiRecord, write_record
from tasks.config.sealed_files import phi_record_role, read_sealed
from tasks.dicom.pydicom_internals import elements
from tasks.headers import crosscheck
from tasks.headers.clean import clean_text
from tasks.headers.crosscheck import Needles, spans
from tasks.headers.header_stage import anonymise_file
from tasks.headers.study_link import as_text, text_of
from tests.headers.test_headers_support import KEY, make_ctx, synthetic_ct, write

TEXTS = [
    "Lefèvre",
    "x LEFEVRE-MARIE y",
    "SN=L03-02246;x",
    "LEFEVREX",
    "li 3",
    "T1 AX",
    "",
    "Lefèvre",
    "T1 AX",
    "word " * 80 + "lefevre",  # too long to be remembered
]


def test_remembered_answers_equal_a_fresh_search(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crosscheck, "MAX_REMEMBERED", 3)
    needles = Needles(("LEFÈVRE", "MARIE ANNE", "LI", "L03-02246"))
    for _ in range(2):  # asked afresh, then (partly) from memory
        for text in TEXTS:
            assert needles.held_by(text) == bool(spans(text, needles)), text
            assert len(needles._answers) <= 3


def test_cleaning_is_remembered_per_file_values() -> None:
    text = "TDM THORAX DUPONTEL DUPONT"
    assert clean_text(text, ("DUPONT",), None, False) == "TDM THORAX DUPONTEL"
    assert clean_text(text, ("DUPONTEL",), None, False) == "TDM THORAX DUPONT"
    assert clean_text(text, (), None, False) == text
    long = "TDM THORAX " * 100 + "DUPONT"  # too long to be remembered: cleaned all the same
    assert clean_text(long, ("DUPONT",), None, False) == long[: -len(" DUPONT")]


def test_a_profile_action_for_an_unlisted_uid_is_the_one_applied(tmp_path: Path) -> None:
    ds = synthetic_ct()
    ds.MultiFrameSourceSOPInstanceUID = "1.2.826.0.1.99.7.1"  # not in the table
    src = write(ds, tmp_path / "in.dcm")
    ctx = make_ctx(tmp_path, {"headers": {"overrides": {"MultiFrameSourceSOPInstanceUID": "K"}}})
    outcome = anonymise_file(src, tmp_path / "out.dcm", "i", ctx)
    assert outcome.ok, outcome.reason
    assert "unlisted_uids_remapped" not in outcome.counts
    out = pydicom.dcmread(tmp_path / "out.dcm")
    assert out.MultiFrameSourceSOPInstanceUID == "1.2.826.0.1.99.7.1"


def test_the_sidecar_holds_the_records_fields_as_json(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    record = PhiRecord(
        patient_id="P-1",
        pseudo_patient_id="PSEUDO",
        date_shift_days=-12,
        identifiers={"names": ["LEFÈVRE^MARIE"], "ids": ["P-1", "A7"]},
    )
    write_record(ctx.workspace, "item", record, KEY)
    clear = read_sealed(ctx.workspace.phi_path("item"), KEY, phi_record_role("item"))
    expected = json.dumps(dataclasses.asdict(record), indent=1, sort_keys=True, default=str)
    assert clear == expected.encode("utf-8")
    assert json.loads(clear)["identifiers"]["names"] == ["LEFÈVRE^MARIE"]


FILES = ["CT_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "ExplVR_BigEnd.dcm"]
CHARSETS = [
    (["", "ISO 2022 IR 87"], "Yamada^Tarou=山田^太郎=やまだ^たろう"),
    ("ISO_IR 192", "Lefèvre^Zoë"),
    ("ISO_IR 100", "Müller^Jürgen"),
]
KEYWORDS = ["SOPClassUID", "StudyInstanceUID", "PatientID", "IssuerOfPatientID", "PatientName"]
KEYWORDS += ["PatientBirthDate", "AccessionNumber", "PatientAge", "StudyDate", "StudyTime"]
KEYWORDS += ["InstitutionName", "SeriesNumber", "Modality", "SpecificCharacterSet"]


def _synthetic(tmp_path: Path, charset: str | list[str], name: str) -> Path:
    ds = synthetic_ct()
    ds.SpecificCharacterSet = charset
    ds.PatientName = name
    ds.InstitutionName = " Clinique  du Parc "  # leading and inner spaces
    ds.PatientID = "P-1 "
    ds.AccessionNumber = "A7\\ B8 "  # two values, spaces around
    return write(ds, tmp_path / "charset.dcm")


@pytest.mark.parametrize("source", FILES + CHARSETS)
def test_original_values_read_as_pydicom_reads_them(source: object, tmp_path: Path) -> None:
    """Same text and same decoded element left in the data set as pydicom's own access,
    in every transfer syntax and character set of these files."""
    if isinstance(source, str):
        path = Path(get_testdata_file(source))
    else:
        path = _synthetic(tmp_path, *source)
    fast, public = pydicom.dcmread(path), pydicom.dcmread(path)
    for keyword in KEYWORDS:
        assert text_of(fast, keyword) == as_text(public.get(keyword)), keyword
    for tag, element in elements(public).items():
        mine = elements(fast)[tag]
        assert type(mine) is type(element), tag
        if not isinstance(element, RawDataElement):
            assert (mine.VR, mine.value) == (element.VR, element.value), tag
