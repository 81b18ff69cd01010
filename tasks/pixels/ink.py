"""Following a found line's ink along its row, past where the detector stopped.

Burned-in text is drawn by the device in one ink value (a grey level or an RGB colour) that
the stored pixels keep exactly, whatever lies under it. The detector often stops where a
faint line crosses from a flat background onto anatomy (measured on ultrasound: "MARIE MO"
found on the black border, "REAU" over speckle left). The glyphs it did not see still hold
the exact ink value of the part it saw, while speckle or tissue takes that exact value only
now and then. So, from each found line, windows of half a line height are walked outward
along the line's rows, and the line is widened over each window holding clearly more
pixels of its ink value than the rows just above and below it do.

Nothing here can shrink a box or add one where no text was found: it only widens found
lines, over pixels that carry their ink. A lossy-compressed source scatters glyph values by
a few levels: there a pixel carries the ink when every channel is within ``tolerance``.
"""

from __future__ import annotations

import numpy as np

from tasks.pixels.boxes import Box

MIN_HEIGHT = 6  # px: smaller boxes are specks, not lines
MAX_HEIGHT = 40  # px: taller lines are found whole (the second look's limit, too)
CANDIDATE_VALUES = 5  # most common values of the box considered as its ink
MIN_INK_SHARE = 0.015  # of a line's box: its ink value is at least this common in it
INK_CONTRAST = 8  # ... and this many times less common in the rows above and below it
MAX_GAP_LINE_HEIGHTS = 1.0  # a word space is well under one line height
MAX_REACH_LINE_HEIGHTS = 12  # how far the walk may widen a line, each way
MIN_INK_PIXELS = 2  # in a window, at least this many ink pixels ...
BACKGROUND_FACTOR = 3  # ... and this many times what the rows around the window hold


def follow_ink(frame: np.ndarray, box: Box, others: list[Box], tolerance: int = 0) -> Box:
    """``box`` widened along its rows over the windows that continue its ink.

    ``frame`` is the stored frame (rows, columns[, samples]); ``others`` are the frame's
    other text boxes, left out when counting what the rows around a window hold (a stacked
    line of the same colour is not background).
    """
    if not MIN_HEIGHT <= box.height <= MAX_HEIGHT or box.width < MIN_HEIGHT:
        return box
    # only the line's rows and one line height above and below are looked at
    top, bottom = max(0, box.y0 - box.height), min(frame.shape[0], box.y1 + box.height)
    pixels = frame[top:bottom].reshape(bottom - top, frame.shape[1], -1).astype(np.int64)
    line = box.shifted(0, -top)
    height, width = pixels.shape[:2]
    outside = np.ones((height, width), dtype=bool)
    for other in [line, *(o.shifted(0, -top) for o in others)]:
        b = other.clipped(width, height)
        if b.area > 0:
            outside[b.y0 : b.y1, b.x0 : b.x1] = False
    ink = _ink_value(pixels, line, outside, tolerance)
    if ink is None:
        return box
    is_ink = _carries(pixels, ink, tolerance)
    x0 = _walk(is_ink, outside, line, -1)
    x1 = _walk(is_ink, outside, line, +1)
    return Box(x0, box.y0, x1, box.y1, box.score)


def _carries(pixels: np.ndarray, ink: np.ndarray, tolerance: int) -> np.ndarray:
    """Which ``pixels`` (rows, columns, samples) hold ``ink``, every sample within tolerance."""
    return np.all(np.abs(pixels - ink) <= tolerance, axis=-1)


def _ink_value(
    pixels: np.ndarray, box: Box, outside: np.ndarray, tolerance: int
) -> np.ndarray | None:
    """The value drawn in ``box``: common inside it, rare in the rows above and below.

    Candidates are the commonest values of the box, binned by ``tolerance`` + 1 levels
    (each bin stands for its centre) so that a lossy source's scattered ink counts as one.
    """
    inside = pixels[box.y0 : box.y1, box.x0 : box.x1]
    width = tolerance + 1
    centres = (inside // width * width + tolerance // 2).reshape(-1, inside.shape[-1])
    values, counts = np.unique(centres, axis=0, return_counts=True)
    band = _band(box.y0, box.y1, box.height, pixels.shape[0])
    around = pixels[band, box.x0 : box.x1]
    background = outside[band, box.x0 : box.x1]
    best: tuple[float, np.ndarray] | None = None
    for index in np.argsort(-counts, kind="stable")[:CANDIDATE_VALUES]:
        value = values[index]
        share = float(np.mean(_carries(inside, value, tolerance)))
        if share < MIN_INK_SHARE:
            continue
        near = _carries(around, value, tolerance)[background]
        share_around = float(np.mean(near)) if near.size else 0.0
        if share_around * INK_CONTRAST <= share and (best is None or share > best[0]):
            best = (share, value)
    return None if best is None else best[1]


def _band(y0: int, y1: int, reach: int, height: int) -> np.ndarray:
    """Row indices just above and just below rows y0..y1."""
    above = np.arange(max(0, y0 - reach), y0)
    below = np.arange(y1, min(height, y1 + reach))
    return np.concatenate([above, below])


def _walk(is_ink: np.ndarray, outside: np.ndarray, box: Box, direction: int) -> int:
    """The column where the ink of ``box`` ends, walking from its edge in ``direction``."""
    height, width = is_ink.shape
    size = box.height
    step = max(2, size // 2)
    max_gap = MAX_GAP_LINE_HEIGHTS * size
    limit = MAX_REACH_LINE_HEIGHTS * size
    band = _band(box.y0, box.y1, size, height)
    edge = box.x1 if direction > 0 else box.x0
    reached = edge
    offset = 0
    while offset - abs(reached - edge) <= max_gap and offset < limit:
        if direction > 0:
            a, b = edge + offset, min(width, edge + offset + step)
        else:
            a, b = max(0, edge - offset - step), edge - offset
        if b <= a:
            break
        inked = int(is_ink[box.y0 : box.y1, a:b].sum())
        rows_around = is_ink[band, a:b] & outside[band, a:b]
        expected = rows_around.sum() * (box.height / max(len(band), 1))
        if inked >= MIN_INK_PIXELS and inked >= BACKGROUND_FACTOR * expected:
            reached = b if direction > 0 else a
        offset += step
    return reached
