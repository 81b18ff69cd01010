"""Synthetic DICOM images with burned-in text, for tests, benchmarks and the demo.

``make_image`` draws a plausible background for a modality (CT/MR phantom, CR body, US sector
cine, secondary-capture screenshot), then burns each requested line of text into the stored
pixel values with a font size, typeface, contrast and position chosen from ``seed``. It returns
the dataset and, for every line, where its ink is (tight box in pixel coordinates), so a test
can assert that exactly those pixels were redacted.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image, ImageDraw, ImageFont
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

FONT_DIR = Path(__file__).parent / "fonts"
FONT_FILES = ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSerif.ttf", None)
TEXT_SIZES = (9, 10, 11, 12, 13, 14, 16, 18, 20, 24, 28, 32)  # font size in px
MODALITIES = ("CT", "MR", "CR", "US", "SC")

SOP_CLASSES = {
    "CT": "1.2.840.10008.5.1.4.1.1.2",
    "MR": "1.2.840.10008.5.1.4.1.1.4",
    "CR": "1.2.840.10008.5.1.4.1.1.1",
    "US": "1.2.840.10008.5.1.4.1.1.6.1",
    "US_MULTI": "1.2.840.10008.5.1.4.1.1.3.1",
    "SC": "1.2.840.10008.5.1.4.1.1.7",
}


@dataclass(frozen=True)
class PlantedText:
    """One burned-in line: its text, ink box ``(x0, y0, x1, y1)`` (end-exclusive), frames."""

    text: str
    box: tuple[int, int, int, int]
    frames: tuple[int, ...]
    font_px: int
    contrast: str  # high | medium | low | windowed_out (visible only in a full-range view)


@dataclass(frozen=True)
class _Geometry:
    bits_stored: int
    signed: bool
    monochrome1: bool
    colour: bool


_GEOMETRY = {
    "CT": _Geometry(12, False, False, False),
    "MR": _Geometry(12, False, False, False),
    "CR": _Geometry(12, False, True, False),
    "US": _Geometry(8, False, False, True),
    "SC": _Geometry(8, False, False, True),
}


@cache
def _font(index: int, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = FONT_FILES[index % len(FONT_FILES)]
    if name is None or not (FONT_DIR / name).is_file():
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(str(FONT_DIR / name), size)


def make_image(
    modality: str,
    size: int,
    lines: list[str],
    frames: int = 1,
    seed: int = 0,
) -> tuple[Dataset, list[PlantedText]]:
    """Build a synthetic ``modality`` image (``size`` x ``size``) with ``lines`` burned in.

    ``modality`` is one of CT, MR, CR (MONOCHROME1), US (RGB; multi-frame cine when
    ``frames`` > 1) or SC (RGB secondary capture). Each line gets a font size in 9–32 px, a
    typeface, a contrast and a free position, all drawn from ``seed``; 12-bit modalities
    also get lines in a range a viewer's window hides (``contrast="windowed_out"``). Lines
    that cannot be placed without overlap are skipped (not returned). The header carries
    neutral demographics; the caller may set any PHI it wants before saving. Returns the
    dataset (uncompressed, Explicit VR Little Endian) and the planted lines.
    """
    modality = modality.upper()
    if modality not in _GEOMETRY:
        raise ValueError(f"modality must be one of {', '.join(MODALITIES)}")
    if size < 64 or frames < 1:
        raise ValueError("size must be >= 64 and frames >= 1")
    rng = np.random.default_rng(seed)
    geometry = _GEOMETRY[modality]
    stack = _background(modality, size, frames, rng)  # float32 (frames, size, size[, 3])
    planted: list[PlantedText] = []
    taken: list[tuple[int, int, int, int]] = []
    for index, text in enumerate(lines):
        font_px = int(rng.choice(TEXT_SIZES))
        font = _font(int(rng.integers(0, len(FONT_FILES))), font_px)
        contrasts = ["high", "high", "medium", "low"]
        if modality in ("CT", "CR"):
            contrasts.append("windowed_out")
        contrast = contrasts[(index + seed) % len(contrasts)]
        mask = _text_mask(text, font)
        if mask is None:
            continue
        spot = _place(mask.shape, size, taken, rng, over_anatomy=contrast in ("low", "medium"))
        if spot is None:
            continue
        x, y = spot
        height, width = mask.shape
        _burn(stack, mask, x, y, modality, contrast, rng)
        ys, xs = np.nonzero(mask)
        box = (x + int(xs.min()), y + int(ys.min()), x + int(xs.max()) + 1, y + int(ys.max()) + 1)
        taken.append((x, y, x + width, y + height))
        planted.append(PlantedText(text, box, tuple(range(frames)), font_px, contrast))
    dataset = _dataset(modality, stack, geometry, frames, seed)
    return dataset, planted


def _text_mask(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> np.ndarray | None:
    left, top, right, bottom = font.getbbox(text)
    if right - left <= 0 or bottom - top <= 0:
        return None
    canvas = Image.new("L", (int(right - left) + 4, int(bottom - top) + 4), 0)
    ImageDraw.Draw(canvas).text((2 - left, 2 - top), text, fill=255, font=font)
    return np.asarray(canvas, dtype=np.float32) / 255.0


def _place(
    shape: tuple[int, ...],
    size: int,
    taken: list[tuple[int, int, int, int]],
    rng: np.random.Generator,
    over_anatomy: bool,
) -> tuple[int, int] | None:
    height, width = shape
    if width >= size - 4 or height >= size - 4:
        return None
    for _ in range(200):
        if over_anatomy:
            x = int(rng.integers(size // 5, max(size // 5 + 1, size - size // 5 - width)))
            y = int(rng.integers(size // 4, max(size // 4 + 1, size - size // 4 - height)))
        else:
            x = int(rng.integers(2, size - width - 2))
            band = rng.random()
            if band < 0.4:
                y = int(rng.integers(2, max(3, size // 6)))
            elif band < 0.8:
                y = int(rng.integers(max(2, size - size // 6 - height), size - height - 2))
            else:
                y = int(rng.integers(2, size - height - 2))
        x, y = min(x, size - width - 2), min(y, size - height - 2)  # keep the line inside
        candidate = (x - 6, y - 6, x + width + 6, y + height + 6)
        if all(_disjoint(candidate, other) for other in taken):
            return x, y
    return None


def _disjoint(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def _field(size: int, rng: np.random.Generator, grain: int) -> np.ndarray:
    """Smooth random field in [-1, 1]: noise on a coarse grid, bicubically enlarged."""
    coarse = max(2, size // grain)
    noise = Image.fromarray(rng.normal(0, 1, (coarse, coarse)).astype(np.float32), mode="F")
    field = np.asarray(noise.resize((size, size), Image.Resampling.BICUBIC), dtype=np.float32)
    return np.clip(field / (np.abs(field).max() + 1e-6), -1, 1)


def _background(modality: str, size: int, frames: int, rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    texture = _field(size, rng, 24)
    if modality == "CT":  # stored = HU + 1024: air 0, fat ~924, soft tissue ~1064
        outline = (xx / 0.42) ** 2 + (yy / 0.33) ** 2 + 0.15 * _field(size, rng, 64)
        body = outline < 1
        lungs = body & (_field(size, rng, 48) > 0.35) & (outline < 0.7)
        image = np.where(body, 1044.0 + 40.0 * texture, 0.0)
        image = np.where(lungs, 180.0 + 60.0 * texture, image)
        image += rng.normal(0, 10, image.shape) * body
        stack = np.repeat(image[None], frames, axis=0)
    elif modality == "MR":
        head = (xx / 0.36) ** 2 + (yy / 0.42) ** 2 + 0.1 * _field(size, rng, 64) < 1
        image = np.where(head, 650.0 + 250.0 * texture, 15.0)
        image += rng.normal(0, 12, image.shape)
        stack = np.repeat(image[None], frames, axis=0)
    elif modality == "CR":  # MONOCHROME1: high values are dark; air outside body is dark
        body = np.abs(xx) < 0.33 + 0.03 * texture
        image = np.where(body, 1500.0 + 500.0 * np.abs(xx) / 0.33 + 150.0 * texture, 3600.0)
        image += rng.normal(0, 20, image.shape)
        stack = np.repeat(image[None], frames, axis=0)
    elif modality == "US":
        angle = np.arctan2(xx, yy + 0.45)
        radius = np.hypot(xx, yy + 0.45)
        sector = (np.abs(angle) < 0.6) & (radius > 0.2) & (radius < 0.85)
        stack = np.zeros((frames, size, size, 3), np.float32)
        depth = np.clip(1.2 - radius, 0.3, 1.0)  # echoes fade with depth
        for frame in range(frames):
            speckle = _smooth(rng.gamma(2.0, 30.0, (size, size)).astype(np.float32))
            stack[frame] = np.clip(speckle * depth * sector, 0, 230)[..., None]
    else:  # SC: a screenshot with a dark panel and a picture inside
        stack = np.zeros((frames, size, size, 3), np.float32)
        picture = (np.abs(xx) < 0.35) & (np.abs(yy) < 0.3)
        base = np.where(picture, 120.0 + 60.0 * texture, 35.0)
        stack[:] = base[None, ..., None] * np.array([1.0, 0.95, 0.9], np.float32)
    return stack.astype(np.float32)


def _smooth(image: np.ndarray) -> np.ndarray:
    """3x3 box blur: speckle with a grain of a few pixels, like a scan-converted echo."""
    padded = np.pad(image, 1, mode="edge")
    height, width = image.shape
    total: np.ndarray = sum(  # type: ignore[assignment]  # a sum of arrays
        padded[dy : dy + height, dx : dx + width] for dy in range(3) for dx in range(3)
    )
    return total / 9.0


def _burn(
    stack: np.ndarray,
    mask: np.ndarray,
    x: int,
    y: int,
    modality: str,
    contrast: str,
    rng: np.random.Generator,
) -> None:
    height, width = mask.shape
    region = stack[:, y : y + height, x : x + width]
    alpha = mask if region.ndim == 3 else mask[..., None]
    local = float(np.median(region))
    if modality in ("US", "SC"):
        colours: dict[str, tuple[float, float, float] | None] = {
            "high": (255, 255, 255),
            "medium": (230, 220, 60),
            "low": None,
        }
        colour = colours.get(contrast)
        if colour is None:  # grey label over the picture: ~70 levels brighter
            colour = (min(255, local + 70),) * 3
        value: np.ndarray | float = np.array(colour, np.float32)
    elif modality == "CR":  # MONOCHROME1: white text has low values
        value = {"high": 0.0, "medium": 900.0, "low": local - 250.0, "windowed_out": 3950.0}[
            contrast
        ]
    elif modality == "CT":
        value = {"high": 4095.0, "medium": 1200.0, "low": local + 60.0, "windowed_out": 500.0}[
            contrast
        ]
    else:  # MR
        value = {"high": 4095.0, "medium": 1300.0, "low": local + 220.0}[contrast]
    del rng
    stack[:, y : y + height, x : x + width] = region * (1 - alpha) + value * alpha


def _dataset(
    modality: str, stack: np.ndarray, geometry: _Geometry, frames: int, seed: int
) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    sop_key = "US_MULTI" if modality == "US" and frames > 1 else modality
    ds.SOPClassUID = SOP_CLASSES[sop_key]
    ds.SOPInstanceUID = generate_uid(entropy_srcs=["clearance-synthetic", modality, str(seed)])
    ds.StudyInstanceUID = generate_uid(entropy_srcs=["clearance-synthetic-study", str(seed)])
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=["clearance-synthetic-series", str(seed)])
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.Modality = "OT" if modality == "SC" else modality
    ds.PatientName = "SYNTHETIC^PATIENT"
    ds.PatientID = f"SYN{seed:06d}"
    ds.Manufacturer = "Clearance Synthetic"
    ds.ManufacturerModelName = f"Synthetic {modality}"
    ds.BurnedInAnnotation = "YES"
    ds.SamplesPerPixel = 3 if geometry.colour else 1
    ds.PhotometricInterpretation = (
        "RGB" if geometry.colour else ("MONOCHROME1" if geometry.monochrome1 else "MONOCHROME2")
    )
    if geometry.colour:
        ds.PlanarConfiguration = 0
    ds.Rows, ds.Columns = stack.shape[1], stack.shape[2]
    ds.BitsAllocated = 8 if geometry.bits_stored <= 8 else 16
    ds.BitsStored = geometry.bits_stored
    ds.HighBit = geometry.bits_stored - 1
    ds.PixelRepresentation = 0
    if frames > 1:
        ds.NumberOfFrames = frames
    maximum = (1 << geometry.bits_stored) - 1
    dtype = np.uint8 if ds.BitsAllocated == 8 else np.uint16
    pixels = np.clip(np.rint(stack), 0, maximum).astype(dtype)
    if frames == 1:
        pixels = pixels[0]
    if modality == "CT":
        ds.RescaleIntercept = -1024
        ds.RescaleSlope = 1
        ds.RescaleType = "HU"
        ds.WindowCenter = 40
        ds.WindowWidth = 400
    elif modality == "MR":
        ds.WindowCenter = 600
        ds.WindowWidth = 1200
    elif modality == "CR":
        ds.WindowCenter = 2000
        ds.WindowWidth = 3000
    ds.PixelData = pixels.tobytes()
    ds["PixelData"].VR = "OB" if ds.BitsAllocated == 8 else "OW"
    return ds


def save(dataset: Dataset, path: Path) -> None:
    """Write a dataset made by ``make_image`` as a DICOM Part 10 file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pydicom.dcmwrite(path, dataset, enforce_file_format=True)
