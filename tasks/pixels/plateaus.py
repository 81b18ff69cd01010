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


REACH_PX = 2  # a plateau is compared with the pixels this far from its own


def plateaus(
    frame: np.ndarray, noise: float, max_rows: int, min_pixels: int, contrast: float
) -> np.ndarray:
    """Boxes (x0, y0, x1, y1) of the ink-like plateaus of a 2-D frame of stored values."""
    values = frame.astype(np.int32)
    right = values[:, :-1] == values[:, 1:]
    down = values[:-1, :] == values[1:, :]
    repeats = np.zeros(frame.shape, bool)
    repeats[:, :-1] |= right
    repeats[:, 1:] |= right
    repeats[:-1, :] |= down
    repeats[1:, :] |= down
    found = [
        _ink(values, repeats, side, contrast * noise, max_rows, min_pixels) for side in (1, -1)
    ]
    return np.concatenate(found)


def _ink(
    values: np.ndarray, repeats: np.ndarray, side: int, gap: float, max_rows: int, min_pixels: int
) -> np.ndarray:
    """Ink-like plateaus once the pixels of the lower (``side`` 1) or upper (-1) of two
    touching repeating values are set aside: bright ink keeps its whole plateau on a flat
    darker background in the first pass, dark ink on a flat brighter one in the second."""
    signed = values * side
    touching = np.zeros(values.shape, bool)
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
    rows, cols = np.nonzero(candidate[labels])  # the few pixels of candidate plateaus
    label = labels[rows, cols]
    value = values[rows, cols]
    height, width = values.shape
    far = np.zeros(count, np.int64)
    other = np.zeros(count, np.int64)
    for dy, dx in ((0, REACH_PX), (0, -REACH_PX), (REACH_PX, 0), (-REACH_PX, 0)):
        y, x = rows + dy, cols + dx
        inside = (y >= 0) & (y < height) & (x >= 0) & (x < width)
        apart = np.abs(values[y[inside], x[inside]] - value[inside])
        other += np.bincount(label[inside][apart > 0], minlength=count)
        far += np.bincount(label[inside][apart >= gap], minlength=count)
    ink = np.nonzero(candidate & (other > 0) & (2 * far >= other))[0]
    x0, y0, w, h = (stats[ink, i].astype(np.int64) for i in range(4))
    return np.stack([x0, y0, x0 + w, y0 + h], axis=1)
