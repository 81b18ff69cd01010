"""Transfer syntaxes and photometric interpretations: decode, redact, write losslessly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless, RLELossless

from tasks.pixels.stage import redact_file
from tasks.synthetic import make_image, save
from tests.pixels_support import context, filled_boxes, frames_of, outside_mask, uniform

# pydicom's bundled test files: (name, expected output syntax, source was lossy)
BUNDLED = [
    ("MR_small_RLE.dcm", RLELossless, False),
    ("MR_small_jp2klossless.dcm", JPEG2000Lossless, False),
    ("MR_small_jpeg_ls_lossless.dcm", RLELossless, False),
    ("SC_rgb_jpeg_gdcm.dcm", RLELossless, False),  # JPEG lossless process 14
    ("MR_small_bigendian.dcm", ExplicitVRLittleEndian, False),
    ("image_dfl.dcm", ExplicitVRLittleEndian, False),  # deflated
    ("JPGExtended.dcm", RLELossless, True),  # lossy in: lossless out, flagged lossy
    ("JPEG2000.dcm", RLELossless, True),
    ("SC_rgb_jpeg_dcmtk.dcm", RLELossless, True),  # baseline, YBR
    ("SC_ybr_full_422_uncompressed.dcm", ExplicitVRLittleEndian, False),
    ("SC_rgb_rle_2frame.dcm", RLELossless, False),
    ("examples_palette.dcm", None, False),
    ("SC_rgb_rle_32bit.dcm", None, False),  # 32-bit: written raw, no set_pixel_data
    ("rtdose_1frame.dcm", None, False),
    ("emri_small.dcm", None, False),
]


def _bundled(name: str) -> Path:
    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"{name} is not bundled with this pydicom")
    return Path(path)


@pytest.mark.parametrize(("name", "syntax", "lossy"), BUNDLED)
def test_bundled_transfer_syntaxes(tmp_path: Path, name: str, syntax, lossy: bool) -> None:
    src, dst = _bundled(name), tmp_path / "out.dcm"
    ctx = context(tmp_path)
    outcome = redact_file(src, dst, "x", ctx)
    assert outcome.ok, outcome.reason
    out = pydicom.dcmread(dst)
    if syntax is not None:
        assert out.file_meta.TransferSyntaxUID == syntax
    assert out.BurnedInAnnotation == "NO"
    if lossy:
        assert out.LossyImageCompression == "01"
    before_ds = pydicom.dcmread(src)
    before, after = before_ds.pixel_array, out.pixel_array
    assert before.shape == after.shape
    frames = int(before_ds.get("NumberOfFrames", 1) or 1)
    rows, cols = int(out.Rows), int(out.Columns)
    shape = (frames, rows, cols) + before.shape[(3 if frames > 1 else 2) :]
    before, after = before.reshape(shape), after.reshape(shape)
    boxes = filled_boxes(ctx, "x")
    for frame in range(frames):
        keep = outside_mask((rows, cols), boxes, frame)
        assert np.array_equal(before[frame][keep], after[frame][keep])


def test_rle_and_jpeg2000_lossless_roundtrip_with_text(tmp_path: Path) -> None:
    for syntax in (RLELossless, JPEG2000Lossless):
        ds, planted = make_image("MR", 256, ["DOE^JANE 1970", "ID 7788990011"], seed=5)
        ds.compress(syntax, generate_instance_uid=False)
        src, dst = tmp_path / f"{syntax.name}.dcm", tmp_path / f"{syntax.name}.out.dcm"
        save(ds, src)
        outcome = redact_file(src, dst, "r", context(tmp_path))
        assert outcome.ok, outcome.reason
        out = pydicom.dcmread(dst)
        assert out.file_meta.TransferSyntaxUID == syntax
        after = frames_of(dst)
        for line in planted:
            x0, y0, x1, y1 = line.box
            assert uniform(after[0, y0:y1, x0:x1])


def test_signed_ct_with_rescale(tmp_path: Path) -> None:
    ds, planted = make_image("CT", 256, ["SMITH^JOHN", "19700101"], seed=2)
    values = ds.pixel_array.astype(np.int16) - 1024
    ds.PixelRepresentation = 1
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.RescaleIntercept = 0
    ds.PixelData = values.tobytes()
    src, dst = tmp_path / "ct.dcm", tmp_path / "ct.out.dcm"
    save(ds, src)
    outcome = redact_file(src, dst, "ct", context(tmp_path))
    assert outcome.ok, outcome.reason
    after = frames_of(dst)
    assert after.dtype == np.int16
    for line in [p for p in planted if p.contrast in ("high", "medium")]:
        x0, y0, x1, y1 = line.box
        assert uniform(after[0, y0:y1, x0:x1])
        assert after[0, y0, x0] == values.min()  # filled with the darkest stored value
