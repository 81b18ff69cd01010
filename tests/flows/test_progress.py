"""Progress totals are the stage's number of batches from its first task run on: a stage no
longer reads 0/1 → 0/2 → 1/3 while its runs are being created."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from flows import progress


def _run(name: str, final: bool, minute: int) -> SimpleNamespace:
    when = datetime(2026, 12, 7, 10, minute, tzinfo=UTC)
    state = SimpleNamespace(is_final=lambda: final)
    return SimpleNamespace(
        name=name, state=state, expected_start_time=when, created=when,
        start_time=when, end_time=when if final else None,
    )  # fmt: skip


def test_totals_are_known_from_the_first_task_run(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = [
        _run("prepare", True, 0),
        _run("ingest-dicom-0001-of-4", True, 1),
        _run("headers-dicom-0001-of-4", False, 2),
        _run("reports-report-0001-of-1", False, 3),
        _run("quality-checks", False, 4),
    ]
    monkeypatch.setattr(progress, "task_runs", lambda run_id: runs)
    summary = progress.stage_summary("run")
    assert list(summary) == ["prepare", "ingest", "headers", "reports", "quality-checks"]
    shown = {stage: (n["done"], n["total"]) for stage, n in summary.items()}
    assert shown == {
        "prepare": (1, 1),
        "ingest": (1, 4),
        "headers": (0, 4),
        "reports": (0, 1),
        "quality-checks": (0, 1),
    }


def test_every_name_the_flow_gives_maps_to_its_stage() -> None:
    for name, stage in [
        ("headers-dicom-0003-of-12", "headers"),
        ("check-rows-dicom-0003-of-12", "check-rows"),
        ("clinical-clinical-0001-of-1", "clinical"),
        ("headers-dicom-0003", "headers"),
        ("assemble-a1b", "assemble"),
    ]:
        assert progress.BATCH_SUFFIX.sub("", name) == stage
