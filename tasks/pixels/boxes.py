"""Axis-aligned boxes in frame pixel coordinates (end-exclusive) and their arithmetic."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Box:
    x0: int
    y0: int
    x1: int
    y1: int
    score: float = field(default=1.0, compare=False)  # detector confidence, when detected

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    def padded(self, pixels: int, ratio: float) -> Box:
        """Grown by max(pixels, ratio * line size) across the line and twice that along it.

        A detector's box often clips the first or last glyph of a line (one sitting on an
        edge, a thin "l"): the extra room along the line covers it.
        """
        size = min(self.height, self.width)
        across = max(pixels, round(ratio * size))
        along = max(pixels, round(2 * ratio * size))
        pad_x, pad_y = (along, across) if self.width >= self.height else (across, along)
        return Box(self.x0 - pad_x, self.y0 - pad_y, self.x1 + pad_x, self.y1 + pad_y, self.score)

    def clipped(self, width: int, height: int) -> Box:
        return Box(
            min(max(self.x0, 0), width),
            min(max(self.y0, 0), height),
            min(max(self.x1, 0), width),
            min(max(self.y1, 0), height),
            self.score,
        )

    def shifted(self, dx: int, dy: int) -> Box:
        return Box(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy, self.score)

    def intersects(self, other: Box) -> bool:
        return not (
            self.x1 <= other.x0 or other.x1 <= self.x0 or self.y1 <= other.y0 or other.y1 <= self.y0
        )

    def contains(self, other: Box) -> bool:
        return (
            self.x0 <= other.x0
            and self.y0 <= other.y0
            and self.x1 >= other.x1
            and self.y1 >= other.y1
        )


def from_polygon(points: Iterable[Sequence[float]], score: float = 1.0) -> Box:
    xs, ys = zip(*((float(p[0]), float(p[1])) for p in points), strict=True)
    return Box(int(min(xs)), int(min(ys)), int(max(xs)) + 1, int(max(ys)) + 1, score)


def unique(boxes: Iterable[Box]) -> list[Box]:
    """Drop exact duplicates and boxes contained in another one."""
    ordered = sorted(set(boxes), key=lambda b: -b.area)
    kept: list[Box] = []
    for box in ordered:
        if not any(other.contains(box) for other in kept):
            kept.append(box)
    return kept
