"""Pixel evidence chosen by risk: the DPO's sample shows first the images whose redaction was
hardest (verification rounds, template regions, cine), each multi-frame image and modality
before a second of a kind, and the pool of thumbnails stays bounded."""

from __future__ import annotations

from pathlib import Path

from tasks.pixels import evidence
from tasks.pixels.evidence import THUMBS, choose_sample, risk_score


def test_risk_orders_verification_rounds_templates_cine_then_boxes() -> None:
    ranked = [
        {"verify_passes": 2, "redacted_boxes": 1},
        {"verify_passes": 1, "template_boxes": 1, "redacted_boxes": 1},
        {"verify_passes": 1, "frames": 6, "redacted_boxes": 1},
        {"verify_passes": 1, "redacted_boxes": 9},
        {"verify_passes": 1, "redacted_boxes": 2, "kept_boxes": 1},
        {"verify_passes": 1, "redacted_boxes": 1},
    ]
    scores = [risk_score(counts) for counts in ranked]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)


def test_an_unsure_detection_ranks_after_verification_rounds_before_templates() -> None:
    one_box = {"verify_passes": 1, "redacted_boxes": 1}
    rounds = risk_score({"verify_passes": 2, "redacted_boxes": 1}, confidence=0.95)
    unsure = risk_score(one_box, confidence=0.62)
    template = risk_score({**one_box, "template_boxes": 1}, confidence=0.99)
    sure = risk_score(one_box, confidence=0.93)
    assert rounds > unsure > template > sure
    assert risk_score(one_box, confidence=None) == sure  # nothing filled: no doubt to add


def test_the_lowest_confidence_comes_from_the_filled_boxes_and_is_said() -> None:
    import numpy as np

    from tasks.pixels.boxes import Box
    from tasks.pixels.evidence import RedactedFrames, _why, lowest_confidence

    frames = np.zeros((2, 8, 8), dtype=np.uint16)
    boxes = [[Box(0, 0, 4, 2, 0.91)], [Box(0, 0, 4, 2, 0.91), Box(0, 4, 6, 6, 0.574)]]
    filled = RedactedFrames(frames, frames.copy(), boxes, renderer=None)  # type: ignore[arg-type]
    assert lowest_confidence(filled) == 0.57
    assert lowest_confidence(RedactedFrames(frames, frames, [[], []], None)) is None  # type: ignore[arg-type]
    assert lowest_confidence(None) is None
    entry = {"counts": {"redacted_boxes": 3, "verify_passes": 1}, "lowest_confidence": 0.57}
    assert "unsure detection (confidence 0.57)" in _why(entry)
    assert "unsure" not in _why({**entry, "lowest_confidence": 0.9})


def _pair(out: Path, item: str, risk: int) -> None:
    (out / THUMBS).mkdir(parents=True, exist_ok=True)
    for suffix in ("before", "after"):
        (out / THUMBS / f"{item}.risk{risk:06d}.{suffix}.png").write_bytes(b"png")


def test_a_riskier_image_pushes_the_least_risky_out_of_a_full_pool(tmp_path: Path) -> None:
    _pair(tmp_path, "a", 5)
    _pair(tmp_path, "b", 7)
    assert not evidence._keep_in_pool(tmp_path, 3, size=2)  # less risky: not kept
    assert evidence._keep_in_pool(tmp_path, 6, size=2)  # riskier: room made
    names = sorted(p.name for p in (tmp_path / THUMBS).iterdir())
    assert names == ["b.risk000007.after.png", "b.risk000007.before.png"]
    assert evidence._keep_in_pool(tmp_path, 1, size=3)  # a pool not full takes anything
    assert not evidence._keep_in_pool(tmp_path, 1_000_000, size=0)  # thumbnails off
    # every evidence file starts with its item: erasure finds a person's files by it
    assert all(p.name.split(".", 1)[0] in {"a", "b"} for p in (tmp_path / THUMBS).iterdir())


def test_the_sample_shows_every_cine_and_modality_before_a_second_of_a_kind() -> None:
    def entry(item: str, modality: str, frames: int, boxes: int) -> dict:
        counts = {"frames": frames, "redacted_boxes": boxes, "verify_passes": 1}
        return {"item_id": item, "modality": modality, "counts": counts}

    entries = [
        entry("ct1", "CT", 1, 40),
        entry("ct2", "CT", 1, 30),
        entry("ct3", "CT", 1, 20),
        entry("us1", "US", 8, 1),
        entry("mr1", "MR", 1, 1),
    ]
    pool = [(risk_score(e["counts"]), f"{e['item_id']}.risk{risk_score(e['counts']):06d}")
            for e in entries]  # fmt: skip
    shown = [e["item_id"] for e, _ in choose_sample(entries, pool, 3)]
    assert shown == ["us1", "ct1", "mr1"]
    everything = [e["item_id"] for e, _ in choose_sample(entries, pool, 10)]
    assert everything == ["us1", "ct1", "mr1", "ct2", "ct3"]


def test_on_a_shared_ui_the_evidence_names_the_pictures_and_shows_none(tmp_path: Path) -> None:
    from tasks.pixels.evidence import evidence_markdown
    from tests.pixels_support import redacted_sample

    ctx = redacted_sample(tmp_path)
    in_ui = evidence_markdown(ctx.workspace)
    kept = evidence_markdown(ctx.workspace, pictures_in="workspace")
    assert "data:image/png;base64," in in_ui
    assert "data:image/png;base64," not in kept and "secure zone" in kept
    named = [part.strip(" `") for part in kept.split("|") if part.strip().endswith(".png`")]
    assert named and all((ctx.workspace.evidence / "pixels" / name).is_file() for name in named)
