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


def pixel_keys(frame: np.ndarray) -> np.ndarray:
    """One integer per pixel: the stored value, or the colour's channels packed together."""
    if frame.ndim == 2:
        return frame.astype(np.int64)
    keys = np.zeros(frame.shape[:2], dtype=np.int64)
    for channel in range(frame.shape[2]):  # 16 bits each (colour samples are unsigned)
        keys = (keys << 16) | (frame[..., channel].astype(np.int64) & 0xFFFF)
    return keys


def _carries(frame: np.ndarray, keys: np.ndarray, ink: int, tolerance: int) -> np.ndarray:
    """Pixels of ``frame`` holding the ink ``ink`` (a key), each channel within tolerance."""
    if tolerance <= 0:
        return keys == ink
    channels = frame.reshape(frame.shape[0], frame.shape[1], -1).astype(np.int64)
    count = channels.shape[2]
    if count > 1:
        channels &= 0xFFFF  # as packed by pixel_keys
    if count == 1:  # a grey value, maybe negative (signed CT): not packed
        wanted = [ink]
    else:
        wanted = [(ink >> (16 * (count - 1 - c))) & 0xFFFF for c in range(count)]
    close = np.ones(frame.shape[:2], dtype=bool)
    for channel, value in enumerate(wanted):
        close &= np.abs(channels[..., channel] - value) <= tolerance
    return close


def follow_ink(
    frame: np.ndarray,
    box: Box,
    others: list[Box],
    tolerance: int = 0,
    keys: np.ndarray | None = None,
) -> Box:
    """``box`` widened along its rows over the windows that continue its ink.

    ``frame`` is the stored frame (rows, columns[, samples]); ``others`` are the frame's
    other text boxes, left out when counting what the rows around a window hold (a stacked
    line of the same colour is not background); ``keys`` may pass ``pixel_keys(frame)``
    computed once for all boxes.
    """
    if not MIN_HEIGHT <= box.height <= MAX_HEIGHT or box.width < MIN_HEIGHT:
        return box
    keys = pixel_keys(frame) if keys is None else keys
    # only the line's rows and one line height above and below are looked at
    top, bottom = max(0, box.y0 - box.height), min(keys.shape[0], box.y1 + box.height)
    frame, keys = frame[top:bottom], keys[top:bottom]
    line = box.shifted(0, -top)
    height, width = keys.shape
    outside = np.ones(keys.shape, dtype=bool)
    for other in [line, *(o.shifted(0, -top) for o in others)]:
        b = other.clipped(width, height)
        if b.area > 0:
            outside[b.y0 : b.y1, b.x0 : b.x1] = False
    ink = _ink_value(frame, keys, line, outside, tolerance)
    if ink is None:
        return box
    is_ink = _carries(frame, keys, ink, tolerance)
    x0 = _walk(is_ink, outside, line, -1)
    x1 = _walk(is_ink, outside, line, +1)
    return Box(x0, box.y0, x1, box.y1, box.score)


def _ink_value(
    frame: np.ndarray, keys: np.ndarray, box: Box, outside: np.ndarray, tolerance: int
) -> int | None:
    """The value drawn in ``box``: common inside it, rare in the rows above and below."""
    region = keys[box.y0 : box.y1, box.x0 : box.x1]
    pixels = frame[box.y0 : box.y1, box.x0 : box.x1]
    if tolerance > 0:  # candidates: centres of the commonest bins of tolerance + 1 levels
        width = tolerance + 1
        centres = pixels.astype(np.int64) // width * width + tolerance // 2
        if centres.ndim == 3:  # a packed channel must stay within its 16 bits
            centres = np.minimum(centres & 0xFFFF, 0xFFFF)
        bins = pixel_keys(centres)
        values, counts = np.unique(bins.ravel(), return_counts=True)
    else:
        values, counts = np.unique(region.ravel(), return_counts=True)
    band = _band(box.y0, box.y1, box.height, keys.shape[0])
    x0, x1 = box.x0, box.x1
    best: tuple[float, int] | None = None
    for index in np.argsort(-counts)[:CANDIDATE_VALUES]:
        value = int(values[index])
        if tolerance <= 0:
            share = counts[index] / region.size
        else:
            share = float(np.mean(_carries(pixels, region, value, tolerance)))
        if share < MIN_INK_SHARE:
            continue
        near = _carries(frame[band, x0:x1], keys[band, x0:x1], value, tolerance)
        mask = outside[band, x0:x1]
        share_around = float(np.mean(near[mask])) if mask.any() else 0.0
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
