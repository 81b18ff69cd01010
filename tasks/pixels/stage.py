"""The pixels stage: find burned-in text in every frame, redact it, prove it is gone.

``redact_file`` is a FileStage. Per file:

1. read; no pixel data -> copy through (graphics removed); float pixel data -> quarantine;
2. decode every frame (any transfer syntax pydicom and its plugins handle) -> stored values;
3. pass 1: detect text on the renderings (viewer + full-range) of the first frame; redact the
   boxes (padded) plus known template regions in every frame;
4. verification passes: detect again on the renderings of every redacted frame; text found
   is redacted on that frame and the frame is verified again, up to ``max_rounds`` passes in
   all. The last pass must find nothing, else the file is quarantined (``text_remaining``);
5. write losslessly, decode what was written and compare with the redacted frames;
6. only then set BurnedInAnnotation = NO.

Nothing identifying leaves: the outcome holds a reason code and counts.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset

from tasks import atomic
from tasks.phi import read_record
from tasks.pixels import evidence
from tasks.pixels.boxes import Box, unique
from tasks.pixels.decode import DecodedImage, DecodeError, decode, has_pixels
from tasks.pixels.matching import IdentifierIndex, looks_identifying
from tasks.pixels.ocr import DetectorSettings, TextEngine, get_engine
from tasks.pixels.overlays import remove_graphics
from tasks.pixels.profile import PixelProfile
from tasks.pixels.render import Renderer
from tasks.pixels.seamless import seamless
from tasks.pixels.templates import load_templates, template_boxes
from tasks.pixels.write import EncodeError, check_roundtrip, fill_boxes, fill_value, store_frames
from tasks.pixels.write import to_bytes as dataset_bytes
from tasks.stage import Outcome, StageContext

STAGE = "pixels"


def settings_from(ctx: StageContext) -> PixelProfile:
    section = ctx.profile.section(STAGE) if ctx.profile is not None else None
    return section if isinstance(section, PixelProfile) else PixelProfile()


def detector_settings(settings: PixelProfile) -> DetectorSettings:
    return DetectorSettings(
        max_side=settings.detection_max_side,
        det_threshold=settings.det_threshold,
        box_threshold=settings.box_threshold,
        unclip_ratio=settings.unclip_ratio,
        threads=settings.threads,
    )


@dataclass
class Policy:
    """Which detected boxes must go: all of them, or those whose text is identifying."""

    engine: TextEngine
    identifying_only: bool
    index: IdentifierIndex | None
    min_score: float

    def select(self, image: np.ndarray, boxes: list[Box]) -> tuple[list[Box], int]:
        """Boxes to redact among ``boxes`` (found on ``image``), and how many are kept."""
        if not self.identifying_only or self.index is None or not boxes:
            return boxes, 0
        readings = self.engine.recognise(image, boxes)
        doomed = [
            box
            for box, reading in zip(boxes, readings, strict=True)
            if reading.score < self.min_score
            or looks_identifying(reading.text)
            or self.index.matches(reading.text)
        ]
        return doomed, len(boxes) - len(doomed)


@dataclass
class FrameScan:
    """Text boxes to redact on one frame, found on all of its renderings."""

    redact: list[Box]
    detected: int
    kept: int
    blobs: int = 0  # huge detections that read as at most two characters: not text lines
    artifacts: int = 0  # detections on a redacted frame with nothing but flat pixels outside fills
    specks: int = 0  # detections smaller than min_side both ways (ticks, dots)


MIN_CHARACTERS_IN_HUGE_TEXT = 3


def scan_frame(
    frame: np.ndarray,
    renderer: Renderer,
    engine: TextEngine,
    policy: Policy,
    filled: list[Box] | None = None,
    max_text_height: int | None = None,
    min_side: int = 0,
) -> FrameScan:
    """Detect on every rendering of ``frame``; ``filled`` areas are shown seamlessly patched.

    Detections taller than ``max_text_height`` go through ``_resolve_huge``.
    """
    redact: list[Box] = []
    detected = kept = blobs = artifacts = specks = 0
    mask = filled_mask(frame.shape[:2], filled or [])
    for rendering in renderer.detection_images(seamless(frame, filled or [])):
        lines: list[Box] = []
        huge: list[Box] = []
        for box in engine.detect(rendering):
            if box.width < min_side and box.height < min_side:
                specks += 1  # smaller than the box of any legible glyph
                continue
            small = max_text_height is None or box.height <= max_text_height
            (lines if small else huge).append(box)
        if huge:
            found, ignored = _resolve_huge(rendering, huge, engine, max_text_height or 0)
            lines += found
            blobs += ignored
        if mask is not None:
            real = [box for box in lines if not _patch_artifact(rendering, mask, box)]
            artifacts += len(lines) - len(real)
            lines = real
        detected += len(lines)
        chosen, skipped = policy.select(rendering, lines)
        kept += skipped
        redact.extend(chosen)
    return FrameScan(unique(redact), detected, kept, blobs, artifacts, specks)


FLAT_LEVELS = 16  # 8-bit levels: less spread than this outside the fills holds no glyph


def filled_mask(shape: tuple[int, ...], filled: list[Box]) -> np.ndarray | None:
    if not filled:
        return None
    mask = np.zeros(shape[:2], dtype=bool)
    height, width = mask.shape
    for box in filled:
        b = box.clipped(width, height)
        mask[b.y0 : b.y1, b.x0 : b.x1] = True
    return mask


def _patch_artifact(rendering: np.ndarray, mask: np.ndarray, box: Box) -> bool:
    """A detection on a redacted frame whose pixels outside the fills are flat.

    Outside the fills the output equals the original; inside them it is one value. If the
    outside part of the box is flat (spread under FLAT_LEVELS in the rendering), the box
    holds no glyph in the output: what the detector saw is the patch shown to it.
    """
    outside = ~mask[box.y0 : box.y1, box.x0 : box.x1]
    values = rendering[box.y0 : box.y1, box.x0 : box.x1][outside]
    if values.size == 0:
        return True
    values = values.reshape(values.shape[0], -1).astype(np.int16)
    spread = np.percentile(values, 99, axis=0) - np.percentile(values, 1, axis=0)
    return bool(spread.max() < FLAT_LEVELS)


def _resolve_huge(
    rendering: np.ndarray, huge: list[Box], engine: TextEngine, max_text_height: int
) -> tuple[list[Box], int]:
    """Text lines inside huge detections, and how many huge regions are not text.

    The detector reads a head, an organ or a blob on a plain background as one giant glyph
    (an "O", a "0"), mostly when no real text competes. Inside each huge box the detector
    looks again with strict thresholds: line-sized boxes found there are text. What stays
    huge is read by the recogniser: three characters or more is (huge) text and is
    redacted; less is a shape, not an identifier, and is left alone (counted).
    """
    lines: list[Box] = []
    candidates: list[Box] = []
    for box in huge:
        crop = rendering[box.y0 : box.y1, box.x0 : box.x1]
        inner = [
            Box(b.x0 + box.x0, b.y0 + box.y0, b.x1 + box.x0, b.y1 + box.y0)
            for b in engine.detect(crop, strict=True)
        ]
        lines += [b for b in inner if b.height <= max_text_height]
        still_huge = [b for b in inner if b.height > max_text_height]
        candidates += still_huge if inner else [box]
    blobs = 0
    for box, reading in zip(candidates, engine.recognise(rendering, candidates), strict=True):
        if sum(c.isalnum() for c in reading.text) >= MIN_CHARACTERS_IN_HUGE_TEXT:
            lines.append(box)
        else:
            blobs += 1
    return lines, blobs


def redact_file(src: Path, dst: Path, item_id: str, ctx: StageContext) -> Outcome:
    settings = settings_from(ctx)
    try:
        ds = pydicom.dcmread(src)
    except Exception:
        return Outcome(False, f"{STAGE}.unreadable")
    graphics = remove_graphics(ds) if settings.remove_overlays else 0
    if "IconImageSequence" in ds:  # a thumbnail of the image, burned-in text included
        del ds.IconImageSequence
        graphics += 1
    if not has_pixels(ds):
        if graphics:
            atomic.write_bytes(dst, dataset_bytes(ds))
        else:
            _copy(src, dst)
        return Outcome(True, counts={"no_pixels": 1, "graphics_removed": graphics})
    try:
        image = decode(ds)
    except DecodeError:
        return Outcome(False, f"{STAGE}.decode_error")
    outcome, frames = _redact_image(ds, image, item_id, ctx, settings)
    if not outcome.ok or frames is None:
        evidence.record(ctx.workspace, item_id, ds, outcome, None, settings)
        return outcome
    ds.BurnedInAnnotation = "NO"
    try:
        store_frames(ds, image, frames.redacted)
        data = dataset_bytes(ds)
    except (EncodeError, ValueError, TypeError, NotImplementedError):
        return Outcome(False, f"{STAGE}.encode_error", counts=outcome.counts)
    if not check_roundtrip(data, frames.redacted):
        return Outcome(False, f"{STAGE}.roundtrip_mismatch", counts=outcome.counts)
    atomic.write_bytes(dst, data)
    outcome.counts["graphics_removed"] = graphics
    evidence.record(ctx.workspace, item_id, ds, outcome, frames, settings)
    return outcome


@dataclass
class RedactedFrames:
    original: np.ndarray
    redacted: np.ndarray
    boxes: list[list[Box]]  # per frame, what was filled
    renderer: Renderer


def _redact_image(
    ds: Dataset,
    image: DecodedImage,
    item_id: str,
    ctx: StageContext,
    settings: PixelProfile,
) -> tuple[Outcome, RedactedFrames | None]:
    try:
        engine = get_engine(detector_settings(settings))
        templates = load_templates(settings.templates_path())
    except Exception as error:
        return Outcome(False, f"{STAGE}.engine_error.{type(error).__name__}"), None
    policy = _policy(engine, settings, ctx, item_id)
    renderer = Renderer.for_dataset(
        ds, image.photometric, settings.full_range_rendering, settings.merge_renderings
    )
    original = image.frames
    redacted = original.copy()
    fill = fill_value(image) if settings.fill == "black" else None
    filled: list[list[Box]] = [[] for _ in range(image.count)]
    height, width = original.shape[1:3]

    def apply(frame_index: int, boxes: list[Box]) -> int:
        filled[frame_index].extend(boxes)
        return fill_boxes(redacted[frame_index], boxes, fill)

    counts = {"images": 1, "frames": image.count, "text_boxes": 0, "redacted_boxes": 0}
    counts["template_boxes"] = 0
    counts["kept_boxes"] = 0
    counts["blobs_ignored"] = 0
    counts["patch_artifacts"] = 0
    counts["specks_ignored"] = 0
    max_text = max(settings.max_text_height_px, round(settings.max_text_height_ratio * height))
    min_side = settings.min_text_box_px
    try:
        first = scan_frame(redacted[0], renderer, engine, policy, None, max_text, min_side)
        counts["blobs_ignored"] += first.blobs
        counts["specks_ignored"] += first.specks
        fixed = template_boxes(templates, ds)
        shared = [_pad(b, settings, width, height) for b in first.redact]
        counts["text_boxes"] += first.detected
        counts["kept_boxes"] += first.kept
        counts["template_boxes"] = len(fixed)
        for index in range(image.count):
            counts["redacted_boxes"] += apply(index, shared + fixed)
        groups = identical_frames(original)  # representative frame -> all frames like it
        to_verify = list(groups)
        if not (shared or fixed):  # frame 0 unchanged: pass 1 already proved it clean
            to_verify = [index for index in to_verify if index != 0]
        passes = 1
        while to_verify:
            passes += 1
            found_on: list[int] = []
            for index in to_verify:
                scan = scan_frame(
                    redacted[index], renderer, engine, policy, filled[index], max_text, min_side
                )
                counts["blobs_ignored"] += scan.blobs
                counts["patch_artifacts"] += scan.artifacts
                counts["specks_ignored"] += scan.specks
                if scan.redact:
                    counts["text_boxes"] += len(scan.redact) * len(groups[index])
                    found_on.append(index)
                    if passes < settings.max_rounds:
                        extra = [_pad(b, settings, width, height) for b in scan.redact]
                        for twin in groups[index]:
                            counts["redacted_boxes"] += apply(twin, extra)
            if found_on and passes >= settings.max_rounds:
                counts["verify_passes"] = passes
                return Outcome(False, f"{STAGE}.text_remaining", counts=counts), None
            to_verify = found_on
        counts["verify_passes"] = passes
    except (RuntimeError, ValueError, TypeError, MemoryError) as error:
        return Outcome(False, f"{STAGE}.ocr_error.{type(error).__name__}", counts=counts), None
    return Outcome(True, counts=counts), RedactedFrames(original, redacted, filled, renderer)


def identical_frames(frames: np.ndarray) -> dict[int, list[int]]:
    """Group byte-identical frames: each first occurrence -> every frame equal to it.

    Identical frames get identical fills, so verifying one of them verifies them all.
    """
    groups: dict[int, list[int]] = {}
    seen: dict[bytes, int] = {}
    for index in range(frames.shape[0]):
        digest = hashlib.blake2b(frames[index].tobytes(), digest_size=16).digest()
        first = seen.setdefault(digest, index)
        groups.setdefault(first, []).append(index)
    return groups


def _policy(engine: TextEngine, settings: PixelProfile, ctx: StageContext, item_id: str) -> Policy:
    if settings.redact != "identifying_text":
        return Policy(engine, False, None, settings.min_recognition_score)
    record = read_record(ctx.workspace, item_id) if ctx.workspace is not None else None
    if record is None:  # nothing to match against: redact all text (fail safe)
        return Policy(engine, False, None, settings.min_recognition_score)
    values = {group: list(v) for group, v in record.identifiers.items()}
    for group, value in (
        ("ids", record.patient_id),
        ("ids", record.accession),
        ("dates", record.birth_date),
    ):
        if value:
            values.setdefault(group, []).append(value)
    return Policy(engine, True, IdentifierIndex.build(values), settings.min_recognition_score)


def _pad(box: Box, settings: PixelProfile, width: int, height: int) -> Box:
    return box.padded(settings.padding_px, settings.padding_ratio).clipped(width, height)


def _copy(src: Path, dst: Path) -> None:
    tmp = atomic.temp_path_for(dst)
    shutil.copyfile(src, tmp)
    tmp.replace(dst)
