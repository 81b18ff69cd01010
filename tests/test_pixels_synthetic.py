"""Synthetic images with planted text: every planted line's pixels are gone, nothing else
changed outside the filled boxes, BurnedInAnnotation flipped only after verification."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from tasks.pixels.stage import redact_file
from tasks.synthetic import make_image, save
from tests.pixels_support import context, filled_boxes, frames_of, outside_mask, uniform

LINES = [
    "DUPONT^JEAN",
    "PID 0012345678",
    "Né le 12/03/1976",
    "CHU de Lille",
    "ACC A998877",
    "Dr MARTIN Paul",
]

CASES = [("CT", 384, 1), ("MR", 384, 1), ("CR", 384, 1), ("SC", 384, 1), ("US", 320, 3)]


@pytest.mark.parametrize(("modality", "size", "frames"), CASES)
def test_planted_text_is_gone_and_nothing_else_changed(
    tmp_path: Path, modality: str, size: int, frames: int
) -> None:
    ds, planted = make_image(modality, size, LINES, frames=frames, seed=7)
    assert len(planted) >= 4
    src, dst = tmp_path / "in.dcm", tmp_path / "out.dcm"
    save(ds, src)
    ctx = context(tmp_path)

    outcome = redact_file(src, dst, "item1", ctx)

    assert outcome.ok, outcome.reason
    assert outcome.counts["frames"] == frames
    before, after = frames_of(src), frames_of(dst)
    assert before.shape == after.shape
    boxes = filled_boxes(ctx, "item1")
    found = 0
    for line in planted:
        x0, y0, x1, y1 = line.box
        gone = all(uniform(after[f, y0:y1, x0:x1]) for f in line.frames)
        found += gone
        if line.contrast in ("high", "medium"):  # clearly visible text must always go
            assert gone, f"{modality}: a {line.font_px}px {line.contrast} line survived"
    assert found >= len(planted) - 1
    for frame in range(frames):
        keep = outside_mask(after.shape[1:3], boxes, frame)
        assert np.array_equal(before[frame][keep], after[frame][keep])
    out = pydicom.dcmread(dst)
    assert out.BurnedInAnnotation == "NO"
    assert out.SOPInstanceUID == ds.SOPInstanceUID


def test_windowed_out_text_is_found_by_the_full_range_rendering(tmp_path: Path) -> None:
    # CT text at -524 HU on air: black in the 40/400 window, visible only in full range
    lines = ["HIDDEN NAME ONE", "HIDDEN NAME TWO", "HIDDEN NAME 3", "HIDDEN NAME 4", "X 5"]
    ds, planted = make_image("CT", 384, lines, seed=3)
    hidden = [p for p in planted if p.contrast == "windowed_out"]
    assert hidden
    src, dst = tmp_path / "in.dcm", tmp_path / "out.dcm"
    save(ds, src)
    outcome = redact_file(src, dst, "ct", context(tmp_path))
    assert outcome.ok
    after = frames_of(dst)
    for line in hidden:
        x0, y0, x1, y1 = line.box
        assert uniform(after[0, y0:y1, x0:x1])


def test_generator_is_deterministic_and_boxes_hold_ink() -> None:
    first, planted = make_image("MR", 256, ["ABC 123", "DEF 456"], seed=11)
    second, planted_again = make_image("MR", 256, ["ABC 123", "DEF 456"], seed=11)
    assert planted == planted_again
    assert first.PixelData == second.PixelData
    blank, _ = make_image("MR", 256, [], seed=11)
    diff = first.pixel_array != blank.pixel_array
    for line in planted:
        x0, y0, x1, y1 = line.box
        assert diff[y0:y1, x0:x1].any()
    inside = np.zeros_like(diff)
    for line in planted:
        x0, y0, x1, y1 = line.box
        inside[y0:y1, x0:x1] = True
    assert not diff[~inside].any()  # all ink lies inside the reported boxes
