"""Plateaus of one exact stored value: the device-ink evidence of the proof of absence.

Burned-in glyphs are drawn in one exact value (the core of an anti-aliased glyph too, from
~10 px fonts up, and every thick stroke), so their pixels form 4-connected runs of equal
values. In a noisy frame anatomy repeats a value only in specks a noise spread or so away
from their surroundings, and the large equal areas (air, padding, saturated bone) are
larger than any glyph.

A pixel *repeats* when a 4-neighbour holds its value. Where two repeating areas of
different values touch (device text drawn on a flat background without anti-aliasing), the
touching pixels of the lower value are set aside (and, in a second pass, those of the
higher value), so that each remaining 4-connected area holds one value and bright (dark)
ink keeps its whole plateau next to a flat darker (brighter) background.

A plateau is *ink-like* when it is at most ``max_rows`` rows (and ``8 * max_rows``
columns) large, holds at least ``min_pixels`` pixels, and at least half of the pixels
``REACH_PX`` away from its pixels (in the four directions) that hold another value differ
from it by ``contrast`` noise spreads or more. Two pixels away from a glyph's core lies
its background (the anti-aliased rim right next to it may be close to the ink); two
pixels away from a speck of noise or of a clipped value lie values a noise spread or so
away, except where it touches an organ's edge.
"""

from __future__ import annotations

import cv2
import numpy as np

# (pixels, their right / left / lower / upper neighbours)
_NEIGHBOURS = [
    ((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
    ((slice(None), slice(1, None)), (slice(None), slice(None, -1))),
    ((slice(None, -1), slice(None)), (slice(1, None), slice(None))),
    ((slice(1, None), slice(None)), (slice(None, -1), slice(None))),
]


# (pixels, the pixels REACH_PX to their right / left / below / above)
REACH_PX = 2
_REACH = [
    ((slice(None), slice(None, -REACH_PX)), (slice(None), slice(REACH_PX, None))),
    ((slice(None), slice(REACH_PX, None)), (slice(None), slice(None, -REACH_PX))),
    ((slice(None, -REACH_PX), slice(None)), (slice(REACH_PX, None), slice(None))),
    ((slice(REACH_PX, None), slice(None)), (slice(None, -REACH_PX), slice(None))),
]


def plateaus(
    frame: np.ndarray, noise: float, max_rows: int, min_pixels: int, contrast: float
) -> np.ndarray:
    """Boxes (x0, y0, x1, y1) of the ink-like plateaus of a 2-D frame of stored values."""
    repeats = np.zeros(frame.shape, bool)
    for inner, outer in _NEIGHBOURS:
        repeats[inner] |= frame[inner] == frame[outer]
    found = [_ink(frame, repeats, side, noise, max_rows, min_pixels, contrast) for side in (1, -1)]
    return np.concatenate(found)


def _ink(
    frame: np.ndarray,
    repeats: np.ndarray,
    side: int,
    noise: float,
    max_rows: int,
    min_pixels: int,
    contrast: float,
) -> np.ndarray:
    """Ink-like plateaus once the pixels of the lower (``side`` 1) or upper (-1) of two
    touching repeating values are set aside: bright ink keeps its whole plateau on a flat
    darker background in the first pass, dark ink on a flat brighter one in the second."""
    signed = frame.astype(np.int64) * side
    touching = np.zeros(frame.shape, bool)
    for inner, outer in _NEIGHBOURS:
        touching[inner] |= repeats[inner] & repeats[outer] & (signed[inner] < signed[outer])
    kept = repeats & ~touching
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        kept.astype(np.uint8), connectivity=4
    )
    candidate = (
        (stats[:, 3] <= max_rows) & (stats[:, 2] <= 8 * max_rows) & (stats[:, 4] >= min_pixels)
    )
    candidate[0] = False
    if not candidate.any():
        return np.zeros((0, 4), np.int64)
    values = frame.astype(np.float32)
    far = np.zeros(count, np.int64)
    other = np.zeros(count, np.int64)
    for inner, outer in _REACH:
        here = labels[inner]
        gap = np.abs(values[inner] - values[outer])
        edge = candidate[here] & (gap > 0)
        other += np.bincount(here[edge], minlength=count)
        far += np.bincount(here[edge & (gap >= contrast * noise)], minlength=count)
    ink = np.nonzero(candidate & (other > 0) & (2 * far >= other))[0]
    x, y, w, h = (stats[ink, i].astype(np.int64) for i in range(4))
    return np.stack([x, y, x + w, y + h], axis=1)
