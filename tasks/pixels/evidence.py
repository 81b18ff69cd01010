"""Evidence for the DPO: counts by modality and before/after thumbnails, holding no PHI.

``record`` (called by the stage per file) writes ``evidence/pixels/<item_id>.json`` with the
modality, counts, outcome code and a risk score, and keeps a pool of before/after thumbnail
pairs of the riskiest redacted images: the "before" is the original frame with every
redacted area painted over in orange (it shows WHERE text was, never WHAT it said), the
"after" is the released frame. Risk, highest first: images whose verification needed more
than one round, images with an unsure detection (a redacted line the detector scored under
``UNSURE_DETECTION``: its box may not cover all of the text), images with template regions,
multi-frame images (cine), then the number of boxes redacted and of text boxes kept as not
identifying. The pool holds twice the sample
the DPO sees; a riskier image pushes the least risky out (the score is in the file name, so
no index is read). ``evidence_markdown`` turns them into markdown for a Prefect artifact:
counts by modality (frames redacted included) and the sample, each multi-frame image and each
modality represented before the rest, with why each was chosen.
"""

from __future__ import annotations

import base64
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset

from tasks.runtime import atomic

if TYPE_CHECKING:
    from tasks.pixels.boxes import Box
    from tasks.pixels.pixel_settings import PixelProfile
    from tasks.pixels.render import Renderer
    from tasks.runtime.stage_types import Outcome
    from tasks.runtime.workspace import Workspace

MARK = (255, 140, 0)
UNSURE_DETECTION = 0.8  # a detector confidence under this makes a redaction worth a look
THUMBS = "thumbnails"


@dataclass
class RedactedFrames:
    """A redacted image as the evidence shows it (the pixel stage makes one per image)."""

    original: np.ndarray
    redacted: np.ndarray
    boxes: list[list[Box]]  # per frame, what was filled
    renderer: Renderer


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
        "lowest_confidence": lowest_confidence(frames),
    }
    entry["risk"] = risk_score(entry["counts"], entry["lowest_confidence"])
    redacted_any = frames is not None and any(frames.boxes)
    if redacted_any and _keep_in_pool(out, entry["risk"], 2 * settings.evidence_thumbnails):
        assert frames is not None
        before, after = thumbnails(frames, settings.thumbnail_px)
        stem = _thumbnail_stem(entry["risk"], item_id)
        atomic.write_bytes(out / THUMBS / f"{stem}.before.png", before)
        atomic.write_bytes(out / THUMBS / f"{stem}.after.png", after)
        entry["thumbnails"] = True
    atomic.write_json(out / f"{item_id}.json", entry)


def lowest_confidence(frames: RedactedFrames | None) -> float | None:
    """The lowest detector confidence among the boxes filled (template regions and lines
    found by ink following keep their detection's score, or 1.0), rounded to 2 places."""
    scores = [box.score for boxes in frames.boxes for box in boxes] if frames else []
    return round(min(scores), 2) if scores else None


def risk_score(counts: dict[str, Any], confidence: float | None = None) -> int:
    """Higher for images a DPO should look at first (see the module's docstring)."""
    score = 0
    score += 100_000 * (int(counts.get("verify_passes", 0)) > 1)
    score += 20_000 * (confidence is not None and confidence < UNSURE_DETECTION)
    score += 10_000 * (int(counts.get("template_boxes", 0)) > 0)
    score += 1_000 * (int(counts.get("frames", 0)) > 1)
    score += min(int(counts.get("redacted_boxes", 0)) + int(counts.get("kept_boxes", 0)), 999)
    return score


def _thumbnail_stem(risk: int, item_id: str) -> str:
    """``<item>.risk<score>``: the item first, as every evidence file (erasure finds a
    person's files by it), the score in the name so the pool needs no index."""
    return f"{item_id}.risk{risk:06d}"


def _pool(out: Path) -> list[tuple[int, str]]:
    """(risk, stem) of the thumbnail pairs kept, least risky first."""
    if not (out / THUMBS).exists():
        return []
    stems = {p.name.removesuffix(".after.png") for p in (out / THUMBS).glob("*.after.png")}
    return sorted((int(stem.rsplit(".risk", 1)[1]), stem) for stem in stems if ".risk" in stem)


def _keep_in_pool(out: Path, risk: int, size: int) -> bool:
    """Whether an image of this risk earns a place in the pool (making room if it must).
    Stages run in parallel: two processes may both add; the pool then holds one more."""
    if size <= 0:
        return False
    pool = _pool(out)
    if len(pool) < size:
        return True
    least, stem = pool[0]
    if risk <= least:
        return False
    for suffix in (".before.png", ".after.png"):
        (out / THUMBS / f"{stem}{suffix}").unlink(missing_ok=True)
    return True


def _box_rows(frames: RedactedFrames | None) -> list[list[int]]:
    if frames is None:
        return []
    return [[i, b.x0, b.y0, b.x1, b.y1] for i, boxes in enumerate(frames.boxes) for b in boxes]


