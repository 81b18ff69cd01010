"""The proof of absence on anatomy (tasks/pixels/prefilter.py, plateaus.py): clusters taller
than a glyph with no exact ink are cleared; exact-ink plateaus, glyph-sized clusters (faint
strokes included) and clusters in frames too quiet to tell ink are refused. Frames are
generated here: a noisy slab with an invented organ rim, text drawn in invented words."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tasks.pixels.decode import decode
from tasks.pixels.plateaus import plateaus
from tasks.pixels.prefilter import (
    GLYPH_ROWS,
    GLYPH_ROWS_MAX,
    PLATEAU_CONTRAST,
    PLATEAU_PIXELS,
    refusal,
    residual_clusters,
    text_free,
)
from tasks.synthetic import make_image
from tests.pixels_support import _glyphs


def _slab(seed: int, size: int = 256, level: float = 1000.0, noise: float = 10.0) -> np.ndarray:
    """A noisy tissue slab with a thin bright rim (an organ's edge) far taller than a glyph."""
    rng = np.random.default_rng(seed)
    image = np.full((size, size), level, np.float32)
    rim = np.zeros((size, size), np.uint8)
    cv2.ellipse(rim, (size // 2, size // 2), (size // 3, size // 4), 15, 0, 300, 1, 1)
    image += 400.0 * rim
    return image + rng.normal(0, noise, image.shape).astype(np.float32)


def _stored(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image), 0, 4095).astype(np.uint16)


def _draw(image: np.ndarray, text: str, x: int, y: int, px: int, value: float, face: int = 1):
    """``text`` burned in at (x, y): anti-aliased coverage of ``value`` over the image."""
    alpha = _glyphs(text, px, face)
    h, w = alpha.shape
    region = image[y : y + h, x : x + w]
    image[y : y + h, x : x + w] = region * (1 - alpha) + value * alpha
    return image


def test_an_organ_rim_taller_than_a_glyph_is_cleared() -> None:
    frame = _stored(_slab(81001))
    assert refusal(frame) is None
    assert text_free(frame, "MONOCHROME2", lossy=False)


@pytest.mark.parametrize("contrast", [80.0, 400.0, 3000.0])
def test_a_line_touching_the_rim_is_refused(contrast: float) -> None:
    image = _slab(81002)
    # the line starts on the rim's left end: its first glyphs merge into the rim's cluster
    frame = _stored(_draw(image, "ZOLA 4471", 40, 118, 11, 1000.0 + contrast))
    assert not text_free(frame, "MONOCHROME2", lossy=False)


def test_a_thick_glyph_is_found_by_its_exact_ink() -> None:
    # a 40 px bold glyph 7 noise spreads over the slab: its strokes are wider than the 5x5
    # median, so the residual sees little of it; its exact core is an ink plateau
    slab = _stored(_slab(81003))
    frame = _stored(_draw(_slab(81003), "O", 20, 20, 40, 1070.0))
    noise = residual_clusters(frame).noise
    args = (GLYPH_ROWS_MAX, PLATEAU_PIXELS, PLATEAU_CONTRAST)
    found = plateaus(frame, noise, *args)
    assert len(found) and (found[:, 0] >= 20).all() and (found[:, 2] <= 70).all()
    assert not len(plateaus(slab, residual_clusters(slab).noise, *args))
    assert not text_free(frame, "MONOCHROME2", lossy=False)


@pytest.mark.parametrize("text", ["O", "0", "U", "o", "8", "e"])
@pytest.mark.parametrize("px", [24, 32, 48])
def test_no_large_single_glyph_is_cleared(text: str, px: int) -> None:
    for face in (0, 1, 2):
        frame = _stored(_draw(_slab(81007), text, 150, 20, px, 1070.0, face=face))
        assert not text_free(frame, "MONOCHROME2", lossy=False), (text, px, face)


def test_noise_clipped_at_zero_is_not_ink() -> None:
    # an MR-like background: noise around 15 clipped at 0 leaves specks of exact zeros
    image = _slab(81004, level=15.0, noise=12.0)
    frame = _stored(image)
    assert (frame == 0).sum() > 1000
    assert refusal(frame) is None


def test_a_glyph_sized_cluster_refuses_whatever_its_ink() -> None:
    image = _slab(81005)
    frame = _stored(_draw(image, "Q8", 180, 200, 12, 1200.0, face=2))
    assert refusal(frame) == "glyph"
    tall = _stored(_draw(_slab(81005), "Q", 180, 190, GLYPH_ROWS + 20, 1200.0, face=2))
    assert not text_free(tall, "MONOCHROME2", lossy=False)


def test_a_quiet_frame_refuses_even_tall_clusters() -> None:
    # 8-bit stored values: anatomy repeats values there, exact ink tells nothing
    frame = np.clip(_slab(81006, level=100.0, noise=3.0) / 4, 0, 255).astype(np.uint8)
    assert refusal(frame) == "quiet"


@pytest.mark.parametrize(
    ("text", "size", "seed"),
    [
        # cleared by the earlier proof (any 3-row cluster refuses, none here):
        ("Dr ROUX", 384, 71098),  # 9 px, 60 HU over tissue: faint strokes, no 3-row cluster
        ("M", 512, 71278),  # 10 px, the same
        ("7", 384, 71528),  # 20 px: strokes wider than the median, a plateau of exact ink
        ("R", 512, 71218),  # 32 px, the same
        ("7", 384, 71033),  # 11 px: only the bar stands out (a 1-row cluster)
        ("7", 384, 71143),  # 14 px, the same
        # whose one cluster is taller than GLYPH_ROWS (the earlier proof refused them):
        ("M", 384, 71069),  # 24 px in a hidden range (500) on air
        ("M", 384, 71190),  # 28 px in 4095 on air
    ],
)
def test_ct_frames_with_a_single_low_or_large_glyph_are_refused(
    text: str, size: int, seed: int
) -> None:
    ds, planted = make_image("CT", size, [text], seed=seed)
    assert planted
    image = decode(ds)
    assert not text_free(image.frames[0], image.photometric, image.lossy_source)


@pytest.mark.parametrize(
    ("level", "ink", "noise"),
    [(100.0, 3000.0, 0.0), (500.0, 900.0, 1.5), (1000.0, 1300.0, 10.0), (1000.0, 1100.0, 10.0)],
)
@pytest.mark.parametrize("px", [9, 20, 32, 48])
def test_text_beside_a_smooth_organ_is_refused_at_every_size(
    level: float, ink: float, noise: float, px: int
) -> None:
    # a blurred disc (an organ with soft edges) and a line or a round glyph above it, on a
    # flat, nearly flat or noisy background
    rng = np.random.default_rng(px)
    organ = np.zeros((256, 256), np.uint8)
    cv2.circle(organ, (150, 170), 70, 1, -1)
    base = level + 800.0 * cv2.GaussianBlur(organ.astype(np.float32), (0, 0), 3)
    for text in ("JEAN 61", "O"):
        for face in (0, 1, 2):
            image = base + (rng.normal(0, noise, base.shape) if noise else 0.0)
            frame = _stored(_draw(image, text, 10, 20, px, ink, face=face))
            assert not text_free(frame, "MONOCHROME2", lossy=False), (text, face)
