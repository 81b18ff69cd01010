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
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset

from tasks.config.phi import read_record
from tasks.pixels import evidence
from tasks.pixels.boxes import Box
from tasks.pixels.decode import DecodedImage, DecodeError, decode, has_pixels
from tasks.pixels.evidence import RedactedFrames
from tasks.pixels.ink import follow_ink
from tasks.pixels.matching import IdentifierIndex
from tasks.pixels.ocr import DetectorSettings, TextEngine, get_engine
from tasks.pixels.overlays import remove_graphics
from tasks.pixels.pixel_settings import PixelProfile
from tasks.pixels.prefilter import text_free
from tasks.pixels.render import Renderer
from tasks.pixels.scan import FrameScan, Policy, ScanRules, scan_frame
from tasks.pixels.templates import load_templates, template_boxes
from tasks.pixels.write import (
    check_roundtrip,
    fill_boxes,
    fill_value,
    output_counts,
    store_frames,
)
from tasks.pixels.write import to_bytes as dataset_bytes
from tasks.runtime import atomic
from tasks.runtime.stage_contract import Outcome, StageContext

STAGE = "pixels"


def settings_from(ctx: StageContext) -> PixelProfile:
    section = ctx.profile.section(STAGE) if ctx.profile is not None else None
    return section if isinstance(section, PixelProfile) else PixelProfile()


def detector_settings(settings: PixelProfile) -> DetectorSettings:
    return DetectorSettings(
        max_side=settings.detection_max_side,
        det_threshold=settings.det_threshold,
        box_threshold=settings.box_threshold,
        candidate_threshold=settings.candidate_threshold,
        unclip_ratio=settings.unclip_ratio,
        threads=settings.threads,
    )


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
        written = store_frames(ds, image, frames.redacted)
        data = dataset_bytes(ds)
    except (ValueError, TypeError, NotImplementedError, AttributeError):
        return Outcome(False, f"{STAGE}.encode_error", counts=outcome.counts)
    if not check_roundtrip(data, frames.redacted):
        return Outcome(False, f"{STAGE}.roundtrip_mismatch", counts=outcome.counts)
    atomic.write_bytes(dst, data)
    outcome.counts["graphics_removed"] = graphics
    outcome.counts.update(output_counts(image, written))
    evidence.record(ctx.workspace, item_id, ds, outcome, frames, settings)
    return outcome


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
    renderer = Renderer.for_dataset(ds, image.photometric, settings.full_range_rendering)
    original = image.frames
    redacted = original.copy()
    fill = fill_value(image) if settings.fill == "black" else None
    filled: list[list[Box]] = [[] for _ in range(image.count)]
    height, width = original.shape[1:3]

    def apply(frame_index: int, boxes: list[Box]) -> int:
        filled[frame_index].extend(boxes)
        return fill_boxes(redacted[frame_index], boxes, fill)

    counts = {"images": 1, "frames": image.count, "text_boxes": 0, "redacted_boxes": 0}
    counts.update(dict.fromkeys(("template_boxes", "kept_boxes", *IGNORED), 0))
    rules = ScanRules(
        max_text_height=max(
            settings.max_text_height_px, round(settings.max_text_height_ratio * height)
        ),
        min_side=settings.min_text_box_px,
        tile=settings.detection_tile_px,
        confident=settings.verify_far_threshold,
        second_look_min_side=settings.second_look_min_side,
        second_look_max_line=settings.second_look_max_line_px,
        coarse_side=settings.coarse_side,
        enlarged_side=settings.enlarged_side,
    )
    counts["frames_prefiltered"] = counts["frames_detected"] = 0
    try:
        fixed = template_boxes(templates, ds)
        proven = _text_free_frames(image, settings.prefilter == "on" and not fixed)
        counts["frames_prefiltered"] = len(proven)
        if 0 in proven:  # no detection: the proof of absence holds for frame 0
            first = FrameScan([], 0, 0)
        else:
            first = scan_frame(redacted[0], renderer, engine, policy, rules)
            counts["frames_detected"] += 1
        _count_ignored(counts, first)
        lines = _follow_ink(original[0], first.redact, settings, image.lossy_source, fixed)
        shared = [_pad(b, settings, width, height) for b in lines]
        counts["text_boxes"] += first.detected
        counts["kept_boxes"] += first.kept
        counts["template_boxes"] = len(fixed)
        for index in range(image.count):
            counts["redacted_boxes"] += apply(index, shared + fixed)
        groups = identical_frames(original)  # representative frame -> all frames like it
        to_verify = list(groups)
        if not (shared or fixed):  # frame 0 unchanged: pass 1 already proved it clean
            to_verify = [index for index in to_verify if index != 0]
        scanned = set(groups[0])  # frames pass 1 looked at in full
        passes = 1
        while to_verify:
            passes += 1
            found_on: list[int] = []
            for index in to_verify:
                if index in proven and not filled[index]:  # never filled, proven text-free
                    scanned.add(index)
                    continue
                counts["frames_detected"] += index not in scanned
                scan = scan_frame(
                    redacted[index],
                    renderer,
                    engine,
                    policy,
                    rules,
                    filled[index],
                    first_look=index not in scanned,
                )
                scanned.add(index)
                _count_ignored(counts, scan)
                if scan.redact:
                    counts["text_boxes"] += len(scan.redact) * len(groups[index])
                    found_on.append(index)
                    if passes < settings.max_rounds:
                        lines = _follow_ink(
                            original[index],
                            scan.redact,
                            settings,
                            image.lossy_source,
                            filled[index],
                        )
                        extra = [_pad(b, settings, width, height) for b in lines]
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


IGNORED = (
    "blobs_ignored",
    "patch_artifacts",
    "specks_ignored",
    "faint_ignored",
    "textures_ignored",
)


def _count_ignored(counts: dict[str, int], scan: FrameScan) -> None:
    """What the scan saw but did not take for text (see scan.py), as counts."""
    for name, value in zip(
        IGNORED,
        (scan.blobs, scan.artifacts, scan.specks, scan.faint, scan.textures),
        strict=True,
    ):
        counts[name] += value


def _text_free_frames(image: DecodedImage, enabled: bool) -> set[int]:
    """Frames the proof of absence (prefilter.py) clears: no detection runs on them."""
    if not enabled or image.is_float:
        return set()
    return {
        index
        for index in range(image.count)
        if text_free(image.frames[index], image.photometric, image.lossy_source)
    }


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
    record = read_record(ctx.workspace, item_id, ctx.key) if ctx.workspace is not None else None
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


def _follow_ink(
    frame: np.ndarray,
    boxes: list[Box],
    settings: PixelProfile,
    lossy: bool,
    filled: list[Box],
) -> list[Box]:
    """Each line widened over the ink that continues it on its rows (see ink.py); a lossy
    source's glyph values scatter, so there they match within ``ink_tolerance``. Other
    boxes and ``filled`` areas (earlier fills, templates) are not background."""
    if not boxes or not settings.follow_ink:
        return boxes
    tolerance = settings.ink_tolerance if lossy else 0
    return [follow_ink(frame, box, boxes + filled, tolerance) for box in boxes]


def _pad(box: Box, settings: PixelProfile, width: int, height: int) -> Box:
    return box.padded(settings.padding_px, settings.padding_ratio).clipped(width, height)


def _copy(src: Path, dst: Path) -> None:
    tmp = atomic.temp_path_for(dst)
    shutil.copyfile(src, tmp)
    tmp.replace(dst)