def thumbnails(frames: RedactedFrames, size: int) -> tuple[bytes, bytes]:
    """PNG bytes of the frame with the most redacted boxes, before (areas painted over) and
    after redaction."""
    index = max(range(len(frames.boxes)), key=lambda i: len(frames.boxes[i]), default=0)
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


def _modality(ds: Dataset) -> str:
    value = str(ds.get("Modality", "") or "").strip().upper()
    return value if value.isalnum() and len(value) <= 4 else "OT"


def evidence_markdown(workspace: Workspace, shown: int = 12, pictures_in: str = "ui") -> str:
    """Markdown summary: counts by modality, then up to ``shown`` before/after thumbnail
    pairs chosen from the pool by risk: as data URIs (``pictures_in="ui"``), or named only,
    the pictures staying in the workspace (``"workspace"``)."""
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
        row["frames_redacted"] += len({box[0] for box in entry.get("boxes", [])})
        row["prefiltered"] += int(counts.get("frames_prefiltered", 0))
        row["detected"] += int(counts.get("frames_detected", 0))
        row["quarantined"] += int(not entry["ok"])
        if not entry["ok"]:
            reasons[str(entry.get("reason"))] += 1
    lines += [
        "| modality | images | frames | frames proven text-free | frames detected "
        "| images with text redacted | frames redacted | boxes redacted | quarantined |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for modality in sorted(by_modality):
        r = by_modality[modality]
        lines.append(
            f"| {modality} | {r['images']} | {r['frames']} | {r['prefiltered']} "
            f"| {r['detected']} | {r['with_text']} | {r['frames_redacted']} | {r['boxes']} "
            f"| {r['quarantined']} |"
        )
    lines += [
        "",
        "Frames proven text-free had no detection run on them (proof of absence, "
        "`pixels.prefilter`); detected frames went through PP-OCR detection.",
    ]
    if reasons:
        lines += ["", "Quarantine reasons: " + ", ".join(f"`{k}` ×{v}" for k, v in reasons.items())]
    samples = choose_sample(entries, _pool(out), shown)
    if samples:
        lines += [
            "",
            "## Sample of redacted images, riskiest first",
            "",
            "Before: the original with every redacted area painted orange (where, not what). "
            "After: the released pixels. Multi-frame images show their most redacted frame."
            + (
                " The pictures stay in the secure zone (`evidence/pixels/` of the workspace)."
                if pictures_in == "workspace"
                else ""
            ),
            "",
            "| item | modality | why shown | before | after |",
            "|---|---|---|---|---|",
        ]
        for entry, stem in samples:
            if pictures_in == "workspace":  # a shared UI: say where, show nothing
                lines.append(
                    f"| `{entry['item_id']}` | {entry['modality']} | {_why(entry)} "
                    f"| `{THUMBS}/{stem}.before.png` | `{THUMBS}/{stem}.after.png` |"
                )
                continue
            before = _data_uri(out / THUMBS / f"{stem}.before.png")
            after = _data_uri(out / THUMBS / f"{stem}.after.png")
            if before and after:
                lines.append(
                    f"| `{entry['item_id']}` | {entry['modality']} | {_why(entry)} "
                    f"| ![before]({before}) | ![after]({after}) |"
                )
    return "\n".join(lines) + "\n"


def choose_sample(
    entries: list[dict[str, Any]], pool: list[tuple[int, str]], size: int
) -> list[tuple[dict[str, Any], str]]:
    """Riskiest first, but each multi-frame image and each modality in the pool shown before
    a second image of a kind already shown."""
    by_item = {entry["item_id"]: entry for entry in entries}
    ranked = [
        (by_item[stem.rsplit(".risk", 1)[0]], stem)
        for _, stem in sorted(pool, reverse=True)
        if stem.rsplit(".risk", 1)[0] in by_item
    ]
    chosen: list[tuple[dict[str, Any], str]] = []
    seen_modalities: set[str] = set()
    for entry, stem in ranked:  # first: every cine, and one image of every modality
        cine = int(entry.get("counts", {}).get("frames", 0)) > 1
        if cine or entry["modality"] not in seen_modalities:
            chosen.append((entry, stem))
            seen_modalities.add(entry["modality"])
    chosen += [pair for pair in ranked if pair not in chosen]
    return chosen[:size]


def _why(entry: dict[str, Any]) -> str:
    counts = entry.get("counts", {})
    reasons = []
    if int(counts.get("verify_passes", 0)) > 1:
        reasons.append(f"{counts['verify_passes']} verification rounds")
    confidence = entry.get("lowest_confidence")
    if confidence is not None and confidence < UNSURE_DETECTION:
        reasons.append(f"unsure detection (confidence {confidence:.2f})")
    if int(counts.get("template_boxes", 0)) > 0:
        reasons.append("template regions")
    if int(counts.get("frames", 0)) > 1:
        reasons.append(f"{counts['frames']} frames")
    reasons.append(f"{counts.get('redacted_boxes', 0)} boxes redacted")
    if int(counts.get("kept_boxes", 0)):
        reasons.append(f"{counts['kept_boxes']} text boxes kept")
    return "; ".join(reasons)


def _data_uri(path: Path) -> str | None:
    try:
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    except OSError:
        return None
