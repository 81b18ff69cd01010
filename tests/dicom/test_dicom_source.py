"""Bare data sets (no preamble, no file meta) are recognised in their encoding from their first
elements and read with the file meta they lack; files that merely start like one are not
DICOM (tasks/dicom/source.py)."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

from tasks.dicom.source import RawEncoding, SourceError, raw_encoding, read_source
from tasks.ingest.recognition import recognise_dicom
from tests.dicom_support import NO_META, TEST_FILES, head_of


@pytest.mark.parametrize("name", sorted(NO_META))
def test_bare_data_sets_are_read_in_their_encoding(name: str) -> None:
    src = TEST_FILES / name
    assert src.read_bytes()[128:132] != b"DICM"
    assert raw_encoding(*head_of(src)) == NO_META[name]
    ds = read_source(src)
    assert ds.file_meta.TransferSyntaxUID == NO_META[name].syntax
    assert ds.SOPInstanceUID == pydicom.dcmread(src, force=True).SOPInstanceUID


@pytest.mark.parametrize(
    "data",
    [
        b"\x08\x00\x05\x00" + b"junk" * 40,  # a plausible first tag, then nonsense
        b"\x08\x00\x16\x00UI\x40\x00" + b"1" * 8,  # a length past the end of the file
        b'{\n  "00080016": {"vr": "UI"}}' * 4,  # DICOM JSON is not a data set
        b"\x00\x00\x22\x38lcms" + bytes(200),  # an ICC profile
        b"\x10\x00\x10\x00PN\x04\x00DOE^" * 3,  # starts at a group no data set starts with
        b"\x08\x00\x18\x00UI\x02\x001\x00\x08\x00\x16\x00UI\x02\x002\x00" * 2,  # out of order
    ],
)
def test_files_that_only_look_like_a_data_set_are_not_dicom(data: bytes, tmp_path: Path) -> None:
    assert raw_encoding(data, len(data)) is None
    path = tmp_path / "x"
    path.write_bytes(data)
    assert recognise_dicom(path) == "ingest.not_dicom"
    with pytest.raises(SourceError):
        read_source(path)


def test_pydicom_no_meta_files_that_are_broken_stay_refused() -> None:
    for name in ("no_meta.dcm", "README.txt"):
        head = (TEST_FILES / name).read_bytes()
        assert raw_encoding(head[:4096], len(head)) is None, name


def test_a_long_early_value_does_not_hide_a_bare_data_set(tmp_path: Path) -> None:
    ds = pydicom.dcmread(TEST_FILES / "ExplVR_LitEndNoMeta.dcm", force=True)
    ds.ImageType = ["DERIVED"] * 2000  # (0008,0008) CS: 16 KB, the second element
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    path = tmp_path / "long"
    ds.save_as(path, enforce_file_format=False)  # no preamble, no file meta
    assert path.read_bytes()[128:132] != b"DICM"
    assert raw_encoding(*head_of(path)) == RawEncoding(implicit_vr=False, little_endian=True)
