"""A proof that a greyscale frame holds no text, run before (and much cheaper than) detection.

Every glyph is made of thin strokes (1-3 px at 9-16 px fonts) with corners, ends and
crossings, at a contrast the reader must see. A 5x5 median follows straight edges and
smooth anatomy but not such strokes: in the residual (frame minus its median), glyph pixels
stand out from the frame's own noise while noise alone rarely makes a cluster. So a frame is
*text-free* when no pixel cluster of the residual beyond ``NOISE_MULTIPLE`` times the
frame's residual noise (robust spread over the non-flat pixels) is at least
``MIN_CLUSTER_ROWS`` rows tall and ``MIN_CLUSTER_PIXELS`` pixels large, whatever its size:
a cluster larger than a glyph is not ruled out either (text may touch anatomy).

It works on stored values, so text in a range the viewer's window or VOI LUT hides is seen
as well as visible text. Vessels, bone trabeculae and catheters also leave clusters: such a
frame goes to detection, which is the safe direction. Not judged (always detected):
colour and palette frames, float frames, lossy sources (compression smooths strokes and
adds its own residual), frames with fewer than ``MIN_ROWS`` rows or columns, frames whose
stored range is under ``MIN_RANGE_MULTIPLE`` times the threshold (binary masks, near-flat
frames). Text fainter than the threshold (4 residual noise spreads per pixel) is not seen.

Measured (tasks/pixels/README.md, "Proof of absence"): no frame carrying a planted line was
cleared on the bench sets; most synthetic text-free CT/MR/CR slices are.
"""

from __future__ import annotations

import cv2
import numpy as np

MEDIAN_PX = 5  # median window: removes strokes up to 2 px wide, keeps straight edges
NOISE_MULTIPLE = 4.0  # residual beyond this many noise spreads is stroke-like
MIN_NOISE = 1.0  # stored levels: the noise spread is at least this (quantised flat frames)
MIN_CLUSTER_ROWS = 3  # a cluster this tall ...
MIN_CLUSTER_PIXELS = 6  # ... with this many pixels may be (part of) a glyph
MIN_ROWS = 32
# the threshold must be under 1/this of the frame's stored range (else: not judged)
MIN_RANGE_MULTIPLE = 8


def stroke_clusters(frame: np.ndarray) -> np.ndarray | None:
    """Boxes (x0, y0, x1, y1) of the stroke-like clusters of a 2-D frame of stored values;
    None when the frame spans too few levels to be judged (a binary mask, a near-flat
    frame: there the threshold would exceed the contrast of text drawn in it)."""
    values = frame.astype(np.float32)
    residual = values - cv2.medianBlur(values, MEDIAN_PX)
    kernel = np.ones((3, 3), np.uint8)
    busy = cv2.dilate(values, kernel) != cv2.erode(values, kernel)
    spread = 1.4826 * float(np.median(np.abs(residual[busy]))) if busy.any() else 0.0
    noise = max(spread, MIN_NOISE)
    if NOISE_MULTIPLE * noise * MIN_RANGE_MULTIPLE > float(values.max() - values.min()):
        return None  # too few levels for the threshold to sit well under any text contrast
    mask = (np.abs(residual) > NOISE_MULTIPLE * noise).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((1, 3), np.uint8))  # glyph gaps
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return np.zeros((0, 4), np.int64)
    x, y, w, h, area = (stats[1:, i].astype(np.int64) for i in range(5))
    kept = (h >= MIN_CLUSTER_ROWS) & (area >= MIN_CLUSTER_PIXELS)
    return np.stack([x, y, x + w, y + h], axis=1)[kept]


def judged(frame: np.ndarray, photometric: str, lossy: bool) -> bool:
    """Whether the proof applies to such a frame at all (else: detection)."""
    return (
        not lossy
        and frame.ndim == 2
        and photometric in ("MONOCHROME1", "MONOCHROME2")
        and frame.dtype.kind in "ui"
        and min(frame.shape) >= MIN_ROWS
    )


def text_free(frame: np.ndarray, photometric: str, lossy: bool) -> bool:
    """Whether ``frame`` (stored values) provably holds no text (see the module docstring)."""
    if not judged(frame, photometric, lossy):
        return False
    clusters = stroke_clusters(frame)
    return clusters is not None and len(clusters) == 0
