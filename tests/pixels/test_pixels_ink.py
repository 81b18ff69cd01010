"""Following a found line's ink: the glyphs the detector missed over anatomy are redacted.

Held-out ultrasound cines (bench/pixels.py --nus 10 --seed-offset 30000 / 50000) left the
end of faint grey lines that cross from the black border onto speckle: "MARIE MO" was found
and filled, "REAU" over the speckle stayed. The glyphs keep the exact ink value of the part
found; ``follow_ink`` widens the line over them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from tasks.pixels.boxes import Box
from tasks.pixels.ink import follow_ink
from tasks.pixels.pixel_stage import redact_file
from tasks.synthetic import make_image, save
from tests.pixels_support import context, frames_of, uniform

FONT = Path(__file__).resolve().parents[2] / "tasks/synthetic/fonts/DejaVuSansMono.ttf"
INK = 70


def _speckle(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return rng.integers(20, 160, size=shape).astype(np.uint8)


def _frame_with_line(text: str, speckle_from: int, seed: int = 0) -> tuple[np.ndarray, Box]:
    """A black frame with speckle right of ``speckle_from``, and ``text`` drawn in INK
    from x = 40; returns the frame and the ink's tight box."""
    rng = np.random.default_rng(seed)
    frame = np.zeros((200, 400), np.uint8)
    frame[:, speckle_from:] = _speckle(rng, (200, 400 - speckle_from))
    mask = Image.new("L", (400, 200), 0)
    ImageDraw.Draw(mask).text((40, 90), text, fill=255, font=ImageFont.truetype(str(FONT), 14))
    ink = np.asarray(mask) > 127
    frame[ink] = INK
    rows, cols = np.nonzero(ink)
    return frame, Box(int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1)


def test_a_line_found_up_to_the_speckle_is_widened_over_its_glyphs_there() -> None:
    frame, ink_box = _frame_with_line("MARIE MOREAU", speckle_from=110)
    found = Box(ink_box.x0 - 2, ink_box.y0 - 3, 110, ink_box.y1 + 3, 0.9)  # stops at speckle

    widened = follow_ink(frame, found, [])

    assert widened.x1 >= ink_box.x1 - 4  # the padding (>= 3 px along the line) covers the rest
    assert (widened.x0, widened.y0, widened.y1) == (found.x0, found.y0, found.y1)


def test_a_whole_line_next_to_speckle_is_not_widened_much() -> None:
    frame, ink_box = _frame_with_line("DUPONT", speckle_from=160)
    found = Box(ink_box.x0 - 2, ink_box.y0 - 3, ink_box.x1 + 2, ink_box.y1 + 3, 0.9)

    widened = follow_ink(frame, found, [])

    # speckle takes the ink value only now and then: at most a window of stray matches
    assert widened.x1 - found.x1 <= found.height
    assert widened.x0 == found.x0


def test_a_line_on_a_flat_background_is_left_as_found() -> None:
    frame, ink_box = _frame_with_line("ID 4820193", speckle_from=399)
    found = Box(ink_box.x0 - 2, ink_box.y0 - 3, ink_box.x1 + 2, ink_box.y1 + 3, 0.9)

    assert follow_ink(frame, found, []) == found


def test_colour_frames_are_followed_on_the_whole_colour() -> None:
    grey, ink_box = _frame_with_line("MARIE MOREAU", speckle_from=110)
    frame = np.repeat(grey[:, :, None], 3, axis=2)
    frame[grey == INK] = (INK, INK, 200)  # the ink is a colour; the speckle stays grey
    found = Box(ink_box.x0 - 2, ink_box.y0 - 3, 110, ink_box.y1 + 3, 0.9)

    widened = follow_ink(frame, found, [])

    assert widened.x1 >= ink_box.x1 - 4


@pytest.mark.parametrize(
    ("seed", "lines"),
    [
        # bench/pixels.py --nus 10 --seed-offset 50000, cine 5: "MARIE MOREAU" over speckle
        (
            59005,
            [
                "Dr DURAND",
                "19.08.1962",
                "MARIE MOREAU",
                "ID 1393360853",
                "PETIT JEAN",
                "PETIT^PAUL",
                "2001-06-23",
                "DOB 20/08/1984",
            ],
        ),
        # --seed-offset 30000, cine 4: a 10 px "DOB 12.02.1956" whose date ends over speckle
        (
            39004,
            [
                "Acc A6034480",
                "Se 3 Im 12",
                "ID 1997614349",
                "25.09.1989",
                "PIERRE MOREAU",
                "Hopital Nord",
                "ID 4335627197",
                "DOB 12.02.1956",
            ],
        ),
    ],
)
def test_faint_ultrasound_lines_crossing_onto_speckle_are_redacted_whole(
    tmp_path: Path, seed: int, lines: list[str]
) -> None:
    ds, planted = make_image("US", 512, lines, frames=8, seed=seed)
    src, dst = tmp_path / "in.dcm", tmp_path / "out.dcm"
    save(ds, src)

    outcome = redact_file(src, dst, "cine", context(tmp_path))

    assert outcome.ok, outcome.reason
    after = frames_of(dst)
    for line in planted:
        x0, y0, x1, y1 = line.box
        for frame in line.frames:
            assert uniform(after[frame, y0:y1, x0:x1]), (line.text, frame)


def test_a_lossy_sources_scattered_ink_is_followed_within_the_tolerance() -> None:
    import io

    grey, ink_box = _frame_with_line("MARIE MOREAU", speckle_from=110)
    buffer = io.BytesIO()
    Image.fromarray(np.repeat(grey[:, :, None], 3, axis=2)).save(buffer, "JPEG", quality=85)
    frame = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    found = Box(ink_box.x0 - 2, ink_box.y0 - 3, 110, ink_box.y1 + 3, 0.9)

    widened = follow_ink(frame, found, [], tolerance=6)

    assert widened.x1 >= ink_box.x1 - 4
    assert follow_ink(frame, found, [], tolerance=0) == found  # no exact ink left to follow


def test_signed_grey_values_are_followed_within_the_tolerance() -> None:
    grey, ink_box = _frame_with_line("MARIE MOREAU", speckle_from=110)
    frame = grey.astype(np.int16) - 1024  # signed CT-like stored values, ink at -954
    jitter = np.random.default_rng(0).integers(-2, 3, size=frame.shape)
    frame = np.where(grey == INK, frame + jitter, frame)
    found = Box(ink_box.x0 - 2, ink_box.y0 - 3, 110, ink_box.y1 + 3, 0.9)

    assert follow_ink(frame, found, [], tolerance=6).x1 >= ink_box.x1 - 4
