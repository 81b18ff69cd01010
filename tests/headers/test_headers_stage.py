"""The header stage on a synthetic CT: each action code, each option, nested sequences,
private attributes, file meta, marking, pseudonyms, UIDs, dates, the PHI sidecar."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from tasks.config.phi import read_record
from tasks.headers.header_stage import anonymise_file
from tests.headers.test_headers_support import (
    PATIENT,
    PIXELS,
    identifying_values,
    leaks,
    make_ctx,
    synthetic_ct,
    write,
)
from tests.leak_scanner import LeakScanner

NO_NLP = {"descriptor_recognisers": False}  # fast tests; one test below uses the recognisers


def run(tmp_path: Path, profile="default", ds: Dataset | None = None, key=None, name="in"):
    ctx = make_ctx(tmp_path, profile) if key is None else make_ctx(tmp_path, profile, key)
    src = write(ds if ds is not None else synthetic_ct(), tmp_path / f"{name}.dcm")
    dst = tmp_path / "work" / f"{name}.out.dcm"
    outcome = anonymise_file(src, dst, name, ctx)
    return outcome, dst, ctx


def test_default_profile_output_is_valid_and_leaks_nothing(tmp_path: Path) -> None:
    outcome, dst, ctx = run(tmp_path, {"headers": NO_NLP})
    assert outcome.ok, outcome.reason
    out = pydicom.dcmread(dst)
    assert out.PixelData == PIXELS  # byte-identical pixel data
    assert leaks(dst, identifying_values(tmp_path / "in.dcm")) == []
    assert out.PatientIdentityRemoved == "YES"
    assert out.LongitudinalTemporalInformationModified == "MODIFIED"
    codes = {item.CodeValue for item in out.DeidentificationMethodCodeSequence}
    assert codes == {"113100", "113105", "113107", "113101"}
    assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID
    assert "SourceApplicationEntityTitle" not in out.file_meta
    assert outcome.release_name == (
        f"dicom/{out.PatientID}/{out.StudyInstanceUID}/{out.SeriesInstanceUID}/"
        f"{out.SOPInstanceUID}.dcm"
    )


@pytest.mark.parametrize("profile", ["basic", "fidac"])
def test_every_profile_leaks_nothing_the_attacker_searches(tmp_path: Path, profile: str) -> None:
    """basic removes free-text comments, so their whole values are searched as well."""
    settings = {"extends": profile, "headers": NO_NLP} if profile != "basic" else profile
    outcome, dst, _ = run(tmp_path, settings)
    assert outcome.ok, outcome.reason
    values = identifying_values(tmp_path / "in.dcm", profile)
    history = "Patient DUPONT JEAN MARIE ne le 14/03/1952"  # AdditionalPatientHistory
    assert (history in values) == (profile == "basic")  # fidac keeps it cleaned
    assert leaks(dst, values) == []


def test_action_codes(tmp_path: Path) -> None:
    headers = {**NO_NLP, "dates": {"mode": "remove"}, "clean_descriptors": False}
    _, dst, _ = run(tmp_path, {"headers": headers})
    out = pydicom.dcmread(dst)
    assert "PatientAddress" not in out and "OtherPatientIDs" not in out  # X
    assert "InstitutionAddress" not in out
    assert out.PatientSex == "" and out.PatientBirthDate == ""  # Z
    assert out.StudyDate == ""  # Z (dates removed)
    assert out.SeriesDate == "19000101"  # X/D -> D, dummy date
    assert out.OperatorsName == "ANONYMOUS"  # X/Z/D -> D
    assert out.Modality == "CT" and out.Rows == 64  # K (not in the table)
    assert out.StudyInstanceUID.startswith("2.25.") and out.StudyInstanceUID != "1.2.826.0.1.99.1"
    assert "StudyDescription" not in out  # X without Clean Descriptors
    assert "LongitudinalTemporalInformationModified" in out
    assert out.LongitudinalTemporalInformationModified == "REMOVED"


def test_clean_descriptors_removes_own_identifiers_in_all_spellings(tmp_path: Path) -> None:
    ds = synthetic_ct()
    ds.SeriesDescription = "Thorax Jean Dupont 12/03/2021 PID778899 CHU DE LILLE"
    ds.ProtocolName = "protocole dupont, jean"
    _, dst, _ = run(tmp_path, {"headers": NO_NLP}, ds)
    out = pydicom.dcmread(dst)
    assert out.SeriesDescription == "Thorax"
    assert out.StudyDescription == "TDM THORAX du"
    assert out.ProtocolName.strip(" ,") == "protocole"
    assert out.ImageComments == "Controle"
    assert "Patient" in out.AdditionalPatientHistory and "1952" not in out.AdditionalPatientHistory


def test_a_truncated_name_at_the_end_of_a_descriptor_is_dropped(tmp_path: Path) -> None:
    ds = synthetic_ct()
    ds.StudyDescription = "XR CHEST AP PORTABLE for Jean Dupon"
    _, dst, _ = run(tmp_path, {"headers": NO_NLP}, ds)
    assert pydicom.dcmread(dst).StudyDescription == "XR CHEST AP PORTABLE for"


@pytest.mark.skipif(
    importlib.util.find_spec("tasks.reports.api") is None, reason="report recognisers absent"
)
def test_descriptors_also_lose_what_the_report_recognisers_find(tmp_path: Path) -> None:
    ds = synthetic_ct()
    ds.SeriesDescription = "Controle chez M. Bernard LEFEBVRE"  # not this patient's name
    _, dst, _ = run(tmp_path, "default", ds)
    assert "LEFEBVRE" not in pydicom.dcmread(dst).SeriesDescription


def test_nested_sequences_three_deep(tmp_path: Path) -> None:
    _, dst, _ = run(tmp_path, {"headers": {**NO_NLP, "retain_uids": False}})
    out = pydicom.dcmread(dst)
    assert "ReferencedStudySequence" not in out  # X/Z on a (Type 3) sequence: removed
    ds = synthetic_ct()
    ds.ReferencedStudySequence[0].ReferencedImageSequence = Sequence([Dataset()])
    deep = ds.ReferencedStudySequence[0].SourceImageSequence[0].ReferencedImageSequence[0]
    # a kept (unlisted) sequence holding listed attributes three levels down
    keep = Dataset()
    keep.ReferencedSeriesSequence = Sequence([Dataset()])
    keep.ReferencedSeriesSequence[0].ReferencedInstanceSequence = Sequence([deep])
    keep.ReferencedSeriesSequence[0].SeriesInstanceUID = "1.2.826.0.1.99.2"
    ds.add_new(0x0008114A, "SQ", Sequence([keep]))  # ReferencedInstanceSequence
    _, dst, _ = run(tmp_path / "b", {"headers": NO_NLP}, ds)
    out = pydicom.dcmread(dst)
    level2 = out[0x0008114A][0].ReferencedSeriesSequence[0]
    level3 = level2.ReferencedInstanceSequence[0]
    assert level2.SeriesInstanceUID == out.SeriesInstanceUID  # referential integrity
    assert level3.ReferencedSOPInstanceUID.startswith("2.25.")
    assert level3.PersonName == "ANONYMOUS"  # D at depth 3
    assert level3.ContentDate == out.ContentDate  # shifted like the top level
    assert level3.ContentDate != PATIENT["study_date"]


def test_private_attributes_removed_lo_un_and_sequences(tmp_path: Path) -> None:
    _, dst, _ = run(tmp_path, {"headers": NO_NLP})
    out = pydicom.dcmread(dst)
    assert not [e for e in out.iterall() if e.tag.is_private]
    assert not [e for e in out if e.tag.group in (0x5000, 0x6000)]  # curves, overlays


def test_retain_safe_private_keeps_only_listed_private_attributes(tmp_path: Path) -> None:
    safe = [{"creator": "ACME PRIVATE", "group": 0x0009, "element": 0x03}]
    headers = {**NO_NLP, "retain_safe_private": True, "safe_private": safe}
    outcome, dst, _ = run(tmp_path, {"headers": headers})
    out = pydicom.dcmread(dst)
    private = {e.tag: e.value for e in out if e.tag.is_private}
    assert private == {0x00090010: "ACME PRIVATE", 0x00091003: "SAFE SETTING"}
    assert outcome.counts["safe_private_kept"] == 1
    codes = {item.CodeValue for item in out.DeidentificationMethodCodeSequence}
    assert "113111" in codes


def test_private_tags_from_implicit_vr_files_unknown_vr(tmp_path: Path) -> None:
    ds = synthetic_ct()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
    _, dst, _ = run(tmp_path, {"headers": NO_NLP}, ds)
    out = pydicom.dcmread(dst)
    assert not [e for e in out.iterall() if e.tag.is_private]
    assert out.file_meta.TransferSyntaxUID == pydicom.uid.ImplicitVRLittleEndian
    assert out.PixelData == PIXELS


@pytest.mark.parametrize(
    ("headers", "check"),
    [
        ({"retain_uids": True}, lambda o: o.StudyInstanceUID == "1.2.826.0.1.99.1"),
        ({"retain_device_identity": True}, lambda o: o.DeviceSerialNumber == "SN-99812"),
        ({"retain_institution_identity": True}, lambda o: o.InstitutionName == "CHU de Lille"),
        ({"retain_patient_characteristics": True}, lambda o: o.PatientSex == "M"),
        ({"dates": {"mode": "keep"}}, lambda o: o.StudyDate == "20210312"),
        ({"keep_device_description": True}, lambda o: o.ManufacturerModelName == "SCANMASTER 9000"),
        ({"clean_descriptors": False}, lambda o: "SeriesDescription" not in o),
        ({"pseudonyms": {"enabled": False}}, lambda o: o.AccessionNumber == ""),
        ({"uid_root": "1.2.3.4"}, lambda o: o.SOPInstanceUID.startswith("1.2.3.4.")),
        ({"overrides": {"PatientWeight": "K"}}, lambda o: o.PatientWeight == 71.5),
    ],
)
def test_each_option_in_a_file(tmp_path: Path, headers: dict, check) -> None:
    _, dst, _ = run(tmp_path, {"headers": {**NO_NLP, **headers}})
    out = pydicom.dcmread(dst)
    assert check(out)
    assert out.PixelData == PIXELS


def test_clean_structured_content_keeps_sr_text_without_identifiers(tmp_path: Path) -> None:
    ds = synthetic_ct()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.33"
    item = Dataset()
    item.ValueType, item.RelationshipType = "TEXT", "CONTAINS"
    item.TextValue = "Patient Jean DUPONT seen on 2021-03-12, no nodule"
    ds.ContentSequence = Sequence([item])
    _, dst, _ = run(tmp_path, {"headers": {**NO_NLP, "clean_structured_content": True}}, ds)
    assert pydicom.dcmread(dst).ContentSequence[0].TextValue == "Patient seen on , no nodule"
    _, dst, _ = run(tmp_path / "d", {"headers": NO_NLP}, ds)  # D: dummy text
    assert pydicom.dcmread(dst).ContentSequence[0].TextValue == "ANONYMOUS"


def test_same_input_same_output_across_files_and_runs_with_the_same_key(tmp_path: Path) -> None:
    _, a, _ = run(tmp_path / "a", {"headers": NO_NLP})
    _, b, _ = run(tmp_path / "b", {"headers": NO_NLP}, synthetic_ct(sop="1.2.826.0.1.99.3.2"))
    _, c, _ = run(tmp_path / "c", {"headers": NO_NLP}, key=b"another-key-0123456789abcdef")
    a, b, c = (pydicom.dcmread(p) for p in (a, b, c))
    for keyword in (
        "StudyInstanceUID",
        "SeriesInstanceUID",
        "FrameOfReferenceUID",
        "PatientID",
        "AccessionNumber",
        "StudyDate",
    ):
        assert a.get(keyword) == b.get(keyword), keyword
        assert a.get(keyword) != c.get(keyword), keyword
    assert a.SOPInstanceUID != b.SOPInstanceUID
    assert len(a.SOPInstanceUID) <= 64


def test_different_patients_get_different_pseudonyms_and_shifts(tmp_path: Path) -> None:
    _, a, ctx_a = run(tmp_path / "a", {"headers": NO_NLP})
    other = synthetic_ct(id="PID000111", name="MARTIN^LUC", accession="ACC1")
    _, b, ctx_b = run(tmp_path / "b", {"headers": NO_NLP}, other)
    ra = read_record(ctx_a.workspace, "in", ctx_a.key)
    rb = read_record(ctx_b.workspace, "in", ctx_b.key)
    assert ra.pseudo_patient_id != rb.pseudo_patient_id
    assert ra.pseudo_accession != rb.pseudo_accession
    assert -730 <= ra.date_shift_days <= -1 and -730 <= rb.date_shift_days <= -1


def test_phi_record_holds_originals_and_pseudonyms(tmp_path: Path) -> None:
    _, dst, ctx = run(tmp_path, {"headers": NO_NLP})
    out = pydicom.dcmread(dst)
    record = read_record(ctx.workspace, "in", ctx.key)
    assert record.patient_id == PATIENT["id"] and record.accession == PATIENT["accession"]
    assert record.pseudo_patient_id == out.PatientID
    assert record.pseudo_accession == out.AccessionNumber
    assert record.new_study_uid == out.StudyInstanceUID
    assert record.study_uid == "1.2.826.0.1.99.1" and record.birth_date == PATIENT["birth"]
    names = record.identifiers["names"]
    for spelling in (
        "DUPONT^JEAN^MARIE",
        "Jean Dupont",
        "DUPONT JEAN",
        "DUPONT",
        "JEAN",
        "MARIE",
        "MARTIN^CLAIRE",
        "NESTED",
        "DEEPER",
    ):
        assert spelling in names, spelling
    assert {"20210312", "19520314"} <= set(record.identifiers["dates"])
    assert "CHU de Lille" in record.identifiers["institutions"]
    assert {"PID778899", "ACC556677", "OLD-4455"} <= set(record.identifiers["ids"])
    assert "12 rue des Lilas, Roubaix" in record.identifiers["other"]
    assert out.StudyDate != PATIENT["study_date"]


def test_unsupported_or_missing_sop_class_is_refused(tmp_path: Path) -> None:
    ds = synthetic_ct()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.104.1"  # Encapsulated PDF
    outcome, dst, _ = run(tmp_path, {"headers": NO_NLP}, ds)
    assert (outcome.ok, outcome.reason) == (False, "headers.unsupported_sop_class")
    ds = synthetic_ct()
    del ds.SOPClassUID
    outcome, _, _ = run(tmp_path / "b", {"headers": NO_NLP}, ds)
    assert (outcome.ok, outcome.reason) == (False, "headers.unsupported_sop_class")


def test_unreadable_input_raises(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    src = tmp_path / "junk.dcm"
    src.write_bytes(b"not dicom at all")
    with pytest.raises(Exception):  # noqa: B017 - the runner quarantines any exception
        anonymise_file(src, tmp_path / "o.dcm", "j", ctx)


def test_leak_search_is_not_blind(tmp_path: Path) -> None:
    src = write(synthetic_ct(), tmp_path / "in.dcm")
    values = identifying_values(src)
    scanner = LeakScanner(values)
    found = {scanner.values[f.index] for f in scanner.scan_file(src)}
    planted = {"DUPONT^JEAN^MARIE", "PID778899", "CHU de Lille", "20210312", "JEAN", "CLAIRE"}
    assert planted | {"14/03/1952", "CTLILLE07", "SN-99812", "SAFE SETTING"} <= found
    assert {"PAUL", "DOC"} <= set(values)  # first names and short words are searched


def test_clean_graphics_cleans_annotation_text_else_dummy(tmp_path: Path) -> None:
    ds = synthetic_ct()
    text = Dataset()
    text.UnformattedTextValue = "Dr MARTIN for DUPONT Jean"
    annotation = Dataset()
    annotation.GraphicLayer = "LAYER1"
    annotation.TextObjectSequence = Sequence([text])
    ds.GraphicAnnotationSequence = Sequence([annotation])
    _, dst, _ = run(tmp_path, {"headers": {**NO_NLP, "clean_graphics": True}}, ds)
    out = pydicom.dcmread(dst).GraphicAnnotationSequence[0]
    assert out.TextObjectSequence[0].UnformattedTextValue == "Dr for"
    assert out.GraphicLayer == "LAYER1"
    _, dst, _ = run(tmp_path / "d", {"headers": NO_NLP}, ds)
    out = pydicom.dcmread(dst).GraphicAnnotationSequence[0]
    assert out.TextObjectSequence[0].UnformattedTextValue == "ANONYMOUS"


def test_standard_attributes_stored_with_un_vr_are_still_processed(tmp_path: Path) -> None:
    ds = synthetic_ct()
    del ds.PatientName, ds.StudyDate, ds.InstitutionName
    ds.add_new(0x00100010, "UN", b"DUPONT^JEAN^MARIE ")
    ds.add_new(0x00080020, "UN", b"20210312")
    ds.add_new(0x00080080, "UN", b"CHU de Lille")
    _, dst, _ = run(tmp_path, {"headers": NO_NLP}, ds)
    out = pydicom.dcmread(dst)
    assert leaks(dst, identifying_values(tmp_path / "in.dcm")) == []
    assert out.PatientName == out.PatientID
    assert out.StudyDate != "20210312" and len(out.StudyDate) == 8


def test_accented_names_in_latin1_are_found_in_every_spelling(tmp_path: Path) -> None:
    ds = synthetic_ct(name="LEFÈVRE^HÉLÈNE")
    ds.SeriesDescription = "Thorax Hélène Lefèvre"
    _, dst, ctx = run(tmp_path, {"headers": NO_NLP}, ds)
    out = pydicom.dcmread(dst)
    assert out.SeriesDescription == "Thorax"
    assert leaks(dst, identifying_values(tmp_path / "in.dcm")) == []
    assert "Hélène Lefèvre" in read_record(ctx.workspace, "in", ctx.key).identifiers["names"]


def test_an_already_deidentified_input_keeps_its_method_history(tmp_path: Path) -> None:
    ds = synthetic_ct()
    ds.DeidentificationMethod = "Site export tool 2.1"
    earlier = Dataset()
    earlier.CodeValue, earlier.CodingSchemeDesignator = "113100", "DCM"
    earlier.CodeMeaning = "Basic Application Confidentiality Profile"
    ds.DeidentificationMethodCodeSequence = Sequence([earlier])
    _, dst, _ = run(tmp_path, {"headers": NO_NLP}, ds)
    out = pydicom.dcmread(dst)
    assert out.DeidentificationMethod[0] == "Site export tool 2.1"
    values = [item.CodeValue for item in out.DeidentificationMethodCodeSequence]
    assert sorted(values) == ["113100", "113101", "113105", "113107"]
