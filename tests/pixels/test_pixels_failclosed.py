"""Fail closed: anything that cannot be decoded, read or proven clean goes to quarantine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGBaseline8Bit, RLELossless

from tasks.pixels.pixel_stage import redact_file
from tasks.runtime.stage_contract import run_file_stage
from tasks.runtime.workspace import Item, ItemResult
from tasks.synthetic import make_image, save
from tests.pixels_support import context


def _image(tmp_path: Path, name: str = "in.dcm") -> tuple[Path, pydicom.Dataset]:
    ds, _ = make_image("MR", 128, ["DOE^JANE"], seed=1)
    return tmp_path / name, ds


def test_truncated_rle_is_a_decode_error(tmp_path: Path) -> None:
    path, ds = _image(tmp_path)
    ds.compress(RLELossless, generate_instance_uid=False)
    ds.PixelData = ds.PixelData[: len(ds.PixelData) // 3] + b"\x00" * 3
    save(ds, path)
    outcome = redact_file(path, tmp_path / "out.dcm", "a", context(tmp_path))
    assert not outcome.ok
    assert outcome.reason == "pixels.decode_error"
    assert not (tmp_path / "out.dcm").exists()


def test_garbage_jpeg_is_a_decode_error(tmp_path: Path) -> None:
    path, ds = _image(tmp_path)
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelData = encapsulate([np.random.default_rng(0).bytes(4000)])
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    save(ds, path)
    outcome = redact_file(path, tmp_path / "out.dcm", "b", context(tmp_path))
    assert outcome.reason == "pixels.decode_error"


def test_frame_count_mismatch_is_a_decode_error(tmp_path: Path) -> None:
    path, ds = _image(tmp_path)
    ds.NumberOfFrames = 3  # but one frame of data
    save(ds, path)
    outcome = redact_file(path, tmp_path / "out.dcm", "c", context(tmp_path))
    assert outcome.reason == "pixels.decode_error"


def test_float_pixel_data_that_does_not_match_the_geometry_is_refused(tmp_path: Path) -> None:
    path, ds = _image(tmp_path)  # BitsAllocated 16: float32 data holds twice the frames
    del ds.PixelData
    ds.FloatPixelData = np.zeros((128, 128), np.float32).tobytes()
    save(ds, path)
    outcome = redact_file(path, tmp_path / "out.dcm", "d", context(tmp_path))
    assert outcome.reason == "pixels.decode_error"


def test_not_dicom_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "junk.dcm"
    path.write_bytes(b"not a dicom file at all" * 10)
    outcome = redact_file(path, tmp_path / "out.dcm", "e", context(tmp_path))
    assert outcome.reason == "pixels.unreadable"


def _two_frames_text_on_second(tmp_path: Path) -> tuple[Path, tuple[int, int, int, int]]:
    blank, _ = make_image("US", 256, [], frames=2, seed=9)
    texted, planted = make_image("US", 256, ["LATE NAME", "ID 5566778899"], frames=2, seed=9)
    frames = blank.pixel_array.copy()
    frames[1] = texted.pixel_array[1]
    blank.PixelData = frames.tobytes()
    path = tmp_path / "cine.dcm"
    save(blank, path)
    assert planted
    return path, planted[0].box


def test_text_left_after_the_last_pass_quarantines(tmp_path: Path) -> None:
    # pass 1 looks at frame 0 only; text that only frame 1 carries is found by verification
    path, _ = _two_frames_text_on_second(tmp_path)
    ctx = context(tmp_path, max_rounds=2)  # ... and no pass is left to redact and re-check
    outcome = redact_file(path, tmp_path / "out.dcm", "f", ctx)
    assert outcome.reason == "pixels.text_remaining"
    assert not (tmp_path / "out.dcm").exists()


def test_text_found_by_verification_is_redacted_on_its_frame(tmp_path: Path) -> None:
    path, (x0, y0, x1, y1) = _two_frames_text_on_second(tmp_path)
    outcome = redact_file(path, tmp_path / "out.dcm", "g", context(tmp_path, max_rounds=3))
    assert outcome.ok, outcome.reason
    before = pydicom.dcmread(path).pixel_array
    after = pydicom.dcmread(tmp_path / "out.dcm").pixel_array
    assert np.array_equal(before[0], after[0])
    region = after[1, y0:y1, x0:x1].reshape(-1, 3)
    assert (region == region[0]).all()


def test_run_file_stage_quarantines_with_the_reason(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    ws = ctx.workspace
    good, good_ds = _image(tmp_path, "good.dcm")
    save(good_ds, good)
    bad, bad_ds = _image(tmp_path, "bad.dcm")
    bad_ds.NumberOfFrames = 2
    save(bad_ds, bad)
    ws.write_index([Item("good", "dicom", str(good)), Item("bad", "dicom", str(bad))])
    header_out = ws.stage_dir("headers")
    header_out.mkdir(parents=True)
    results = []
    for item_id, path in (("good", good), ("bad", bad)):
        target = header_out / f"{item_id}.dcm"
        target.write_bytes(path.read_bytes())
        results.append(ItemResult(item_id, True, ws.relative(target)))
    ws.write_results("headers", "dicom-0000", results)

    counts = run_file_stage(ctx, "pixels", "dicom-0000", "headers", redact_file)

    assert counts["ok"] == 1 and counts["quarantined"] == 1
    reason = json.loads((ws.quarantine_dir / "bad.reason.json").read_text())
    assert reason["reason"] == "pixels.decode_error"
    assert (ws.stage_dir("pixels") / "good.dcm").exists()
    assert not (ws.stage_dir("pixels") / "bad.dcm").exists()


def test_cine_frame_with_extra_text_far_from_the_shared_fills(tmp_path: Path) -> None:
    # frame 0 carries one line, frame 1 the same line plus another one elsewhere: the
    # second is found on frame 1's first look even though frame 1 already has fills
    one, first = make_image("US", 320, ["PATIENT NAME"], frames=2, seed=12)
    two, both = make_image("US", 320, ["PATIENT NAME", "ID 99887766"], frames=2, seed=12)
    assert first[0].box == both[0].box and len(both) == 2
    frames = one.pixel_array.copy()
    frames[1] = two.pixel_array[1]
    one.PixelData = frames.tobytes()
    path = tmp_path / "cine2.dcm"
    save(one, path)
    outcome = redact_file(path, tmp_path / "out.dcm", "h", context(tmp_path))
    assert outcome.ok, outcome.reason
    after = pydicom.dcmread(tmp_path / "out.dcm").pixel_array
    for frame, line in ((0, both[0]), (1, both[0]), (1, both[1])):
        x0, y0, x1, y1 = line.box
        region = after[frame, y0:y1, x0:x1].reshape(-1, 3)
        assert (region == region[0]).all()
