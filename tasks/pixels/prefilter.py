"""A proof that a greyscale frame holds no text, run before (and much cheaper than) detection.

Two kinds of evidence send a frame to detection; a frame with neither is text-free.

- **Glyph-sized strokes.** Every glyph is made of thin strokes with corners, ends and
  crossings, at a contrast the reader must see. A 5x5 median follows straight edges and
  smooth anatomy but not such strokes: in the residual (frame minus its median), glyph
  pixels stand out from the frame's own noise (robust spread over the non-flat pixels). A
  cluster is made of residual pixels beyond ``FAINT_MULTIPLE`` noise spreads joined to at
  least one beyond ``NOISE_MULTIPLE`` (the faint anti-aliased pixels of a stroke join its
  strong ones), closed over 1-3 px gaps along rows; it counts when it is at least
  ``MIN_CLUSTER_ROWS`` rows tall and ``MIN_CLUSTER_PIXELS`` large, or ``MIN_BAR_PIXELS``
  wide and large (the bar of a faint 7). Clusters up to ``GLYPH_ROWS`` rows tall refuse the
  frame whatever their ink: small anti-aliased text has no exact core.
- **Device ink** (``plateaus.py``): a plateau of one exact stored value, up to
  ``GLYPH_ROWS_MAX`` rows tall, of ``PLATEAU_PIXELS`` pixels or more, standing
  ``PLATEAU_CONTRAST`` noise spreads from the pixels two steps around it. Devices and
  burning tools draw a glyph's core in one exact value (thick strokes always, anti-aliased
  text from ~10 px fonts), while noisy anatomy repeats a value only in specks, and fills
  (air, padding, saturation) are larger than any glyph. It finds the glyphs whose strokes
  are wider than the median (large fonts, bold faces) and text merged into anatomy edges.

So a frame whose only clusters are taller than a glyph (bone, gyri, vessels, the head
holder) and that shows no exact ink is text-free. Exact ink cannot be told from anatomy in
quiet frames (residual noise under ``MIN_INK_NOISE`` levels, or at most 256 stored
levels: 8-bit and quantised frames, where anatomy repeats values too): there any cluster
refuses, whatever its size, and a frame without clusters is text-free.

It works on stored values, so text in a range the viewer's window or VOI LUT hides is seen
as well as visible text. Not judged (always detected): colour and palette frames, float
frames, lossy sources (compression smooths strokes and adds its own residual), frames with
fewer than ``MIN_ROWS`` rows or columns, frames whose stored range is under
``MIN_RANGE_MULTIPLE`` times the threshold (binary masks, near-flat frames). Not seen:
text whose strokes stay under 4 noise spreads, and text without an exact core whose every
glyph merges into an anatomy cluster taller than a glyph.

Measured: docs/decisions/2026-12-07-pixels-proof-of-absence.md (the stroke residual) and
docs/decisions/2026-12-07-pixels-proof-on-real-anatomy.md (this rule, on real CT/MR
slices and on 3 600 single-line frames).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tasks.pixels.plateaus import plateaus

MEDIAN_PX = 5  # median window: removes strokes up to 2 px wide, keeps straight edges
NOISE_MULTIPLE = 4.0  # residual beyond this many noise spreads is stroke-like
FAINT_MULTIPLE = 3.5  # ... and so are pixels beyond this many joined to such a pixel
MIN_NOISE = 1.0  # stored levels: the noise spread is at least this (quantised flat frames)
MIN_CLUSTER_ROWS = 3  # a cluster this tall ...
MIN_CLUSTER_PIXELS = 6  # ... with this many pixels may be (part of) a glyph
MIN_BAR_PIXELS = 5  # so may a cluster of 1-2 rows this wide (the bar of a faint 7 or T)
GLYPH_ROWS = 16  # clusters up to this tall refuse whatever their ink (9-13 px fonts)
GLYPH_ROWS_MAX = 64  # an exact-ink plateau up to this tall may be a glyph or a line
PLATEAU_PIXELS = 8  # pixels of one exact value that make an ink plateau
PLATEAU_CONTRAST = 2.0  # noise spreads between a plateau and the pixels around it
MIN_INK_NOISE = 2.0  # stored levels: below this, anatomy repeats values (any cluster refuses)
MIN_ROWS = 32
# the threshold must be under 1/this of the frame's stored range (else: not judged)
MIN_RANGE_MULTIPLE = 8


@dataclass
class Residual:
    """The frame's stroke residual: its noise spread and its clusters (x, y, w, h, pixels)."""

    noise: float
    clusters: np.ndarray


