"""Synthetic images with planted text: every planted line's pixels are gone, nothing else
changed outside the filled boxes, BurnedInAnnotation flipped only after verification."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from tasks.pixels.pixel_stage import redact_file
from tasks.synthetic import make_image, save
from tests.pixels_support import (
    assert_lines_gone_rest_kept,
    context,
    filled_boxes,
    frames_of,
    outside_mask,
    uniform,
)

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
    for line in planted:  # every line, low contrast and windowed-out ones too
        x0, y0, x1, y1 = line.box
        gone = all(uniform(after[f, y0:y1, x0:x1]) for f in line.frames)
        assert gone, f"{modality}: a {line.font_px}px {line.contrast} line survived"
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


# Large frames (scan.second_look, scan.detect_coarse): cases taken from bench/pixels.py's
# 1024 px sets where the full-size detection alone missed PHI (see tasks/pixels/README.md).
LARGE_CASES = [
    # a faint 9 px line over anatomy: the detector found "A2592982" but not "Acc"
    (
        "CT",
        5005,
        ["ID 5308118065", "DOB 17/11/2015", "CHU de Lille", "Acc A2592982"],
        "Acc A2592982",
    ),
    # three plain header lines that the full-size detection of this frame does not see
    (
        "SC",
        6008,
        ["Radiologie B", "Acc A6549434", "ID 5198927121", "5 cm", "CHU de Lille"],
        "Radiologie B",
    ),
]


@pytest.mark.parametrize(("modality", "seed", "lines", "hard"), LARGE_CASES)
def test_large_frames_lose_their_hard_lines(
    tmp_path: Path, modality: str, seed: int, lines: list[str], hard: str
) -> None:
    ds, planted = make_image(modality, 1024, lines, seed=seed)
    assert hard in {line.text for line in planted}
    src, dst = tmp_path / "in.dcm", tmp_path / "out.dcm"
    save(ds, src)
    ctx = context(tmp_path)

    outcome = redact_file(src, dst, "big", ctx)

    assert outcome.ok, outcome.reason
    assert_lines_gone_rest_kept(src, dst, planted, ctx, "big")


def test_the_profile_can_turn_the_second_look_off(tmp_path: Path) -> None:
    """The profile's second_look_min_side / coarse_side reach the scan: with both off, the
    faint 9 px line of the first large case is only partly redacted (why they default on).
    Following the ink (follow_ink) also completes that line, so it is off here too."""
    modality, seed, lines, hard = LARGE_CASES[0]
    ds, planted = make_image(modality, 1024, lines, seed=seed)
    src, dst = tmp_path / "in.dcm", tmp_path / "out.dcm"
    save(ds, src)
    ctx = context(tmp_path, second_look_min_side=0, coarse_side=0, follow_ink=False)
    outcome = redact_file(src, dst, "big", ctx)
    assert outcome.ok, outcome.reason  # released: the source is not what is judged
    after = frames_of(dst)
    [line] = [line for line in planted if line.text == hard]
    x0, y0, x1, y1 = line.box
    assert not uniform(after[0, y0:y1, x0:x1])


def test_second_look_completes_a_partial_line_and_confirms_nothing_on_anatomy() -> None:
    from tasks.pixels.boxes import Box
    from tasks.pixels.decode import decode
    from tasks.pixels.ocr import get_engine
    from tasks.pixels.pixel_settings import PixelProfile
    from tasks.pixels.pixel_stage import detector_settings
    from tasks.pixels.render import Renderer
    from tasks.pixels.scan import second_look

    ds, planted = make_image("CT", 1024, LARGE_CASES[0][2], seed=5005)
    line = next(p for p in planted if p.text == "Acc A2592982")
    image = decode(ds)
    viewer = Renderer.for_dataset(ds, image.photometric, True).renderings(image.frames[0])[0]
    engine = get_engine(detector_settings(PixelProfile()))
    x0, y0, x1, y1 = line.box
    partial = Box(x0 + 20, y0 - 4, x1 + 2, y1 + 3, 0.7)  # what full-size detection found

    completed = second_look(engine, viewer, [partial], [])

    covered = np.zeros(viewer.shape, dtype=bool)
    for box in completed:
        covered[box.y0 : box.y1, box.x0 : box.x1] = True
    assert covered[y0:y1, x0:x1].all()
    # a candidate on plain soft tissue (no text anywhere near) is not confirmed
    tissue = Box(480, 640, 500, 652, 0.3)
    assert not any(tissue.intersects(Box(*p.box)) for p in planted)
    assert second_look(engine, viewer, [], [tissue]) == []


def test_coarse_view_finds_header_lines_in_frame_coordinates() -> None:
    from tasks.pixels.decode import decode
    from tasks.pixels.ocr import get_engine
    from tasks.pixels.pixel_settings import PixelProfile
    from tasks.pixels.pixel_stage import detector_settings
    from tasks.pixels.render import Renderer
    from tasks.pixels.scan import detect_coarse

    ds, planted = make_image("SC", 1024, LARGE_CASES[1][2], seed=6008)
    image = decode(ds)
    viewer = Renderer.for_dataset(ds, image.photometric, True).renderings(image.frames[0])[0]
    engine = get_engine(detector_settings(PixelProfile()))

    boxes = detect_coarse(engine, viewer, 640)

    for line in planted:
        if line.contrast != "high":
            continue  # the three header lines; the rest is the other passes' job
        x0, y0, x1, y1 = line.box
        assert any(
            b.x0 <= x0 + 4 and b.y0 <= y0 + 2 and b.x1 >= x1 - 4 and b.y1 >= y1 - 2 for b in boxes
        ), line.text
    assert detect_coarse(engine, viewer[:600, :600], 640) == []  # never enlarges
