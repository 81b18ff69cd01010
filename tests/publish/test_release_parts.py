"""The release-wide steps split into per-batch parts that separate processes run (the flow
maps them onto its task runner): their parts add up to exactly what one process computes."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from tasks.checks.rows import FOLDER, joined, part_files, read_part
from tasks.checks.run import check_settings
from tasks.checks.tables import build_tables
from tasks.conformance.dciodvfy import check_release, dciodvfy, merge_parts
from tasks.runtime.stage_contract import StageContext
from tasks.runtime.workspace import Workspace
from tests.conformance.test_conformance import staged_headers

PARTS = ["dicom-0000", "dicom-0001", "dicom-0002"]


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> StageContext:
    return staged_headers(tmp_path_factory.mktemp("parts"), patients=2)


def test_part_files_cover_every_file_once_in_order() -> None:
    files = [str(i) for i in range(10)]
    for parts in (1, 3, 4, 10, 12):
        slices = [part_files(files, part, parts) for part in range(parts)]
        assert sum(slices, []) == files
        assert max(map(len, slices)) - min(map(len, slices)) <= 1


def test_check_rows_read_in_parts_give_the_same_tables(staged: StageContext) -> None:
    ws = staged.workspace
    checks, policy = check_settings(staged.profile)
    read = [read_part(ws, staged.profile, name, PARTS) for name in PARTS]
    whole = build_tables(ws.staging, checks, policy, workers=1)
    assert sum(read) == len(whole.instances) >= 8 and min(read) >= 1
    columns = joined(ws, PARTS)
    assert columns is not None
    from_parts = build_tables(ws.staging, checks, policy, workers=1, columns=columns)
    for name in ("instances", "series", "studies", "patients", "patient_values"):
        pd.testing.assert_frame_equal(getattr(from_parts, name), getattr(whole, name))

    # parts that do not cover exactly the staged files are not used
    assert joined(ws, PARTS[:2]) is None
    stray = ws.staging / "dicom" / "stray.dcm"
    stray.write_bytes(b"not a header")
    try:
        assert joined(ws, PARTS) is None
    finally:
        stray.unlink()
    os.remove(ws.work / FOLDER / f"{PARTS[1]}.json")
    assert joined(ws, PARTS) is None


@pytest.mark.skipif(dciodvfy() is None, reason="dciodvfy (dicom3tools) missing")
def test_conformance_parts_add_up_to_the_whole_sample(staged: StageContext) -> None:
    ws = staged.workspace
    whole = check_release(ws, max_files=7)
    parts = [check_release(ws, max_files=7, part=p, parts=3) for p in range(3)]
    assert [p["checked"] for p in parts] == [3, 2, 2]
    assert merge_parts(parts) == whole
    assert whole["checked"] == 7 and whole["outputs_with_new_errors"] == 0


def test_conformance_unavailable_anywhere_is_reported_once() -> None:
    parts = [{"checked": 0, "unavailable": 1}] * 3
    assert merge_parts(parts) == {"checked": 0, "unavailable": 1}
    assert merge_parts([{"checked": 0, "unavailable": 0}] * 2) == {"checked": 0, "unavailable": 0}


def test_nothing_is_read_from_a_missing_workspace(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, "none")
    assert joined(ws, PARTS) is None
