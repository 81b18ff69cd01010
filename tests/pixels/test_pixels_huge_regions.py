"""Huge detections: a CT body read as giant glyphs is left alone, giant text is redacted.

The detector reads a whole CT body as one giant text region and the recogniser reads it
as "COELLL" or "COS" with low confidence; without a confidence floor the whole slice was
filled (seeds from bench/pixels_presidio.py --text-free). Real giant text reads
confidently and must still go.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from tasks.pixels.pixel_stage import redact_file
from tasks.synthetic import make_image, save
from tests.pixels_support import (
    assert_text_free_slice_untouched,
    context,
    frames_of,
    uniform,
)

FONT = Path(__file__).resolve().parents[2] / "tasks/synthetic/fonts/DejaVuSansMono.ttf"


@pytest.mark.parametrize("seed", [20036, 20054, 20081, 20087])
def test_a_text_free_ct_slice_keeps_its_body(tmp_path: Path, seed: int) -> None:
    assert_text_free_slice_untouched(tmp_path, "CT", seed)


@pytest.mark.parametrize("text", ["DUPONT", "ID 4820193"])
def test_giant_burned_in_text_is_redacted(tmp_path: Path, text: str) -> None:
    ds, _ = make_image("CT", 512, [], seed=3)
    pixels = ds.pixel_array.copy()
    ink = Image.new("L", (512, 512), 0)
    ImageDraw.Draw(ink).text((20, 150), text, fill=255, font=ImageFont.truetype(str(FONT), 90))
    mask = np.asarray(ink) > 128
    pixels[mask] = pixels.max()
    ds.PixelData = pixels.tobytes()
    src, dst = tmp_path / "in.dcm", tmp_path / "out.dcm"
    save(ds, src)
    ctx = context(tmp_path)

    outcome = redact_file(src, dst, "giant", ctx)

    assert outcome.ok, outcome.reason
    after = frames_of(dst)[0]
    rows, cols = np.nonzero(mask)
    assert uniform(after[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1])
    assert not np.any(after[mask] == pixels.max())
