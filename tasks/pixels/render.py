"""8-bit renderings of stored frames: what a viewer shows, and a full-range view.

The viewer rendering applies the Modality LUT / rescale, the first VOI window, else the
first VOI LUT (its table), else the frame's own min-max, and inverts MONOCHROME1. Text may
sit where that rendering hides it: in a range the window clips, or where the window or the
LUT is much wider than the stored values or flat over them (a 12-bit CR whose values span
0-255 under a 4096-entry LUT renders as one grey), while a recipient rendering the stored
values any other way sees it plainly. So a second rendering of the whole stored range is
made for greyscale frames whenever the viewer rendering loses contrast somewhere in the
populated range (``hides_contrast``: measured on a 256-bin histogram, the cost of a few
array passes); it is locally normalised (value minus local mean over local spread) so that
text a few levels off its background, which an attacker could reveal with a narrow window,
shows as well. Palette colour is rendered through its LUT.
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


@dataclass(frozen=True)
class VoiLut:
    """A VOI LUT Sequence item: values from ``first`` index ``table`` (clamped at both
    ends); outputs run 0 .. ``top``."""

    first: float
    table: np.ndarray
    top: float

    def apply(self, values: np.ndarray) -> np.ndarray:
        index = np.clip(np.rint(values - self.first), 0, len(self.table) - 1).astype(np.int64)
        return self.table[index] * (255.0 / self.top)


@dataclass
class Renderer:
    """Per-dataset rendering parameters, read once and applied to each frame."""

    ds: Dataset
    photometric: str
    window: Window | None
    rescale: bool
    full_range: bool
    lut: VoiLut | None = None

    @classmethod
    def for_dataset(cls, ds: Dataset, photometric: str, full_range: bool) -> Renderer:
        window = _first_window(ds)
        lut = None if window is not None else _first_lut(ds)
        if window is None and lut is None:
            window = _lut_range(ds)
        return cls(ds, photometric, window, _has_modality_lut(ds), full_range, lut)

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
        viewer = self._viewer(values, low, high)
        out = [self._polarity(viewer)]
        if self.full_range and high > low and self.hides_contrast(values, low, high):
            out.append(self._polarity(_equalised(values, low, high)))
        return out

    def _viewer(self, values: np.ndarray, low: float, high: float) -> np.ndarray:
        if self.lut is not None:
            return np.clip(self.lut.apply(values), 0, 255).astype(np.uint8)
        window = self.window or Window(low, high)
        return _scale(values, window.low, window.high)

    def hides_contrast(self, values: np.ndarray, low: float, high: float) -> bool:
        """Whether the viewer rendering shows some populated part of the stored range at
        under ``KEPT_CONTRAST`` of the contrast the min-max rendering gives it.

        The stored range is cut into 256 bins; between consecutive populated bins the
        viewer's step (the rendering of the bin centres) is compared with the min-max
        rendering's. A clipping window (step 0 outside it), a window or LUT much wider than
        the stored values, or a LUT flat over them all lose contrast; a window covering the
        stored range does not, and there the viewer rendering is what min-max would show.
        """
        counts, edges = np.histogram(values, bins=HISTOGRAM_BINS, range=(low, high))
        centres = ((edges[:-1] + edges[1:]) / 2)[counts > 0].astype(np.float32)
        if centres.size < 2:
            return False
        viewer = self._viewer(centres, low, high).astype(np.float32)
        plain = (centres - low) * (255.0 / (high - low))
        return bool(np.any(np.abs(np.diff(viewer)) < KEPT_CONTRAST * np.diff(plain)))

    def _polarity(self, image: np.ndarray) -> np.ndarray:
        return 255 - image if self.photometric == "MONOCHROME1" else image


def _scale(values: np.ndarray, low: float, high: float) -> np.ndarray:
    if high <= low:
        return np.where(values > low, 255, 0).astype(np.uint8)
    scaled = (values - low) * (255.0 / (high - low))
    return np.clip(scaled, 0, 255).astype(np.uint8)


HISTOGRAM_BINS = 256
# below this share of the min-max rendering's contrast, somewhere in the populated range,
# the viewer rendering hides what a recipient's own rendering of the stored values shows
KEPT_CONTRAST = 0.5
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
    return None


def _first_lut(ds: Dataset) -> VoiLut | None:
    """The first VOI LUT Sequence item as a table, or None when it cannot be read."""
    sequence = ds.get("VOILUTSequence")
    if not sequence:
        return None
    item = sequence[0]
    descriptor, data = item.get("LUTDescriptor"), item.get("LUTData")
    if not descriptor or len(descriptor) != 3 or data is None:
        return None
    try:
        entries = int(descriptor[0]) or 65536
        bits = int(descriptor[2])
        if isinstance(data, bytes):
            table = np.frombuffer(data, dtype="<u2" if bits > 8 else "u1")
        else:
            table = np.asarray(data if _is_multi(data) else [data], dtype=np.float64)
        table = table[:entries].astype(np.float64)
        first = float(descriptor[1])
    except (TypeError, ValueError):
        return None
    if table.size == 0:
        return None
    top = float(max(table.max(), (1 << bits) - 1 if 0 < bits <= 16 else 1.0))
    return VoiLut(first, table, top or 1.0)


def _lut_range(ds: Dataset) -> Window | None:
    """A VOI LUT whose table cannot be read, approximated by its input range."""
    sequence = ds.get("VOILUTSequence")
    if sequence:
        descriptor = sequence[0].get("LUTDescriptor")
        if descriptor and len(descriptor) == 3:
            entries = int(descriptor[0]) or 65536
            first = float(descriptor[1])
            return Window(first, first + entries - 1)
    return None


def _is_multi(value: object) -> bool:
    return isinstance(value, list | tuple) or type(value).__name__ == "MultiValue"
