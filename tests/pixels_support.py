"""Helpers shared by the pixel-stage tests (tests/test_pixels_*.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom

from tasks.config.profile import ReleaseProfile
from tasks.runtime.stage_contract import StageContext
from tasks.runtime.workspace import Workspace

DATA = Path(__file__).parent / "data" / "pixels"


def context(tmp_path: Path, **pixels: object) -> StageContext:
    workspace = Workspace(tmp_path / "ws", "req")
    workspace.create()
    profile = ReleaseProfile(name="test")
    if pixels:
        from tasks.pixels.pixel_settings import PixelProfile

        profile = ReleaseProfile(name="test", sections={"pixels": PixelProfile(**pixels)})
    return StageContext(workspace, profile, b"k" * 32, None)


def redact_dataset(
    tmp_path: Path, ds: pydicom.Dataset, item_id: str, **pixels: object
) -> tuple[object, Path, Path, StageContext]:
    """Save ``ds``, run the pixels stage on it (profile ``pixels`` fields), and return
    (outcome, source path, output path, context)."""
    from tasks.pixels.pixel_stage import redact_file
    from tasks.synthetic import save

    src, dst = tmp_path / f"{item_id}.in.dcm", tmp_path / f"{item_id}.out.dcm"
    save(ds, src)
    ctx = context(tmp_path / item_id, **pixels)
    return redact_file(src, dst, item_id, ctx), src, dst, ctx


def frames_of(path: Path) -> np.ndarray:
    """Stored frames as (frames, rows, cols[, samples])."""
    ds = pydicom.dcmread(path)
    array = ds.pixel_array
    samples = int(ds.get("SamplesPerPixel", 1))
    return array.reshape((-1, int(ds.Rows), int(ds.Columns)) + ((samples,) if samples > 1 else ()))


def filled_boxes(ctx: StageContext, item_id: str) -> list[list[int]]:
    entry = json.loads((ctx.workspace.evidence / "pixels" / f"{item_id}.json").read_text())
    return entry["boxes"]


def uniform(region: np.ndarray) -> bool:
    flat = region.reshape(-1, *region.shape[2:]) if region.ndim == 3 else region.reshape(-1)
    return bool(len(flat) == 0 or (flat == flat[0]).all())


def outside_mask(shape: tuple[int, int], boxes: list[list[int]], frame: int) -> np.ndarray:
    mask = np.ones(shape, dtype=bool)
    for index, x0, y0, x1, y1 in boxes:
        if index == frame:
            mask[y0:y1, x0:x1] = False
    return mask


def assert_text_free_slice_untouched(tmp_path: Path, modality: str, seed: int) -> None:
    """A generated text-free slice goes through the pixels stage with every pixel kept."""
    from tasks.pixels.pixel_stage import redact_file
    from tasks.synthetic import make_image, save

    ds, planted = make_image(modality, 512, [], seed=seed)
    assert planted == []
    src, dst = tmp_path / "in.dcm", tmp_path / "out.dcm"
    save(ds, src)
    ctx = context(tmp_path)

    outcome = redact_file(src, dst, "slice", ctx)

    assert outcome.ok, outcome.reason
    assert filled_boxes(ctx, "slice") == []
    assert np.array_equal(frames_of(src), frames_of(dst))


def assert_lines_gone_rest_kept(
    src: Path, dst: Path, planted: list, ctx: StageContext, item_id: str
) -> None:
    """Every planted line is filled in the first frame; every pixel outside the fills kept."""
    before, after = frames_of(src), frames_of(dst)
    for line in planted:
        x0, y0, x1, y1 = line.box
        assert uniform(after[0, y0:y1, x0:x1]), f"{line.text!r} ({line.font_px}px) survived"
    keep = outside_mask(after.shape[1:3], filled_boxes(ctx, item_id), 0)
    assert np.array_equal(before[0][keep], after[0][keep])


def redacted_sample(tmp_path: Path) -> StageContext:
    """A secondary capture with two burned-in lines through the pixels stage; its context
    (the workspace holds the evidence)."""
    from tasks.pixels.pixel_stage import redact_file
    from tasks.synthetic import make_image, save

    ds, _ = make_image("SC", 256, ["SECRET NAME", "ID 4455667788"], seed=8)
    save(ds, tmp_path / "in.dcm")
    ctx = context(tmp_path)
    assert redact_file(tmp_path / "in.dcm", tmp_path / "out.dcm", "ev", ctx).ok
    return ctx


# --- Hard classes: images drawn the way other devices draw them (bench/pixels.py --hard) ---

FONT_DIR = Path(__file__).resolve().parent.parent / "tasks" / "synthetic" / "fonts"
HARD_FONTS = ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSerif.ttf")
HARD_CLASSES = ("voi_lut_cr", "dark_ink_ct", "small_bright_mr", "small_bright_dbt")


def _glyphs(text: str, font_px: int, face: int) -> np.ndarray:
    """Anti-aliased mask (0..1) of ``text`` in a shipped typeface."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(FONT_DIR / HARD_FONTS[face % len(HARD_FONTS)]), font_px)
    left, top, right, bottom = font.getbbox(text)
    canvas = Image.new("L", (right - left + 4, bottom - top + 4), 0)
    ImageDraw.Draw(canvas).text((2 - left, 2 - top), text, fill=255, font=font)
    return np.asarray(canvas, dtype=np.float32) / 255.0


