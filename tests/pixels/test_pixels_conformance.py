"""DICOM conformance of what the pixel stage writes: dciodvfy (dicom3tools, the checker the
release's conformance step uses) finds no error in a redacted file that its input did not
have, for each transfer syntax and photometric interpretation the stage writes."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import (
    UID,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLosslessSV1,
    JPEGLSLossless,
    RLELossless,
)

from tasks.conformance.dciodvfy import dciodvfy, iod_errors
from tasks.pixels.pixel_stage import redact_file
from tasks.synthetic import make_image, save
from tests.pixels_support import context, filled_boxes

TOOL = dciodvfy()  # dicom3tools is a dependency (pyproject.toml): missing fails, never skips
LINES = ["DOE^JANE", "ID 7788990011", "DOB 1970-01-02"]

# (modality, frames, input syntax, output syntax, photometric written)
SYNTHETIC = [
    ("CT", 1, ExplicitVRLittleEndian, ExplicitVRLittleEndian, "MONOCHROME2"),
    ("CR", 1, JPEGLSLossless, JPEGLSLossless, "MONOCHROME1"),
    ("MR", 1, JPEG2000Lossless, JPEG2000Lossless, "MONOCHROME2"),
    ("US", 3, RLELossless, RLELossless, "RGB"),
    ("SC", 1, JPEG2000Lossless, JPEG2000Lossless, "RGB"),
]

# pydicom's bundled files for what the generator cannot write: (name, input syntax,
# output syntax, photometric written)
BUNDLED = [
    ("SC_rgb_jpeg_dcmtk.dcm", JPEGBaseline8Bit, RLELossless, "RGB"),  # lossy YBR_FULL in
    ("examples_ybr_color.dcm", JPEGBaseline8Bit, RLELossless, "RGB"),  # lossy cine, 4:2:2
    ("SC_rgb_jpeg_gdcm.dcm", JPEGLosslessSV1, RLELossless, "RGB"),  # process 14
    ("SC_ybr_full_422_uncompressed.dcm", ExplicitVRLittleEndian, ExplicitVRLittleEndian, "RGB"),
    ("examples_palette.dcm", ExplicitVRLittleEndian, ExplicitVRLittleEndian, "PALETTE COLOR"),
]


def _assert_no_new_errors(src: Path, dst: Path) -> None:
    assert TOOL is not None, "dciodvfy not found: install the dicom3tools dependency"
    before, after = iod_errors(TOOL, src), iod_errors(TOOL, dst)
    assert after - before == set(), f"errors the pixel stage added: {sorted(after - before)}"


@pytest.mark.parametrize(("modality", "frames", "syntax", "written", "photometric"), SYNTHETIC)
def test_redacted_synthetic_images_add_no_conformance_error(
    tmp_path: Path, modality: str, frames: int, syntax: UID, written: UID, photometric: str
) -> None:
    ds, planted = make_image(modality, 256, LINES, frames=frames, seed=17)
    assert planted
    if syntax != ExplicitVRLittleEndian:
        ds.compress(syntax, generate_instance_uid=False)
    src, dst = tmp_path / "in.dcm", tmp_path / "out.dcm"
    save(ds, src)
    ctx = context(tmp_path)

    outcome = redact_file(src, dst, "conf", ctx)

    assert outcome.ok, outcome.reason
    assert filled_boxes(ctx, "conf"), "nothing was redacted: the pixels were not rewritten"
    out = pydicom.dcmread(dst)
    assert out.file_meta.TransferSyntaxUID == written
    assert out.PhotometricInterpretation == photometric
    _assert_no_new_errors(src, dst)


@pytest.mark.parametrize(("name", "syntax", "written", "photometric"), BUNDLED)
def test_redacted_bundled_images_add_no_conformance_error(
    tmp_path: Path, name: str, syntax: UID, written: UID, photometric: str
) -> None:
    found = get_testdata_file(name, download=False)
    assert found is not None, f"{name} is bundled with the pinned pydicom"
    src, dst = Path(found), tmp_path / "out.dcm"
    assert pydicom.dcmread(src).file_meta.TransferSyntaxUID == syntax

    outcome = redact_file(src, dst, "conf", context(tmp_path))

    assert outcome.ok, outcome.reason
    out = pydicom.dcmread(dst)
    assert out.file_meta.TransferSyntaxUID == written
    assert out.PhotometricInterpretation == photometric
    _assert_no_new_errors(src, dst)
