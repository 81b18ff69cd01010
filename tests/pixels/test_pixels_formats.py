"""Transfer syntaxes and photometric interpretations: decode, redact, write losslessly."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import (
    JPEG2000,
    UID,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

from tasks.pixels.decode import DecodedImage
from tasks.pixels.pixel_stage import redact_file
from tasks.pixels.write import output_counts, output_syntaxes, store_frames, to_bytes
from tasks.synthetic import make_image, save
from tests.pixels_support import context, filled_boxes, frames_of, outside_mask, uniform

# pydicom's bundled test files: (name, expected output syntax, source was lossy)
BUNDLED = [
    ("MR_small_RLE.dcm", RLELossless, False),
    ("MR_small_jp2klossless.dcm", JPEG2000Lossless, False),
    ("MR_small_jpeg_ls_lossless.dcm", JPEGLSLossless, False),
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
    for line in planted:  # every line, low contrast ones too
        x0, y0, x1, y1 = line.box
        assert uniform(after[0, y0:y1, x0:x1]), f"a {line.contrast} line survived"
        assert after[0, y0, x0] == values.min()  # filled with the darkest stored value


# JPEG-LS: the output keeps the input's syntax when it is lossless (pyjpegls encoder), and a
# near-lossless (lossy) input is never re-encoded lossily.
JPEG_LS_CASES = [("MR", 256, 1), ("CT", 256, 1), ("CR", 256, 1), ("SC", 256, 1), ("US", 224, 3)]
JLS_LINES = ["DOE^JANE", "ID 7788990011", "DOB 1970-01-02", "St Mary Hospital"]


def _redact_compressed(
    tmp_path: Path, modality: str, size: int, frames: int, syntax: UID, **encode: object
):
    ds, planted = make_image(modality, size, JLS_LINES, frames=frames, seed=11)
    assert len(planted) >= 3
    ds.compress(syntax, generate_instance_uid=False, **encode)
    src, dst = tmp_path / "in.dcm", tmp_path / "out.dcm"
    save(ds, src)
    ctx = context(tmp_path)
    outcome = redact_file(src, dst, "jls", ctx)
    assert outcome.ok, outcome.reason
    return src, dst, ctx, outcome, planted


def _assert_redacted_only_in_boxes(src: Path, dst: Path, ctx, planted) -> None:
    before, after = frames_of(src), frames_of(dst)
    assert before.shape == after.shape
    for line in planted:
        x0, y0, x1, y1 = line.box
        for frame in line.frames:
            assert uniform(after[frame, y0:y1, x0:x1]), f"{line.contrast} line survived"
    boxes = filled_boxes(ctx, "jls")
    for frame in range(before.shape[0]):
        keep = outside_mask(before.shape[1:3], boxes, frame)
        assert np.array_equal(before[frame][keep], after[frame][keep])


@pytest.mark.parametrize(("modality", "size", "frames"), JPEG_LS_CASES)
def test_jpeg_ls_lossless_stays_jpeg_ls(
    tmp_path: Path, modality: str, size: int, frames: int
) -> None:
    src, dst, ctx, outcome, planted = _redact_compressed(
        tmp_path, modality, size, frames, JPEGLSLossless
    )
    out = pydicom.dcmread(dst)
    assert out.file_meta.TransferSyntaxUID == JPEGLSLossless
    assert "LossyImageCompression" not in out  # nothing lossy ever happened
    assert out.BurnedInAnnotation == "NO"
    assert outcome.counts["syntax_kept"] == 1
    assert "lossless_syntax_changed" not in outcome.counts
    assert "lossy_source" not in outcome.counts
    _assert_redacted_only_in_boxes(src, dst, ctx, planted)
    raw = dst.read_bytes()
    for line in planted:  # the planted strings are pixels, never header text
        assert line.text.encode() not in raw


def test_jpeg_ls_near_lossless_becomes_rle_flagged_lossy(tmp_path: Path) -> None:
    src, dst, ctx, outcome, planted = _redact_compressed(
        tmp_path, "MR", 256, 1, JPEGLSNearLossless, jls_error=3
    )
    out = pydicom.dcmread(dst)
    assert out.file_meta.TransferSyntaxUID == RLELossless  # never lossy on top of lossy
    assert out.LossyImageCompression == "01"
    assert outcome.counts["lossy_source"] == 1
    assert "syntax_kept" not in outcome.counts
    # the redacted frames are the decoded near-lossless frames, written exactly
    _assert_redacted_only_in_boxes(src, dst, ctx, planted)


def test_jpeg_ls_lossless_with_lossy_history_keeps_syntax_and_flag(tmp_path: Path) -> None:
    ds, _ = make_image("MR", 128, ["X"], seed=3)
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionRatio = "8"
    ds.compress(JPEGLSLossless, generate_instance_uid=False)
    src, dst = tmp_path / "in.dcm", tmp_path / "out.dcm"
    save(ds, src)
    outcome = redact_file(src, dst, "h", context(tmp_path))
    assert outcome.ok, outcome.reason
    out = pydicom.dcmread(dst)
    assert out.file_meta.TransferSyntaxUID == JPEGLSLossless
    assert out.LossyImageCompression == "01"
    assert outcome.counts["lossy_source"] == 1 and outcome.counts["syntax_kept"] == 1


def test_jpeg_lossless_process14_becomes_rle_and_says_so(tmp_path: Path) -> None:
    src, dst = _bundled("SC_rgb_jpeg_gdcm.dcm"), tmp_path / "out.dcm"
    assert pydicom.dcmread(src).file_meta.TransferSyntaxUID in (JPEGLossless, JPEGLosslessSV1)
    outcome = redact_file(src, dst, "p14", context(tmp_path))
    assert outcome.ok, outcome.reason
    assert pydicom.dcmread(dst).file_meta.TransferSyntaxUID == RLELossless
    assert outcome.counts["lossless_syntax_changed"] == 1
    assert "lossy_source" not in outcome.counts


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (ExplicitVRLittleEndian, [ExplicitVRLittleEndian]),
        (ImplicitVRLittleEndian, [ImplicitVRLittleEndian]),
        (RLELossless, [RLELossless, RLELossless, ExplicitVRLittleEndian]),
        (JPEGLSLossless, [JPEGLSLossless, RLELossless, ExplicitVRLittleEndian]),
        (JPEG2000Lossless, [JPEG2000Lossless, RLELossless, ExplicitVRLittleEndian]),
        (JPEGLossless, [RLELossless, ExplicitVRLittleEndian]),
        (JPEGLosslessSV1, [RLELossless, ExplicitVRLittleEndian]),
        (JPEGLSNearLossless, [RLELossless, ExplicitVRLittleEndian]),
        (JPEG2000, [RLELossless, ExplicitVRLittleEndian]),
        (JPEGBaseline8Bit, [RLELossless, ExplicitVRLittleEndian]),
        (JPEGExtended12Bit, [RLELossless, ExplicitVRLittleEndian]),
    ],
)
def test_output_syntax_choice(source: UID, expected: list[UID]) -> None:
    assert output_syntaxes(source) == expected


# Real images the preferred encoder cannot take: JPEG-LS needs BitsStored >= 2; openjpeg
# refuses a one-row image. RLE takes both; the written bytes decode to the same frames.
REFUSED = [
    ("one_bit", JPEGLSLossless, (np.arange(48 * 64).reshape(1, 48, 64) % 2).astype(np.uint8), 1),
    ("one_row", JPEG2000Lossless, (np.arange(64).reshape(1, 1, 64) % 7).astype(np.uint8), 8),
]


@pytest.mark.parametrize(("name", "source", "frames", "bits"), REFUSED)
def test_refusing_encoder_falls_back_to_rle(
    name: str, source: UID, frames: np.ndarray, bits: int
) -> None:
    ds, _ = make_image("MR", 64, [], seed=1)
    ds.Rows, ds.Columns = frames.shape[1:3]
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, bits, bits - 1
    ds.file_meta.TransferSyntaxUID = source
    image = DecodedImage(frames, "MONOCHROME2", source, lossy_source=False)
    written = store_frames(ds, image, frames)
    assert written == RLELossless, name
    assert output_counts(image, written) == {"lossless_syntax_changed": 1}
    back = pydicom.dcmread(BytesIO(to_bytes(ds)))
    assert back.file_meta.TransferSyntaxUID == RLELossless
    assert np.array_equal(back.pixel_array.reshape(frames.shape), frames)
