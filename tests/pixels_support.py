"""Helpers shared by the pixel-stage tests (tests/test_pixels_*.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom

from tasks.profile import ReleaseProfile
from tasks.stage import StageContext
from tasks.workspace import Workspace

DATA = Path(__file__).parent / "data" / "pixels"


def context(tmp_path: Path, **pixels: object) -> StageContext:
    workspace = Workspace(tmp_path / "ws", "req")
    workspace.create()
    profile = ReleaseProfile(name="test")
    if pixels:
        from tasks.pixels.profile import PixelProfile

        profile = ReleaseProfile(name="test", sections={"pixels": PixelProfile(**pixels)})
    return StageContext(workspace, profile, b"k" * 32, None)


def frames_of(path: Path) -> np.ndarray:
    """Stored frames as (frames, rows, cols[, samples])."""
    ds = pydicom.dcmread(path)
    array = ds.pixel_array
    samples = int(ds.get("SamplesPerPixel", 1))
    return array.reshape((-1, int(ds.Rows), int(ds.Columns)) + ((samples,) if samples > 1 else ()))


def filled_boxes(ctx: StageContext, item_id: str) -> list[list[int]]:
    entry = json.loads((ctx.workspace.evidence / "pixels" / f"{item_id}.json").read_text())
    return entry["boxes"]


def uniform(region: np.ndarray) -> bool:
    flat = region.reshape(-1, *region.shape[2:]) if region.ndim == 3 else region.reshape(-1)
    return bool(len(flat) == 0 or (flat == flat[0]).all())


def outside_mask(shape: tuple[int, int], boxes: list[list[int]], frame: int) -> np.ndarray:
    mask = np.ones(shape, dtype=bool)
    for index, x0, y0, x1, y1 in boxes:
        if index == frame:
            mask[y0:y1, x0:x1] = False
    return mask


def assert_text_free_slice_untouched(tmp_path: Path, modality: str, seed: int) -> None:
    """A generated text-free slice goes through the pixels stage with every pixel kept."""
    from tasks.pixels.stage import redact_file
    from tasks.synthetic import make_image, save

    ds, planted = make_image(modality, 512, [], seed=seed)
    assert planted == []
    src, dst = tmp_path / "in.dcm", tmp_path / "out.dcm"
    save(ds, src)
    ctx = context(tmp_path)

    outcome = redact_file(src, dst, "slice", ctx)

    assert outcome.ok, outcome.reason
    assert filled_boxes(ctx, "slice") == []
    assert np.array_equal(frames_of(src), frames_of(dst))