def _smooth_field(size: int, rng: np.random.Generator, grain: int) -> np.ndarray:
    import cv2

    coarse = rng.normal(0, 1, (max(2, size // grain),) * 2).astype(np.float32)
    field = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    return np.clip(field / (np.abs(field).max() + 1e-6), -1, 1)


def _block(
    image: np.ndarray,
    lines: list[str],
    x: int,
    y: int,
    font_px: int,
    face: int,
    ink: float,
    contrast: str,
    blend: bool = False,
) -> list:
    """Burn ``lines`` as a left-aligned block at (x, y) in one exact ``ink`` value (glyph
    pixels at full coverage only, as devices draw: no blending); returns PlantedText."""
    from tasks.synthetic.images import PlantedText

    planted = []
    for text in lines:
        alpha = _glyphs(text, font_px, face)
        mask = alpha >= 0.5
        height, width = mask.shape
        if y + height >= image.shape[0] or x + width >= image.shape[1]:
            break
        region = image[y : y + height, x : x + width]
        if blend:  # anti-aliased edges, as a burning tool draws them
            region[...] = region * (1 - alpha) + ink * alpha
        else:
            region[mask] = ink
        ys, xs = np.nonzero(alpha > 0 if blend else mask)
        box = (x + int(xs.min()), y + int(ys.min()), x + int(xs.max()) + 1, y + int(ys.max()) + 1)
        planted.append(PlantedText(text, box, (0,), font_px, contrast))
        y += height + max(2, font_px // 3)
    return planted


def make_hard_image(kind: str, size: int, lines: list[str], seed: int) -> tuple[object, list]:
    """A synthetic image of one of ``HARD_CLASSES`` with ``lines`` burned in as a block.

    - ``voi_lut_cr``: 12-bit MONOCHROME1 CR whose stored values span only 0-255, with a VOI
      LUT Sequence (4096 entries, sigmoid centred at 2048) under which the whole image, text
      included, renders as one grey: the text is plain only in the raw stored values;
    - ``dark_ink_ct``: a CT filling the field of view, skull / bone bright at the top, text
      drawn in stored value 0 (the darkest value) across noisy tissue and bone there;
    - ``small_bright_mr`` / ``small_bright_dbt``: 9-12 px text in the maximum value over
      tissue nearly as bright (an MR with bright fat, a tomosynthesis slice).
    """
    from tasks.synthetic import make_image

    rng = np.random.default_rng(seed)
    face = int(rng.integers(0, len(HARD_FONTS)))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    texture = _smooth_field(size, rng, 24)
    margin = size // 40
    if kind == "voi_lut_cr":
        ds, _ = make_image("CR", size, [], seed=seed)
        body = np.abs(xx) < 0.33 + 0.03 * texture
        image = np.where(body, 60 + 120 * np.abs(xx) / 0.33 + 25 * texture, 235.0)
        image += rng.normal(0, 4, image.shape)
        ink = float(rng.choice([0.0, 255.0]))  # white or black in any rendering of the raw
        font_px = int(rng.choice([12, 14, 16, 20]))
        x, y = margin + int(rng.integers(0, size // 8)), margin + int(rng.integers(0, size // 10))
        planted = _block(image, lines, x, y, font_px, face, ink, "raw_only")
        pixels = np.clip(np.rint(image), 0, 255).astype(np.uint16)
        for keyword in ("WindowCenter", "WindowWidth"):
            if keyword in ds:
                delattr(ds, keyword)
        from pydicom.dataset import Dataset

        item = Dataset()
        item.LUTDescriptor = [4096, 0, 12]
        ramp = 4095 / (1 + np.exp(-(np.arange(4096) - 2048) / 200.0))
        item.LUTData = np.rint(ramp).astype("<u2").tobytes()
        item.LUTExplanation = "SIGMOID"
        ds.VOILUTSequence = [item]
    elif kind == "dark_ink_ct":
        ds, _ = make_image("CT", size, [], seed=seed)
        outline = (xx / 0.55) ** 2 + ((yy - 0.08) / 0.62) ** 2 + 0.1 * texture
        body = outline < 1
        skull = body & (outline > 0.78)
        image = np.where(body, 1064 + 60 * texture, 24.0)
        bone = 1700 + 700 * _smooth_field(size, rng, 4)  # trabecular: fine, bright texture
        image = np.where(skull, bone, image)
        image += rng.normal(0, 40, image.shape) * body
        font_px = int(rng.choice([9, 10, 11, 12]))
        x = int(size * 0.2) + int(rng.integers(0, size // 6))  # across the skull's top
        y = int(size * 0.02) + int(rng.integers(0, size // 20))
        planted = _block(image, lines, x, y, font_px, face, 0.0, "dark_over_texture", True)
        pixels = np.clip(np.rint(image), 0, 4095).astype(np.uint16)
    elif kind in ("small_bright_mr", "small_bright_dbt"):
        modality = "MR" if kind.endswith("mr") else "CT"
        ds, _ = make_image(modality, size, [], seed=seed)
        if kind.endswith("mr"):
            head = (xx / 0.45) ** 2 + (yy / 0.48) ** 2 + 0.1 * texture < 1
            image = np.where(head, 3300 + 500 * texture, 30.0) + rng.normal(0, 60, xx.shape)
            ds.WindowCenter, ds.WindowWidth = 2400, 3600
        else:  # breast tomosynthesis slice: bright dense tissue reaching the top corner
            breast = ((xx + 0.5) / 0.85) ** 2 + (yy / 0.7) ** 2 < 1
            image = np.where(breast, 3200 + 600 * texture, 200.0) + rng.normal(0, 40, xx.shape)
            ds.Modality = "MG"
            ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.13.1.3"  # Breast Tomosynthesis Image
            ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
            for keyword in ("RescaleIntercept", "RescaleSlope", "RescaleType"):
                if keyword in ds:
                    delattr(ds, keyword)
            ds.WindowCenter, ds.WindowWidth = 2600, 3000
        font_px = int(rng.choice([9, 10, 11, 12]))
        x = margin + int(rng.integers(size // 10, size // 4))
        y = int(size * 0.1) + int(rng.integers(0, size // 6))
        planted = _block(image, lines, x, y, font_px, face, 4095.0, "small_over_bright")
        pixels = np.clip(np.rint(image), 0, 4095).astype(np.uint16)
    else:
        raise ValueError(f"kind must be one of {', '.join(HARD_CLASSES)}")
    ds.PixelData = pixels.tobytes()
    return ds, planted


def make_series_slice(modality: str, size: int, lines: list[str], seed: int) -> tuple[object, list]:
    """One slice of a synthetic CT or MR series, ``lines`` (maybe none) burned in as a
    device does: one exact ink (the top stored value), no anti-aliasing, a block in a
    corner of the frame."""
    from tasks.synthetic import make_image

    ds, _ = make_image(modality, size, [], seed=seed)
    if not lines:
        return ds, []
    rng = np.random.default_rng(seed)
    image = np.frombuffer(ds.PixelData, dtype=np.uint16).reshape(size, size).astype(np.float32)
    font_px = int(rng.choice([10, 11, 12, 14, 16]))
    face = int(rng.integers(0, len(HARD_FONTS)))
    width = max(_glyphs(text, font_px, face).shape[1] for text in lines)
    height = len(lines) * (font_px + 2 + max(2, font_px // 3))
    x = 4 if rng.random() < 0.5 else size - width - 4
    y = 4 if rng.random() < 0.6 else size - height - 4
    planted = _block(image, lines, x, y, font_px, face, 4095.0, "device")
    ds.PixelData = np.clip(image, 0, 4095).astype(np.uint16).tobytes()
    return ds, planted
