"""The text engine behind one small interface: ``detect(image)`` and ``recognise(image, boxes)``.

The implementation runs PaddleOCR 3.x's text detection and recognition predictors with
``engine="onnxruntime"`` on the PP-OCRv6 small models shipped in the rapidocr wheel (see
tasks/pixels/README.md for why). One engine per process, built lazily and reused; its thread
count comes from the profile, else ``$CLEARANCE_OCR_THREADS``, else cores per worker process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from tasks.pixels.boxes import Box, from_polygon
from tasks.pixels.runtime_env import apply_runtime_environment


@dataclass(frozen=True)
class Reading:
    text: str
    score: float


@dataclass(frozen=True)
class DetectorSettings:
    max_side: int = 1280
    det_threshold: float = 0.3
    box_threshold: float = 0.5
    unclip_ratio: float = 1.6
    threads: int = 0
    # stricter thresholds for a second look inside an oversized detection
    strict_det_threshold: float = 0.5
    strict_box_threshold: float = 0.7
    # detections scoring from this up to box_threshold are returned as candidates by
    # ``detect_with_candidates`` (the same run of the network: only the box filter differs)
    candidate_threshold: float = 0.3


class TextEngine(Protocol):
    def detect(self, image: np.ndarray, strict: bool = False) -> list[Box]:
        """Boxes of text in an 8-bit image (H, W) or (H, W, 3) RGB, in its pixel coordinates.

        ``strict`` applies the stricter thresholds (a second look inside a huge detection).
        """

    def detect_with_candidates(self, image: np.ndarray) -> tuple[list[Box], list[Box]]:
        """``detect(image)``, plus the boxes scoring under the box threshold but at least
        the candidate threshold (faint text, or not text: a caller must look again)."""

    def recognise(self, image: np.ndarray, boxes: Sequence[Box]) -> list[Reading]:
        """The text read in each box (same order)."""


def resolve_threads(configured: int) -> int:
    """Profile value, else $CLEARANCE_OCR_THREADS, else the cores left per worker process.

    The flow runs ``$CLEARANCE_WORKERS`` processes (default: one per core), so the default
    is cores // workers, i.e. one thread per process: measured faster than fewer processes
    with more threads, and it never oversubscribes the machine.
    """
    if configured > 0:
        return configured
    from_env = os.environ.get("CLEARANCE_OCR_THREADS", "")
    if from_env.isdigit() and int(from_env) > 0:
        return int(from_env)
    cores = os.cpu_count() or 1
    workers = os.environ.get("CLEARANCE_WORKERS", "")
    per_worker = cores // int(workers) if workers.isdigit() and int(workers) > 0 else 1
    return max(1, per_worker)


def _bgr(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8:
        raise TypeError("the text engine takes 8-bit renderings")
    if image.ndim == 2:
        return np.ascontiguousarray(np.repeat(image[:, :, None], 3, axis=2))
    return np.ascontiguousarray(image[:, :, ::-1])


class PaddleOnnxEngine:
    """PaddleOCR predictors (paddlex runners) on onnxruntime, PP-OCRv6 small det + rec."""

    def __init__(self, settings: DetectorSettings) -> None:
        apply_runtime_environment()
        from paddleocr import TextDetection, TextRecognition

        from tasks.pixels.models import DET_MODEL, REC_MODEL, build_model_folders

        folders = build_model_folders()
        threads = resolve_threads(settings.threads)
        engine_config = {
            "intra_op_num_threads": threads,
            "inter_op_num_threads": 1,
            "log_severity_level": 3,
        }
        self.settings = settings
        self._detector = TextDetection(
            model_name=DET_MODEL,
            model_dir=str(folders.det),
            engine="onnxruntime",
            engine_config=engine_config,
            limit_side_len=settings.max_side,
            limit_type="max",
            thresh=settings.det_threshold,
            box_thresh=min(settings.box_threshold, settings.candidate_threshold),
            unclip_ratio=settings.unclip_ratio,
        )
        self._recogniser = TextRecognition(
            model_name=REC_MODEL,
            model_dir=str(folders.rec),
            engine="onnxruntime",
            engine_config=engine_config,
        )

    def detect(self, image: np.ndarray, strict: bool = False) -> list[Box]:
        if strict:
            return self._run(
                image,
                thresh=self.settings.strict_det_threshold,
                box_thresh=self.settings.strict_box_threshold,
            )
        return self.detect_with_candidates(image)[0]

    def detect_with_candidates(self, image: np.ndarray) -> tuple[list[Box], list[Box]]:
        found = self._run(image)
        sure = self.settings.box_threshold
        return [b for b in found if b.score >= sure], [b for b in found if b.score < sure]

    def _run(self, image: np.ndarray, **options: float) -> list[Box]:
        height, width = image.shape[:2]
        result = self._detector.predict(_bgr(image), **options)[0]
        boxes = []
        for polygon, score in zip(result["dt_polys"], result["dt_scores"], strict=True):
            box = from_polygon(polygon, float(score)).clipped(width, height)
            if box.area > 0:
                boxes.append(box)
        return boxes

    def recognise(self, image: np.ndarray, boxes: Sequence[Box]) -> list[Reading]:
        if not boxes:
            return []
        bgr = _bgr(image)
        crops = [bgr[b.y0 : b.y1, b.x0 : b.x1] for b in boxes]
        results = self._recogniser.predict(crops)
        return [Reading(str(r["rec_text"]), float(r["rec_score"])) for r in results]


_ENGINES: dict[DetectorSettings, TextEngine] = {}
_LOCK = threading.Lock()


def get_engine(settings: DetectorSettings) -> TextEngine:
    """The process-wide engine for these settings (built once, then reused)."""
    with _LOCK:
        engine = _ENGINES.get(settings)
        if engine is None:
            engine = PaddleOnnxEngine(settings)
            _ENGINES[settings] = engine
        return engine
