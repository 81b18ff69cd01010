"""Standard non-image objects and private SOP classes of real devices are de-identified like
images (table applied, private data removed); only objects whose payload cannot be proven
clean (documents, raw data, audio) are refused."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset

from tasks.headers.header_stage import anonymise_file
from tasks.headers.sop_classes import accepted
from tests.headers.test_headers_support import identifying_values, leaks, make_ctx

TEST_FILES = Path(pydicom.data.__file__).parent / "test_files"


def test_real_ecg_waveform_is_released_without_its_identifiers(tmp_path: Path) -> None:
    src = TEST_FILES / "waveform_ecg.dcm"  # 12-lead ECG: was headers.unsupported_sop_class
    ctx = make_ctx(tmp_path, "default")
    dst = tmp_path / "out.dcm"
    outcome = anonymise_file(src, dst, "ecg", ctx)
    assert outcome.ok, outcome.reason
    original, out = pydicom.dcmread(src), pydicom.dcmread(dst)
    assert out.SOPClassUID == original.SOPClassUID
    assert out.WaveformSequence[0].WaveformData == original.WaveformSequence[0].WaveformData
    assert not any(element.tag.is_private for element in out.iterall())
    assert out.PatientID != original.PatientID and out.PatientIdentityRemoved == "YES"
    values = identifying_values(src)
    assert values and leaks(dst, values) == []


def test_private_sop_class_of_a_real_scanner_is_released(tmp_path: Path) -> None:
    ds = pydicom.dcmread(TEST_FILES / "CT_small.dcm")  # a real CT with 179 private elements
    vendor_class = "1.2.840.113619.4.26"  # a vendor's private CT storage class
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = vendor_class
    src = tmp_path / "vendor.dcm"
    ds.save_as(src, enforce_file_format=True)
    ctx = make_ctx(tmp_path, "default")
    outcome = anonymise_file(src, tmp_path / "out.dcm", "v", ctx)
    assert outcome.ok, outcome.reason  # was headers.unsupported_sop_class
    out = pydicom.dcmread(tmp_path / "out.dcm")
    assert out.SOPClassUID == vendor_class and out.PixelData == ds.PixelData
    assert not any(element.tag.is_private for element in out.iterall())
    assert leaks(tmp_path / "out.dcm", identifying_values(src)) == []


def test_an_encapsulated_document_is_refused_in_any_class(tmp_path: Path) -> None:
    ds = pydicom.dcmread(TEST_FILES / "CT_small.dcm")
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.3.46.670589.11.0.0.12.4"
    item = Dataset()
    item.EncapsulatedDocument = b"%PDF-1.4 Jean Dupont"
    ds.ContentSequence = [item]
    src = tmp_path / "doc.dcm"
    ds.save_as(src, enforce_file_format=True)
    outcome = anonymise_file(src, tmp_path / "out.dcm", "d", make_ctx(tmp_path, "default"))
    assert (outcome.ok, outcome.reason) == (False, "headers.encapsulated_document")


@pytest.mark.parametrize(
    ("uid", "expected"),
    [
        ("1.2.840.10008.5.1.4.1.1.2", True),  # CT Image Storage
        ("1.2.840.10008.5.1.4.1.1.9.1.1", True),  # 12-lead ECG Waveform Storage
        ("1.2.840.10008.5.1.4.1.1.9.2.1", True),  # Hemodynamic Waveform Storage
        ("1.2.840.10008.5.1.4.39.1", True),  # Color Palette Storage
        ("1.2.840.10008.5.1.4.1.1.88.3", True),  # Detail SR Storage - Trial (retired)
        ("1.3.12.2.1107.5.9.1", True),  # a vendor's private non-image class
        ("1.2.840.10008.5.1.4.1.1.104.1", False),  # Encapsulated PDF Storage
        ("1.2.840.10008.5.1.4.1.1.104.2", False),  # Encapsulated CDA Storage
        ("1.2.840.10008.5.1.4.1.1.66", False),  # Raw Data Storage
        ("1.2.840.10008.5.1.4.1.1.9.4.1", False),  # Basic Voice Audio Waveform Storage
        ("1.2.840.10008.1.3.10", False),  # Media Storage Directory (DICOMDIR)
        ("1.2.840.10008.1.20.1", False),  # Storage Commitment: not an instance
        ("1.2.840.10008.5.1.4.1.1.999", False),  # unknown to the registry
        ("", False),
        ("not a uid", False),
    ],
)
def test_accepted_classes(uid: str, expected: bool) -> None:
    assert accepted(uid) is expected


def test_real_colour_palette_is_released_as_its_own_study(tmp_path: Path) -> None:
    src = Path(pydicom.data.__file__).parent / "palettes" / "hotiron.dcm"  # no patient, study
    ctx = make_ctx(tmp_path, "default")
    outcome = anonymise_file(src, tmp_path / "out.dcm", "pal", ctx)
    assert outcome.ok, outcome.reason  # was headers.unsupported_sop_class
    original, out = pydicom.dcmread(src), pydicom.dcmread(tmp_path / "out.dcm")
    for keyword in ("RedPaletteColorLookupTableData", "BluePaletteColorLookupTableData"):
        assert out[keyword].value == original[keyword].value
    assert out.StudyInstanceUID and out.SeriesInstanceUID
    assert ctx.workspace.read_flags() == {
        "pal": ["headers.generated_series_uid", "headers.generated_study_uid"]
    }
