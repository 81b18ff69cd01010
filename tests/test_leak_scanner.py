"""The attacker's scanner itself (tests/leak_scanner.py): what it collects from an input,
every spelling it finds, where it looks, and that findings never carry a value."""

from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

from tests.leak_scanner import LeakScanner, identifying_values


def _input() -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.77.3"
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = "1.2.826.0.1.77.3"
    ds.Modality = "CT"
    ds.PatientName = "LI^Wei"
    ds.PatientID = "7731"
    ds.PatientBirthDate = "19480229"
    ds.PatientSex = "F"
    ds.InstitutionName = "Hôpital Sainte-Anne"
    ds.StationName = "CT"  # a station named like the modality code
    nested = Dataset()
    nested.ScheduledPerformingPhysicianName = "GÉRARD^Noël^^Dr"
    request = Dataset()
    request.RequestedProcedureID = "RP-5521"
    request.ScheduledProcedureStepSequence = Sequence([nested])
    ds.RequestAttributesSequence = Sequence([request])
    block = ds.private_block(0x0011, "VENDOR X", create=True)
    block.add_new(0x01, "LO", "Ward Rosier 4")
    block.add_new(0x02, "LO", "YES")
    return ds


def _save(ds: Dataset, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def _output(**values: str) -> Dataset:
    out = Dataset()
    out.file_meta = FileMetaDataset()
    out.file_meta.MediaStorageSOPClassUID = CTImageStorage
    out.file_meta.MediaStorageSOPInstanceUID = "2.25.1"
    out.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    out.SOPClassUID, out.SOPInstanceUID, out.Modality = CTImageStorage, "2.25.1", "CT"
    out.SpecificCharacterSet = "ISO_IR 192"
    out.BodyPartExamined = "LIVER"
    for keyword, value in values.items():
        setattr(out, keyword, value)
    return out


def test_collects_names_word_by_word_ids_dates_nested_and_private_values() -> None:
    values = identifying_values(_input())
    assert {"LI^Wei", "LI", "Wei", "GÉRARD^Noël^^Dr", "GÉRARD", "Noël", "Noël GÉRARD"} <= set(
        values
    )
    assert {"7731", "RP-5521", "Hôpital Sainte-Anne", "Ward Rosier 4"} <= set(values)
    assert {"19480229", "29/02/1948", "1948-02-29", "29.02.1948"} <= set(values)
    assert values["Noël"] == "ScheduledPerformingPhysicianName"
    assert values["Ward Rosier 4"] == "private (0011,1001)"
    assert "1.2.826.0.1.77.3" in values  # an instance UID
    # named rules: honorifics alone, single characters, codes, private flags, class UIDs
    assert not {"Dr", "F", "CT", "YES", "VENDOR X", CTImageStorage} & set(values)


def test_every_spelling_is_found_in_decoded_elements(tmp_path: Path) -> None:
    scanner = LeakScanner(identifying_values(_input()))
    for text in (
        "wei li",  # order and case
        "Gerard Noel",  # accents stripped
        "NOEL-GERARD",
        "GERARD_NOEL",
        "GÉRARDNOËL",  # no separator
        "born 29.02.1948",
        "RP 5521",
        "hopital sainte anne",
    ):
        out = _save(_output(ImageComments=f"seen: {text}"), tmp_path / "o.dcm")
        assert scanner.scan_file(out), text


def test_short_values_are_whole_tokens(tmp_path: Path) -> None:
    scanner = LeakScanner(identifying_values(_input()))
    clean = _save(_output(ImageComments="LIVER 77310 CT"), tmp_path / "clean.dcm")
    assert scanner.scan_file(clean) == []  # 'LI' in LIVER, the ID in a longer number
    for text in ("Dr LI", "li, wei", "ID 7731."):
        out = _save(_output(ImageComments=text), tmp_path / "o.dcm")
        assert scanner.scan_file(out), text


def test_raw_bytes_in_utf16_latin1_and_private_elements(tmp_path: Path) -> None:
    scanner = LeakScanner(identifying_values(_input()))
    out = _output()
    block = out.private_block(0x0013, "OTHER VENDOR", create=True)
    block.add_new(0x01, "OB", "Hôpital Sainte-Anne".encode("utf-16-le"))
    path = _save(out, tmp_path / "utf16.dcm")
    assert [f.where for f in scanner.scan_file(path)] == ["bytes (utf-16-le)"]
    text = tmp_path / "export.txt"
    text.write_bytes("Patient: GÉRARD Noël".upper().encode("latin-1"))
    assert scanner.scan_file(text)
    nested = _output()
    item = Dataset()
    item.TextValue = "ward rosier 4"
    nested.ContentSequence = Sequence([Dataset(), Dataset()])
    nested.ContentSequence[1].ContentSequence = Sequence([item])
    assert scanner.scan_file(_save(nested, tmp_path / "nested.dcm"))


def test_a_tree_scan_reads_names_and_base64_and_never_prints_values(tmp_path: Path) -> None:
    values = identifying_values(_input())
    scanner = LeakScanner(values)
    root = tmp_path / "release"
    _save(_output(), root / "Li Wei" / "1.dcm")
    (root / "results").mkdir()
    (root / "results" / "blob.json").write_text('{"data": "SG9waXRhbCBTYWludGUtQW5uZQ=="}')
    (root / "clean.txt").write_text("nothing here")
    findings = scanner.scan_tree(root)
    held = sorted(scanner.in_text("Li Wei"))
    assert {values["LI"], values["Wei"]} == {scanner.sources[i] for i in held} == {"PatientName"}
    hidden = "<name with value #" + ",".join(map(str, held)) + ">"
    assert {(f.path, f.where) for f in findings} == {
        (str(root / hidden), "path name"),
        (str(root / hidden / "1.dcm"), "path name"),
        (str(root / "results" / "blob.json"), "base64 (utf-8)"),
    }
    for finding in findings:
        assert not any(value in str(finding) for value in values if len(value) > 2)
        assert scanner.sources[finding.index] == finding.source


def test_the_unprocessed_input_is_found_whole(tmp_path: Path) -> None:
    ds = _input()
    path = _save(ds, tmp_path / "in.dcm")
    scanner = LeakScanner(identifying_values(ds))
    found = {f.index for f in scanner.scan_file(path)}
    reordered = {"Wei LI", "Noël GÉRARD"}  # spellings the input does not hold
    dates = {v for v in scanner.values if not v.isdigit() and v[:2] in ("29", "02", "19")}
    expected = {i for i, v in enumerate(scanner.values) if v not in reordered | dates}
    assert expected <= found
    pydicom.dcmread(path)  # still a valid file


def test_a_short_number_inside_a_random_uuid_is_chance_not_a_leak() -> None:
    scanner = LeakScanner({"5279": "StudyID"})
    uuid_only = (
        b'{"id": "5279fba1-7175-4196-80ab-5f7bce2fe022"} '
        b"01a252a9-291d-7678-97c4-f704b61c799a5279fba1-7175-4196-80ab-5f7bce2fe022"
    )
    assert scanner.in_bytes(uuid_only, uuid_only) == {}
    leaked = uuid_only + b" study 5279 done"
    assert scanner.in_bytes(leaked, leaked) == {0: "utf-8"}
