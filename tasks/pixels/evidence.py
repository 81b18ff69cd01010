"""Evidence for the DPO: counts by modality and before/after thumbnails, holding no PHI.

``record`` (called by the stage per file) writes ``evidence/pixels/<item_id>.json`` with the
modality, counts and outcome code, and for the first few redacted images a pair of small
PNGs: the "before" is the original frame with every redacted area painted over in orange
(it shows WHERE text was, never WHAT it said), the "after" is the released frame.
``evidence_markdown`` turns them into markdown for a Prefect artifact.
"""

from __future__ import annotations

import base64
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset

from tasks import atomic

if TYPE_CHECKING:
    from tasks.pixels.profile import PixelProfile
    from tasks.pixels.stage import RedactedFrames
    from tasks.stage import Outcome
    from tasks.workspace import Workspace

MARK = (255, 140, 0)
MAX_THUMBNAILS_IN_MARKDOWN = 12


def folder(workspace: Workspace) -> Path:
    return workspace.evidence / "pixels"


def record(
    workspace: Workspace | None,
    item_id: str,
    ds: Dataset,
    outcome: Outcome,
    frames: RedactedFrames | None,
    settings: PixelProfile,
) -> None:
    if workspace is None:
        return
    out = folder(workspace)
    entry: dict[str, Any] = {
        "item_id": item_id,
        "modality": _modality(ds),
        "ok": outcome.ok,
        "reason": outcome.reason,
        "counts": dict(outcome.counts),
        "thumbnails": False,
        # filled rectangles, [frame, x0, y0, x1, y1] (coordinates only)
        "boxes": _box_rows(frames),
    }
    redacted_any = frames is not None and any(frames.boxes)
    if redacted_any and _thumbnail_count(out) < settings.evidence_thumbnails:
        assert frames is not None
        before, after = thumbnails(frames, settings.thumbnail_px)
        atomic.write_bytes(out / f"{item_id}.before.png", before)
        atomic.write_bytes(out / f"{item_id}.after.png", after)
        entry["thumbnails"] = True
    atomic.write_json(out / f"{item_id}.json", entry)


def _box_rows(frames: RedactedFrames | None) -> list[list[int]]:
    if frames is None:
        return []
    return [[i, b.x0, b.y0, b.x1, b.y1] for i, boxes in enumerate(frames.boxes) for b in boxes]


def thumbnails(frames: RedactedFrames, size: int) -> tuple[bytes, bytes]:
    """PNG bytes of the first frame before (areas painted over) and after redaction."""
    index = next((i for i, boxes in enumerate(frames.boxes) if boxes), 0)
    before = _rgb(frames.renderer.renderings(frames.original[index])[0])
    for box in frames.boxes[index]:
        before[box.y0 : box.y1, box.x0 : box.x1] = MARK
    after = _rgb(frames.renderer.renderings(frames.redacted[index])[0])
    return _png(before, size), _png(after, size)


def _rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    return image.copy()


def _png(image: np.ndarray, size: int) -> bytes:
    picture = Image.fromarray(image)
    picture.thumbnail((size, size), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _thumbnail_count(out: Path) -> int:
    return sum(1 for _ in out.glob("*.after.png")) if out.exists() else 0


def _modality(ds: Dataset) -> str:
    value = str(ds.get("Modality", "") or "").strip().upper()
    return value if value.isalnum() and len(value) <= 4 else "OT"


def evidence_markdown(workspace: Workspace) -> str:
    """Markdown summary: counts by modality, then before/after thumbnails (data URIs)."""
    out = folder(workspace)
    entries = []
    for path in sorted(out.glob("*.json")) if out.exists() else []:
        try:
            entries.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError):
            continue
    lines = ["# Burned-in text: redaction evidence", ""]
    if not entries:
        lines.append("No image went through the pixel stage.")
        return "\n".join(lines) + "\n"
    by_modality: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    reasons: dict[str, int] = defaultdict(int)
    for entry in entries:
        row = by_modality[entry["modality"]]
        counts = entry.get("counts", {})
        row["images"] += 1
        row["frames"] += int(counts.get("frames", 0))
        row["with_text"] += int(counts.get("redacted_boxes", 0) > 0)
        row["boxes"] += int(counts.get("redacted_boxes", 0))
        row["prefiltered"] += int(counts.get("frames_prefiltered", 0))
        row["detected"] += int(counts.get("frames_detected", 0))
        row["quarantined"] += int(not entry["ok"])
        if not entry["ok"]:
            reasons[str(entry.get("reason"))] += 1
    lines += [
        "| modality | images | frames | frames proven text-free | frames detected "
        "| images with text redacted | boxes redacted | quarantined |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for modality in sorted(by_modality):
        r = by_modality[modality]
        lines.append(
            f"| {modality} | {r['images']} | {r['frames']} | {r['prefiltered']} "
            f"| {r['detected']} | {r['with_text']} | {r['boxes']} | {r['quarantined']} |"
        )
    lines += [
        "",
        "Frames proven text-free had no detection run on them (proof of absence, "
        "`pixels.prefilter`); detected frames went through PP-OCR detection.",
    ]
    if reasons:
        lines += ["", "Quarantine reasons: " + ", ".join(f"`{k}` ×{v}" for k, v in reasons.items())]
    samples = [e for e in entries if e.get("thumbnails")][:MAX_THUMBNAILS_IN_MARKDOWN]
    if samples:
        lines += [
            "",
            "## Sample of redacted images",
            "",
            "Before: the original with every redacted area painted orange (where, not what). "
            "After: the released pixels.",
            "",
            "| item | modality | before | after |",
            "|---|---|---|---|",
        ]
        for entry in samples:
            item = entry["item_id"]
            before = _data_uri(out / f"{item}.before.png")
            after = _data_uri(out / f"{item}.after.png")
            if before and after:
                lines.append(
                    f"| `{item}` | {entry['modality']} | ![before]({before}) | ![after]({after}) |"
                )
    return "\n".join(lines) + "\n"


def _data_uri(path: Path) -> str | None:
    try:
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    except OSError:
        return None
