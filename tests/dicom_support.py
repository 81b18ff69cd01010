"""Small DICOM files for the raw-reading tests: Part 10 writing, pydicom's bare data sets."""

from __future__ import annotations

from pathlib import Path

import pydicom.data
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from tasks.dicom.source import RawEncoding

TEST_FILES = Path(pydicom.data.__file__).parent / "test_files"  # bundled, never downloaded
NO_META = {  # pydicom's real files without file meta, and their encodings
    "ExplVR_LitEndNoMeta.dcm": RawEncoding(implicit_vr=False, little_endian=True),
    "ExplVR_BigEndNoMeta.dcm": RawEncoding(implicit_vr=False, little_endian=False),
    "rtstruct.dcm": RawEncoding(implicit_vr=True, little_endian=True),
}


def head_of(path: Path) -> tuple[bytes, int]:
    """The first 4 KB of a file and its size (what ``raw_encoding`` looks at)."""
    data = path.read_bytes()
    return data[:4096], len(data)


def save_part10(ds: Dataset, path: Path, syntax: str = ExplicitVRLittleEndian) -> Path:
    """``ds`` as a Part 10 file (a secondary capture instance unless it says otherwise)."""
    if "SOPClassUID" not in ds:
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    if "SOPInstanceUID" not in ds:
        ds.SOPInstanceUID = "1.2.826.0.1.3680043.10.99.3"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(path, enforce_file_format=True)
    return path
