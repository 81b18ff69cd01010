"""Crash and resume at the domain level: the DICOM stages run in a child process that is
killed with SIGKILL at random points (mid-batch, mid-stage), then re-run to the end. The
staging area (names and bytes) and the manifest must equal those of an uninterrupted run,
with exactly one output per released input."""

from __future__ import annotations

import csv
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tasks.synthetic.demo_inputs import build_demo
from tasks.synthetic.images import make_image, save
from tests.conftest import write_request

PROJECT = Path(__file__).resolve().parents[2]
CHILD = [sys.executable, "-W", "ignore", "-m", "tests.failsafe.child"]


def _inputs(root: Path, synthetic: int) -> int:
    """Demo cohort (28 DICOM + junk) + ``synthetic`` images; returns the number of files."""
    demo = build_demo(root / "demo", patients=4, seed=3, image_size=64, with_junk=True)
    for index in range(synthetic):
        modality = ("CT", "MR", "CR", "US", "SC")[index % 5]
        ds, _ = make_image(modality, 64, [f"NOM{index} PRENOM"], seed=900 + index)
        ds.PatientName = f"PATIENT{index % 6}^Test"
        ds.PatientID = f"PID{index % 6:04d}"
        save(ds, demo.dicom / "synthetic" / f"{index:03d}.dcm")
    (demo.dicom / "junk.bin").write_bytes(b"\x00" * 300)
    return sum(1 for path in demo.dicom.rglob("*") if path.is_file())


def _request(tmp_path: Path, workspace: str) -> Path:
    folder = tmp_path / workspace
    folder.mkdir()
    profile = folder / "profile.yaml"
    profile.write_text("extends: default\nname: crash-test\nbatch_size: 8\n", encoding="utf-8")
    return write_request(
        folder,
        inputs={"dicom": str(tmp_path / "inputs" / "demo" / "dicom")},
        profile=str(profile),
        workspace="ws",
    )


def _run(request: Path, report: Path) -> None:
    subprocess.run([*CHILD, str(request), str(report)], cwd=PROJECT, check=True, timeout=600)


def _results_written(ws_root: Path) -> int:
    return sum(1 for _ in ws_root.glob("work/*/results/*.json"))


def _kill_when(request: Path, report: Path, ws_root: Path, results: int, delay: float) -> bool:
    """Start a run; SIGKILL it once ``results`` batch results exist (+ ``delay`` s, landing
    inside the next batch). False when the run finished first."""
    child = subprocess.Popen([*CHILD, str(request), str(report)], cwd=PROJECT)
    try:
        deadline = time.monotonic() + 600
        while _results_written(ws_root) < results and child.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError("the run made no progress")
            time.sleep(0.02)
        time.sleep(delay)
        if child.poll() is not None:
            return False
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        return True
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def _staging(ws_root: Path) -> dict[str, str]:
    staging = ws_root / "staging"
    return {
        str(path.relative_to(staging)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(staging.rglob("*"))
        if path.is_file()
    }


def _manifest(ws_root: Path) -> list[list[str]]:
    with open(ws_root / "manifest.csv", newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize(
    ("seed", "synthetic"), [(1, 36), pytest.param(2, 280, marks=pytest.mark.slow)]
)
def test_killed_runs_resume_to_the_same_release(tmp_path: Path, seed: int, synthetic: int) -> None:
    inputs = _inputs(tmp_path / "inputs", synthetic)
    assert inputs >= 60
    reference = _request(tmp_path, "reference")
    _run(reference, tmp_path / "reference.json")
    ref_ws = reference.parent / "ws" / "test-001"
    expected_staging, expected_manifest = _staging(ref_ws), _manifest(ref_ws)
    total_results = _results_written(ref_ws)

    crashed = _request(tmp_path, "crashed")
    crash_ws = crashed.parent / "ws" / "test-001"
    rng = random.Random(seed)
    kills = 0
    for _ in range(8):  # each run makes progress, then dies somewhere inside a batch
        done = _results_written(crash_ws)
        if kills == 3 or done >= total_results - 2:
            break
        target = rng.randint(done + 1, min(total_results - 2, done + total_results // 3))
        delay = rng.uniform(0.0, 0.25)
        kills += _kill_when(crashed, tmp_path / "crashed.json", crash_ws, target, delay)
    assert kills >= 2, "the runs finished before they could be killed"
    _run(crashed, tmp_path / "crashed.json")

    assert len(expected_manifest) - 1 == inputs
    assert _manifest(crash_ws) == expected_manifest
    staging = _staging(crash_ws)
    assert staging == expected_staging  # same names (pseudonyms, UIDs) and same bytes
    released = [row for row in expected_manifest[1:] if row[3] == "released"]
    assert len(released) >= 50
    assert sorted(row[5] for row in released) == sorted(staging)  # one output per input
    # nothing half-written reaches what is published (temp files of killed atomic writes
    # may stay under work/ and evidence/, which never leave the workspace)
    assert not [p for p in (crash_ws / "staging").rglob("*") if p.name.endswith(".tmp")]


def test_a_transient_failure_before_a_kill_does_not_outlive_the_retry(tmp_path: Path) -> None:
    from tasks.ingest import indexing
    from tests.failsafe.pipeline import build_context, run_dicom_stages

    request = write_request(tmp_path)
    for index in range(2):
        ds, _ = make_image("MR", 64, [], seed=700 + index)
        save(ds, tmp_path / "in" / f"IM{index}.dcm")
    ctx = build_context(request)
    ws = ctx.workspace
    ws.create()
    indexing.index_inputs(ws, ctx.request, ctx.profile.batch_size)
    # what a killed attempt leaves: the pixel stage had quarantined d000001 (a transient
    # engine error) and died before writing the batch's results
    ws.quarantine(ws.items_by_id()["d000001"], "pixels", "pixels.engine_error.MemoryError")
    run_dicom_stages(request)  # the retry: both files now go through

    ws_root = tmp_path / "ws" / "test-001"
    released = {row[5] for row in _manifest(ws_root)[1:] if row[3] == "released"}
    assert set(_staging(ws_root)) == released  # staging holds exactly what the manifest says
