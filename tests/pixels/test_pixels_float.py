"""Float and Double Float Pixel Data (Parametric Map): decoded, redacted like any image and
written back as float, NaN kept where it was (these were pixels.decode_error)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from tasks.pixels.decode import decode
from tasks.pixels.pixel_stage import redact_file
from tasks.synthetic import make_image, save
from tests.pixels_support import context, filled_boxes, outside_mask, uniform

PARAMETRIC_MAP = "1.2.840.10008.5.1.4.1.1.30"


def _parametric_map(keyword: str, dtype: str) -> tuple[pydicom.Dataset, list, np.ndarray]:
    ds, planted = make_image("MR", 256, ["DOE^JANE 1970", "ID 7788990011"], seed=5)
    values = ds.pixel_array.astype(dtype) / 7.0 - 3.5  # fractional, some negative
    values[:4, :4] = np.nan  # maps mark voxels without a fit
    del ds.PixelData
    for name in ("BitsStored", "HighBit", "PixelRepresentation", "LossyImageCompression"):
        if name in ds:
            delattr(ds, name)
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = PARAMETRIC_MAP
    ds.BitsAllocated = 32 if keyword == "FloatPixelData" else 64
    setattr(ds, keyword, values.astype(f"<{dtype[0]}{np.dtype(dtype).itemsize}").tobytes())
    return ds, planted, values


@pytest.mark.parametrize(
    ("keyword", "dtype"), [("FloatPixelData", "float32"), ("DoubleFloatPixelData", "float64")]
)
def test_float_pixel_data_is_decoded_redacted_and_kept_float(
    tmp_path: Path, keyword: str, dtype: str
) -> None:
    ds, planted, values = _parametric_map(keyword, dtype)
    src, dst = tmp_path / "pm.dcm", tmp_path / "pm.out.dcm"
    save(ds, src)
    image = decode(pydicom.dcmread(src))  # raised DecodeError("float pixel data ...")
    assert image.is_float and image.frames.dtype == np.dtype(dtype)
    assert np.array_equal(image.frames[0], values, equal_nan=True)

    ctx = context(tmp_path)
    outcome = redact_file(src, dst, "pm", ctx)
    assert outcome.ok, outcome.reason  # was pixels.decode_error
    out = pydicom.dcmread(dst)
    assert keyword in out and "PixelData" not in out and "BitsStored" not in out
    assert out[keyword].VR == ("OF" if keyword == "FloatPixelData" else "OD")
    assert out.BurnedInAnnotation == "NO"
    after = out.pixel_array
    assert after.dtype == np.dtype(dtype)
    boxes = filled_boxes(ctx, "pm")
    assert boxes, "the burned-in lines were not found"
    keep = outside_mask(after.shape, boxes, 0)
    assert np.array_equal(after[keep], values[keep], equal_nan=True)  # NaN stayed NaN
    for line in planted:  # every line, low contrast ones too
        x0, y0, x1, y1 = line.box
        assert uniform(after[y0:y1, x0:x1]), f"a {line.contrast} line survived"
