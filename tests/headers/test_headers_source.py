"""Inputs without file meta information (pydicom's real no-meta files: explicit VR little and
big endian, implicit VR) are de-identified and released as Part 10 files (their recognition:
tests/dicom/test_dicom_source.py). Instances without Study/Series Instance UIDs get keyed,
deterministic ones when something ties them to a study, flagged in the manifest."""

from __future__ import annotations

import csv
from pathlib import Path

import pydicom
import pytest

from tasks.dicom.source import raw_encoding, read_source
from tasks.headers.header_stage import anonymise_file
from tasks.ingest.recognition import recognise_dicom
from tasks.runtime.workspace import Item
from tests.dicom_support import NO_META, TEST_FILES, head_of
from tests.headers.test_headers_support import KEY, make_ctx, synthetic_ct, write


@pytest.mark.parametrize("name", sorted(NO_META))
def test_real_files_without_file_meta_are_released_as_part10(name: str, tmp_path: Path) -> None:
    src = TEST_FILES / name
    assert src.read_bytes()[128:132] != b"DICM"
    assert raw_encoding(*head_of(src)) == NO_META[name]
    assert recognise_dicom(src) is None  # the big-endian one was "ingest.not_dicom"
    ctx = make_ctx(tmp_path, "default")
    outcome = anonymise_file(src, tmp_path / "out.dcm", "item", ctx)  # raised InvalidDicomError
    assert outcome.ok, outcome.reason
    out = pydicom.dcmread(tmp_path / "out.dcm")  # no force: a preamble and file meta
    original = pydicom.dcmread(src, force=True)
    assert out.file_meta.TransferSyntaxUID == NO_META[name].syntax
    assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID
    assert out.SOPClassUID == original.SOPClassUID
    assert out.SOPInstanceUID != original.SOPInstanceUID  # remapped like any other
    assert out.PatientID != original.get("PatientID")


def _without(tmp_path: Path, name: str, *keywords: str, **changes: str) -> Path:
    ds = synthetic_ct(**changes)
    for keyword in keywords:
        delattr(ds, keyword)
    return write(ds, tmp_path / "in" / name)


def test_missing_study_and_series_uids_are_keyed_and_deterministic(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path / "a", "default")
    first = _without(tmp_path, "1.dcm", "StudyInstanceUID", "SeriesInstanceUID")
    ds = pydicom.dcmread(first)
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.99.3.2"
    second = write(ds, tmp_path / "in" / "2.dcm")  # the same study and series, another image
    outs = []
    for index, src in enumerate((first, second)):
        outcome = anonymise_file(src, tmp_path / f"o{index}.dcm", f"d{index}", ctx)
        assert outcome.ok, outcome.reason  # was headers.missing_uid
        assert outcome.counts["generated_study_uid"] == outcome.counts["generated_series_uid"] == 1
        outs.append(pydicom.dcmread(tmp_path / f"o{index}.dcm"))
    root = ctx.profile.section("headers").uid_root.rstrip(".")
    assert outs[0].StudyInstanceUID == outs[1].StudyInstanceUID
    assert outs[0].SeriesInstanceUID == outs[1].SeriesInstanceUID
    assert outs[0].StudyInstanceUID.startswith(root + ".")
    assert outs[0].SOPInstanceUID != outs[1].SOPInstanceUID
    again = make_ctx(tmp_path / "b", "default")  # same key, another run
    anonymise_file(first, tmp_path / "again.dcm", "d0", again)
    assert pydicom.dcmread(tmp_path / "again.dcm").StudyInstanceUID == outs[0].StudyInstanceUID
    other = make_ctx(tmp_path / "c", "default", key=KEY[::-1])  # another key
    anonymise_file(first, tmp_path / "other.dcm", "d0", other)
    assert pydicom.dcmread(tmp_path / "other.dcm").StudyInstanceUID != outs[0].StudyInstanceUID

    ws = ctx.workspace  # the manifest says so (codes, no values)
    ws.write_index([Item("d0", "dicom", str(first)), Item("d1", "dicom", str(second))])
    ws.write_manifest({"d0": "dicom/a.dcm", "d1": "dicom/b.dcm"})
    with open(ws.manifest_path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["flags"] for row in rows] == [
        "headers.generated_series_uid;headers.generated_study_uid"
    ] * 2


def test_missing_series_uid_alone_is_derived_from_the_study(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "default")
    src = _without(tmp_path, "1.dcm", "SeriesInstanceUID")
    outcome = anonymise_file(src, tmp_path / "o.dcm", "d0", ctx)
    assert outcome.ok and "generated_study_uid" not in outcome.counts
    assert outcome.counts["generated_series_uid"] == 1
    assert ctx.workspace.read_flags() == {"d0": ["headers.generated_series_uid"]}


def test_a_study_uid_is_only_generated_from_what_ties_the_file_to_its_study(
    tmp_path: Path,
) -> None:
    ctx = make_ctx(tmp_path, "default")
    nothing = _without(
        tmp_path, "1.dcm", "StudyInstanceUID", "AccessionNumber", "StudyDate", accession=""
    )
    outcome = anonymise_file(nothing, tmp_path / "o.dcm", "d0", ctx)
    assert (outcome.ok, outcome.reason) == (False, "headers.missing_uid")
    assert ctx.workspace.read_flags() == {}
    dated = _without(tmp_path, "2.dcm", "StudyInstanceUID", "AccessionNumber")
    assert anonymise_file(dated, tmp_path / "o2.dcm", "d1", ctx).ok  # patient + study date


def test_file_meta_without_preamble_is_read_with_its_own_syntax(tmp_path: Path) -> None:
    src = TEST_FILES / "MR_small_implicit.dcm"  # meta: Implicit VR Little Endian data set
    data = src.read_bytes()[128 + 4 :]  # the preamble and "DICM" cut off
    path = tmp_path / "no_preamble"
    path.write_bytes(data)
    assert recognise_dicom(path) is None
    ds = read_source(path)
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ImplicitVRLittleEndian
    ctx = make_ctx(tmp_path, "default")
    assert anonymise_file(path, tmp_path / "out.dcm", "i", ctx).ok
    assert pydicom.dcmread(tmp_path / "out.dcm").Rows == ds.Rows
