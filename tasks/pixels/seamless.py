"""What the verifier looks at: the redacted rendering with its filled boxes inpainted.

A filled box is uniform, so it cannot hold text; but its straight edges (a black block on a
bright body, a block bridging two dark organs) can look like a glyph to a text detector and
send a clean file to quarantine, or grow into ever larger boxes. The verifier therefore sees
each filled area smoothly inpainted from its surroundings (OpenCV Telea): residue of a glyph
next to a box, or text missed elsewhere, is left exactly as it is in the output.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from tasks.pixels.boxes import Box

INPAINT_RADIUS = 3


def seamless(rendering: np.ndarray, filled: Sequence[Box]) -> np.ndarray:
    if not filled:
        return rendering
    height, width = rendering.shape[:2]
    mask = np.zeros((height, width), dtype=np.uint8)
    for box in filled:
        clipped = box.clipped(width, height)
        mask[clipped.y0 : clipped.y1, clipped.x0 : clipped.x1] = 255
    if mask.all():
        return np.zeros_like(rendering)
    return cv2.inpaint(np.ascontiguousarray(rendering), mask, INPAINT_RADIUS, cv2.INPAINT_TELEA)
