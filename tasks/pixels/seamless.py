"""What the verifier looks at: the redacted frame with its filled boxes patched seamlessly.

A filled box is uniform, so it cannot hold text; but its straight edges (a black block on a
bright body, a block bridging two dark organs) can look like a glyph to a text detector and
send a clean file to quarantine, or grow into ever larger boxes. The verifier therefore sees
each filled area replaced, in the stored values before rendering, by the content around it
reflected across its borders (texture continues, no flat block shows): residue of a glyph
next to a box, or text missed elsewhere, is left exactly as it is in the output.
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
            out[b.y0 : b.y1, b.x0 : b.x1] = _mirror_patch(out, b)
    if np.issubdtype(frame.dtype, np.integer):
        info = np.iinfo(frame.dtype)
        out = np.clip(np.rint(out), info.min, info.max)
    return out.astype(frame.dtype)


def _mirror_patch(image: np.ndarray, box: Box) -> np.ndarray:
    """The box refilled with the content around it, reflected across its borders.

    Wide boxes (text lines) take the rows above and below, mirrored and blended linearly
    from top to bottom; tall boxes the columns left and right. Texture (speckle, stripes,
    noise) continues through the patch, so no flat block shows.
    """
    height, width = image.shape[:2]
    if box.width >= box.height:
        rows = np.arange(box.y0, box.y1)
        sources = []
        if box.y0 > 0:
            sources.append(np.clip(2 * box.y0 - 1 - rows, 0, height - 1))
        if box.y1 < height:
            sources.append(np.clip(2 * box.y1 - 1 - rows, 0, height - 1))
        if not sources:
            return _flat(image, box)
        patches = [image[src][:, box.x0 : box.x1] for src in sources]
        weight = ((rows - box.y0 + 0.5) / box.height).reshape(-1, 1)
    else:
        cols = np.arange(box.x0, box.x1)
        sources = []
        if box.x0 > 0:
            sources.append(np.clip(2 * box.x0 - 1 - cols, 0, width - 1))
        if box.x1 < width:
            sources.append(np.clip(2 * box.x1 - 1 - cols, 0, width - 1))
        if not sources:
            return _flat(image, box)
        patches = [image[box.y0 : box.y1][:, src] for src in sources]
        weight = ((cols - box.x0 + 0.5) / box.width).reshape(1, -1)
    if len(patches) == 1:
        return patches[0]
    if image.ndim == 3:
        weight = weight[..., None]
    return (1 - weight) * patches[0] + weight * patches[1]


def _flat(image: np.ndarray, box: Box) -> np.ndarray:
    return np.zeros((box.height, box.width) + image.shape[2:], np.float32)
