"""What the verifier looks at: the redacted frame with its filled boxes patched smoothly.

A filled box is uniform, so it cannot hold text; but its straight edges (a black block on a
bright body, a block bridging two dark organs) can look like a glyph to a text detector and
send a clean file to quarantine, or grow into ever larger boxes. The verifier therefore sees
each filled area replaced, in the stored values before rendering, by a smooth patch
interpolated from the pixels around it (the mean of the vertical and horizontal linear
blends of its borders): residue of a glyph next to a box, or text missed elsewhere, is left
exactly as it is in the output.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tasks.pixels.boxes import Box


def seamless(frame: np.ndarray, filled: Sequence[Box]) -> np.ndarray:
    """A copy of the stored ``frame`` (same dtype) with every filled box patched smoothly."""
    if not filled:
        return frame
    height, width = frame.shape[:2]
    out = frame.astype(np.float32)
    for box in sorted(filled, key=lambda b: b.area):
        b = box.clipped(width, height)
        if b.area:
            out[b.y0 : b.y1, b.x0 : b.x1] = _coons(out, b)
    if np.issubdtype(frame.dtype, np.integer):
        info = np.iinfo(frame.dtype)
        out = np.clip(np.rint(out), info.min, info.max)
    return out.astype(frame.dtype)


def _coons(image: np.ndarray, box: Box) -> np.ndarray:
    """Blend of the rows above/below and the columns left/right of ``box``."""
    height, width = image.shape[:2]
    top = image[box.y0 - 1] if box.y0 > 0 else None
    bottom = image[box.y1] if box.y1 < height else None
    left = image[:, box.x0 - 1] if box.x0 > 0 else None
    right = image[:, box.x1] if box.x1 < width else None
    top = bottom if top is None else top
    bottom = top if bottom is None else bottom
    left = right if left is None else left
    right = left if right is None else right
    rows, cols = box.height, box.width
    v = ((np.arange(rows, dtype=np.float32) + 1) / (rows + 1)).reshape(-1, 1)
    u = ((np.arange(cols, dtype=np.float32) + 1) / (cols + 1)).reshape(1, -1)
    if image.ndim == 3:
        v, u = v[..., None], u[..., None]
    parts = []
    if top is not None:
        t, b = top[box.x0 : box.x1][None], bottom[box.x0 : box.x1][None]
        parts.append((1 - v) * t + v * b)
    if left is not None:
        lft, rgt = left[box.y0 : box.y1][:, None], right[box.y0 : box.y1][:, None]
        parts.append((1 - u) * lft + u * rgt)
    if not parts:  # the box covers the whole frame
        return np.zeros((rows, cols) + image.shape[2:], np.float32)
    return sum(parts) / len(parts)
