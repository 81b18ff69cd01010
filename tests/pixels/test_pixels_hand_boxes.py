"""Real images, judged by boxes a person annotated (tests/data/pixels/hand_boxes.json), not by
the product's own detector: after the pixel stage no ink may remain in any of them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tasks.pixels.pixel_stage import redact_file
from tests.pixels_support import DATA, context, frames_of

HAND_BOXES = json.loads((DATA / "hand_boxes.json").read_text(encoding="utf-8"))["files"]
INK_CONTRAST = 60  # a glyph stroke stands this far (any channel) from the banner's background


def _ink(frame: np.ndarray, box: list[int]) -> np.ndarray:
    """Pixels of ``box`` standing out from the most common value of the box's border."""
    x0, y0, x1, y1 = box
    region = frame[y0:y1, x0:x1].astype(int)
    region = region if region.ndim == 3 else region[..., None]
    border = np.concatenate([region[0], region[-1], region[:, 0], region[:, -1]])
    values, counts = np.unique(border, axis=0, return_counts=True)
    background = values[counts.argmax()]
    return (np.abs(region - background) > INK_CONTRAST).any(axis=-1)


@pytest.mark.parametrize("name", sorted(HAND_BOXES))
def test_no_ink_is_left_in_any_annotated_box(tmp_path: Path, name: str) -> None:
    src = tmp_path / Path(name).name
    shutil.copy(DATA / name, src)
    dst = tmp_path / "out.dcm"
    outcome = redact_file(src, dst, "hand", context(tmp_path))
    assert outcome.ok, outcome.reason
    before, after = frames_of(src)[0], frames_of(dst)[0]
    for entry in HAND_BOXES[name]:
        box = entry["box"]
        assert _ink(before, box).sum() > 20, f"{entry['what']}: the annotation holds no ink"
        left = int(_ink(after, box).sum())
        assert left == 0, f"{entry['what']}: {left} ink pixels left"
