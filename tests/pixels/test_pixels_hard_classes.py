"""Classes of burned-in text other devices make (tests.pixels_support.make_hard_image):
text invisible under the file's own VOI LUT but plain in the stored values, dark ink over
CT texture and bone, small text over bright tissue. Every planted line must go."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from tasks.pixels.decode import decode
from tasks.pixels.render import Renderer
from tasks.synthetic import save
from tests.pixels_support import (
    assert_lines_gone_rest_kept,
    make_hard_image,
    redact_dataset,
)

LINES = ["LEGRAND^ODILE", "PID 7730019", "04.11.1958", "Clinique du Parc", "Dr FAURE"]


@pytest.mark.parametrize(
    ("kind", "seed"),
    [
        ("voi_lut_cr", 13001),  # white ink; under the declared LUT the image is one grey
        ("voi_lut_cr", 13004),  # black ink
        ("dark_ink_ct", 13002),
        ("small_bright_mr", 13003),
        ("small_bright_dbt", 13005),
    ],
)
def test_every_line_of_a_hard_class_is_redacted(tmp_path: Path, kind: str, seed: int) -> None:
    ds, planted = make_hard_image(kind, 512, LINES, seed=seed)
    assert len(planted) == len(LINES)
    outcome, src, dst, ctx = redact_dataset(tmp_path, ds, "hard")

    assert outcome.ok, outcome.reason
    assert_lines_gone_rest_kept(src, dst, planted, ctx, "hard")


def _renderer(ds: pydicom.Dataset) -> tuple[Renderer, np.ndarray]:
    image = decode(ds)
    return Renderer.for_dataset(ds, image.photometric, True), image.frames[0]


def test_the_declared_voi_lut_is_applied_and_its_flatness_asks_for_the_stored_range(
    tmp_path: Path,
) -> None:
    ds, _ = make_hard_image("voi_lut_cr", 256, ["X"], seed=1)
    save(ds, tmp_path / "cr.dcm")
    renderer, frame = _renderer(pydicom.dcmread(tmp_path / "cr.dcm"))
    viewer, full_range = renderer.renderings(frame)
    assert int(viewer.max()) - int(viewer.min()) <= 2  # the sigmoid LUT is flat over 0-255
    assert int(full_range.max()) - int(full_range.min()) > 100


def test_a_window_covering_the_stored_range_needs_no_second_rendering(tmp_path: Path) -> None:
    ds, _ = make_hard_image("small_bright_mr", 256, ["X"], seed=1)
    values = np.frombuffer(ds.PixelData, dtype=np.uint16)
    low, high = int(values.min()), int(values.max())
    ds.WindowCenter, ds.WindowWidth = (low + high + 1) / 2, high - low + 1
    renderer, frame = _renderer(ds)
    assert len(renderer.renderings(frame)) == 1
    ds.WindowCenter, ds.WindowWidth = (low + high + 1) / 2, 8 * (high - low)  # far too wide
    renderer, frame = _renderer(ds)
    assert len(renderer.renderings(frame)) == 2
