"""Faint detections read as nothing are tissue texture: text-free slices keep their pixels.

On text-free CT slices the detector takes organ edges for glyphs at 0.5-0.7 and each box
was filled (bench/pixels_presidio.py --text-free 100: 10 false boxes on 6 of 100 slices).
A faint detection the recogniser reads as at most one character with a score under 0.5 is
not text; real text, even faint, reads as its glyphs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from tasks.pixels.boxes import Box
from tasks.pixels.ocr import get_engine
from tasks.pixels.pixel_settings import PixelProfile
from tasks.pixels.pixel_stage import detector_settings
from tasks.pixels.scan import without_texture
from tests.pixels_support import assert_text_free_slice_untouched

FONT = Path(__file__).resolve().parents[2] / "tasks/synthetic/fonts/DejaVuSansMono.ttf"


@pytest.mark.parametrize("seed", [20060, 30053, 30093])
def test_text_free_ct_slices_whose_organ_edges_read_as_nothing_keep_their_pixels(
    tmp_path: Path, seed: int
) -> None:
    assert_text_free_slice_untouched(tmp_path, "CT", seed)


@pytest.mark.parametrize("text", ["DUPONT", "ID 4820193", "L"])
def test_a_faint_detection_of_real_text_is_kept(text: str) -> None:
    canvas = Image.new("L", (320, 80), 40)
    ImageDraw.Draw(canvas).text((20, 25), text, fill=90, font=ImageFont.truetype(str(FONT), 18))
    rendering = np.asarray(canvas)
    rows, cols = np.nonzero(rendering > 60)
    box = Box(
        int(cols.min()) - 3, int(rows.min()) - 3, int(cols.max()) + 4, int(rows.max()) + 4, 0.55
    )
    engine = get_engine(detector_settings(PixelProfile()))

    kept, tissue = without_texture(engine, rendering, [box])

    assert (kept, tissue) == ([box], 0)
