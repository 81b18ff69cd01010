"""8-bit renderings of stored frames: what a viewer shows, and a full-range view.

The viewer rendering applies the Modality LUT / rescale, the first VOI window or VOI LUT
(else the frame's own min-max), and inverts MONOCHROME1. Faint text may sit in a range the
window hides (below the lower or above the upper bound), so a second rendering of the whole
stored range is made for greyscale frames whenever the window clips; it is locally
normalised (value minus local mean over local spread) so that text a few levels off its
background, which an attacker could reveal with a narrow window, shows as well.
Palette colour is rendered through its LUT.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, apply_modality_lut


@dataclass(frozen=True)
class Window:
    low: float
    high: float


@dataclass
class Renderer:
    """Per-dataset rendering parameters, read once and applied to each frame."""

    ds: Dataset
    photometric: str
    window: Window | None
    rescale: bool
    full_range: bool

    @classmethod
    def for_dataset(cls, ds: Dataset, photometric: str, full_range: bool) -> Renderer:
        return cls(ds, photometric, _first_window(ds), _has_modality_lut(ds), full_range)

    def renderings(self, frame: np.ndarray) -> list[np.ndarray]:
        """The viewer rendering, plus the full-range one when the window hides values."""
        if frame.ndim == 3:
            return [_colour_to_8bit(frame)]
        if self.photometric == "PALETTE COLOR":
            return [_colour_to_8bit(apply_color_lut(frame, self.ds))]
        values = apply_modality_lut(frame, self.ds) if self.rescale else frame
        values = np.asarray(values, dtype=np.float32)
        if values.dtype.kind == "f" and not np.isfinite(values).all():  # float maps: NaN, inf
            finite = values[np.isfinite(values)]
            floor = float(finite.min()) if finite.size else 0.0
            values = np.where(np.isfinite(values), values, floor)
        low, high = float(values.min()), float(values.max())
        window = self.window or Window(low, high)
        viewer = _scale(values, window.low, window.high)
        out = [self._polarity(viewer)]
        clips = window.low > low or window.high < high
        if self.full_range and clips and high > low:
            out.append(self._polarity(_equalised(values, low, high)))
        return out

    def _polarity(self, image: np.ndarray) -> np.ndarray:
        return 255 - image if self.photometric == "MONOCHROME1" else image


def _scale(values: np.ndarray, low: float, high: float) -> np.ndarray:
    if high <= low:
        return np.where(values > low, 255, 0).astype(np.uint8)
    scaled = (values - low) * (255.0 / (high - low))
    return np.clip(scaled, 0, 255).astype(np.uint8)


LOCAL_WINDOW = 31  # px: a few text heights
LOCAL_FLOOR = 0.01  # of the full range: keeps flat areas (air, padding) from exploding


def _equalised(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Whole stored range, locally normalised: (value - local mean) / local spread.

    Text a few levels off its background, which an attacker could reveal with a narrow
    window, stands out wherever it sits in the range.
    """
    size = (LOCAL_WINDOW, LOCAL_WINDOW)
    mean = cv2.blur(values, size)
    spread = np.sqrt(np.maximum(cv2.blur(values * values, size) - mean * mean, 0))
    score = (values - mean) / (spread + LOCAL_FLOOR * (high - low))
    return np.clip(128.0 + 40.0 * score, 0, 255).astype(np.uint8)


def _colour_to_8bit(frame: np.ndarray) -> np.ndarray:
    if frame.dtype == np.uint8:
        return frame
    values = frame.astype(np.float32)
    top = float(values.max()) or 1.0
    return np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)


def _has_modality_lut(ds: Dataset) -> bool:
    return "ModalityLUTSequence" in ds or "RescaleSlope" in ds or "RescaleIntercept" in ds


def _first_window(ds: Dataset) -> Window | None:
    center, width = ds.get("WindowCenter"), ds.get("WindowWidth")
    if center is not None and width is not None:
        try:
            c = float(center[0] if _is_multi(center) else center)
            w = float(width[0] if _is_multi(width) else width)
        except (TypeError, ValueError, IndexError):
            return None
        if w > 0:
            return Window(c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2)
    sequence = ds.get("VOILUTSequence")
    if sequence:
        item = sequence[0]
        descriptor = item.get("LUTDescriptor")
        if descriptor and len(descriptor) == 3:
            entries = int(descriptor[0]) or 65536
            first = float(descriptor[1])
            return Window(first, first + entries - 1)
    return None


def _is_multi(value: object) -> bool:
    return isinstance(value, list | tuple) or type(value).__name__ == "MultiValue"