def residual_clusters(frame: np.ndarray) -> Residual | None:
    """Clusters of stroke-like residual pixels of a 2-D frame of stored values, at least
    ``MIN_CLUSTER_ROWS`` tall and ``MIN_CLUSTER_PIXELS`` large, or ``MIN_BAR_PIXELS`` wide
    and large; None when the frame spans too
    few levels to be judged (a binary mask, a near-flat frame: there the threshold would
    exceed the contrast of text drawn in it)."""
    values = frame.astype(np.float32)
    residual = values - cv2.medianBlur(values, MEDIAN_PX)
    kernel = np.ones((3, 3), np.uint8)
    busy = cv2.dilate(values, kernel) != cv2.erode(values, kernel)
    spread = 1.4826 * float(np.median(np.abs(residual[busy]))) if busy.any() else 0.0
    noise = max(spread, MIN_NOISE)
    if NOISE_MULTIPLE * noise * MIN_RANGE_MULTIPLE > float(values.max() - values.min()):
        return None  # too few levels for the threshold to sit well under any text contrast
    strong = np.abs(residual) > NOISE_MULTIPLE * noise
    faint = (np.abs(residual) > FAINT_MULTIPLE * noise).astype(np.uint8)
    faint = cv2.morphologyEx(faint, cv2.MORPH_CLOSE, np.ones((1, 3), np.uint8))  # glyph gaps
    count, labels, stats, _ = cv2.connectedComponentsWithStats(faint, connectivity=8)
    seeded = np.bincount(labels[strong], minlength=count) > 0  # faint pixels around strong ones
    stats = stats[1:][seeded[1:]].astype(np.int64)
    tall = (stats[:, 3] >= MIN_CLUSTER_ROWS) & (stats[:, 4] >= MIN_CLUSTER_PIXELS)
    bar = (stats[:, 2] >= MIN_BAR_PIXELS) & (stats[:, 4] >= MIN_BAR_PIXELS)
    return Residual(noise, stats[tall | bar])


def judged(frame: np.ndarray, photometric: str, lossy: bool) -> bool:
    """Whether the proof applies to such a frame at all (else: detection)."""
    return (
        not lossy
        and frame.ndim == 2
        and photometric in ("MONOCHROME1", "MONOCHROME2")
        and frame.dtype.kind in "ui"
        and min(frame.shape) >= MIN_ROWS
    )


def refusal(frame: np.ndarray) -> str | None:
    """Why a judged 2-D frame of stored values cannot be proven text-free (None: it can):
    ``levels`` (too few to judge), ``ink`` (an exact-ink plateau), ``quiet`` (a cluster in a
    frame where ink cannot be told from the background), ``glyph`` (a glyph-sized cluster)."""
    found = residual_clusters(frame)
    if found is None:
        return "levels"
    levels = int(frame.max()) - int(frame.min()) + 1
    if found.noise < MIN_INK_NOISE or levels <= 256:
        return "quiet" if len(found.clusters) else None
    if (found.clusters[:, 3] <= GLYPH_ROWS).any():
        return "glyph"
    if len(plateaus(frame, found.noise, GLYPH_ROWS_MAX, PLATEAU_PIXELS, PLATEAU_CONTRAST)):
        return "ink"
    return None  # no cluster a glyph could make, no exact ink: anatomy edges at most


def text_free(frame: np.ndarray, photometric: str, lossy: bool) -> bool:
    """Whether ``frame`` (stored values) provably holds no text (see the module docstring)."""
    return judged(frame, photometric, lossy) and refusal(frame) is None
