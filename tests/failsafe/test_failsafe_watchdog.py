"""The per-file watchdog: a file that hangs, spins, grows without bound or kills its process
is quarantined with a reason within its limits; the other files of the batch are processed
normally, each exactly once; nothing the misbehaving code printed or raised leaves."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tasks.runtime.stage_contract import StageContext, run_file_stage, watchdog_for
from tasks.runtime.watchdog import resident_mb
from tasks.runtime.workspace import Item, ItemResult, Workspace
from tests.conftest import write_request
from tests.failsafe.hostile_stages import PLANTED, copy_through, misbehave_by_name
from tests.failsafe.pipeline import build_context

ACTIONS = ["fine", "hang", "fine", "spin", "grow", "fine", "abort", "raise", "print", "fine"]


def _context(tmp_path: Path, actions: list[str], seconds: float, memory_mb: int):
    ctx: StageContext = build_context(write_request(tmp_path))
    ctx.profile = ctx.profile.model_copy(
        update={
            "limits": ctx.profile.limits.model_copy(
                update={"seconds_per_file": seconds, "memory_mb_per_file": memory_mb}
            )
        }
    )
    ws = ctx.workspace
    ws.create()
    items, results = [], []
    for number, action in enumerate(actions):
        path = tmp_path / "in" / f"{number:03d}-{action}.dcm"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"{action}\npayload {number}\n")
        item = Item(f"d{number:06d}", "dicom", str(path))
        items.append(item)
        results.append(ItemResult(item.item_id, True, item.source))
    ws.write_index(items)
    ws.write_results("ingest", "dicom-0000", results)
    return ctx


def test_each_misbehaving_file_is_quarantined_and_the_batch_goes_on(tmp_path: Path) -> None:
    ctx = _context(tmp_path, ACTIONS, seconds=4, memory_mb=700)
    started = time.monotonic()
    counts = run_file_stage(ctx, "pixels", "dicom-0000", "ingest", misbehave_by_name, isolated=True)
    elapsed = time.monotonic() - started

    reasons = {item_id: r["reason"] for item_id, r in ctx.workspace.quarantine_reasons().items()}
    assert reasons == {
        "d000001": "pixels.watchdog.timeout",
        "d000003": "pixels.watchdog.timeout",
        "d000004": "pixels.watchdog.memory",
        "d000006": "pixels.watchdog.crashed",
        "d000007": "pixels.error.ValueError",
    }
    assert counts["ok"] == 5 and counts["quarantined"] == 5
    assert counts["copied"] == 5
    released = sorted(p.name for p in ctx.workspace.stage_dir("pixels").glob("*.dcm"))
    assert released == ["d000000.dcm", "d000002.dcm", "d000005.dcm", "d000008.dcm", "d000009.dcm"]
    for name in released:  # exactly the input, once
        number = int(name[1:7])
        text = (ctx.workspace.stage_dir("pixels") / name).read_text()
        assert text == f"{ACTIONS[number]}\npayload {number}\n"
    # two timeouts of 4 s, a memory kill, a crash and a few child restarts
    assert elapsed < 4 * 2 + 30
    watchdog = watchdog_for(ctx)
    assert watchdog.children_started == 5  # first + after each of the 4 kills
    watchdog.close()


def test_nothing_the_child_prints_or_raises_leaves(tmp_path: Path, capfd) -> None:
    ctx = _context(tmp_path, ["print", "raise"], seconds=60, memory_mb=2048)
    counts = run_file_stage(
        ctx, "reports", "dicom-0000", "ingest", misbehave_by_name, isolated=True
    )
    watchdog_for(ctx).close()
    assert counts["ok"] == 1 and counts["quarantined"] == 1
    out, err = capfd.readouterr()
    assert PLANTED not in out + err
    for path in ctx.workspace.root.rglob("*"):
        if path.is_file() and path.suffix in {".json", ".jsonl"}:
            assert PLANTED not in path.read_text(), path


def test_the_child_is_reused_and_ends_with_its_parent(tmp_path: Path) -> None:
    ctx = _context(tmp_path, ["fine"] * 6, seconds=60, memory_mb=2048)
    run_file_stage(ctx, "headers", "dicom-0000", "ingest", copy_through, isolated=True)
    watchdog = watchdog_for(ctx)
    assert watchdog.children_started == 1
    child = watchdog._child
    assert child is not None and resident_mb(child.pid) > 0
    watchdog.close()
    assert child.poll() is not None  # end of input: the child exited by itself
    assert not os.path.exists(f"/proc/{child.pid}/status") or child.returncode is not None


PARENT = """
import sys
from pathlib import Path
from tasks.runtime.stage_contract import run_file_stage
from tests.failsafe.pipeline import build_context
from tests.failsafe.hostile_stages import misbehave_by_name
import tests.failsafe.test_failsafe_watchdog as t
ctx = t._context(Path(sys.argv[1]), ["hang"], seconds=600, memory_mb=2048)
run_file_stage(ctx, "pixels", "dicom-0000", "ingest", misbehave_by_name, isolated=True)
"""


def test_a_killed_worker_leaves_no_child_behind(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path)], cwd=repo)
    child_pid = None
    for _ in range(300):  # wait for the watchdog's child to start on the hanging file
        children = Path(f"/proc/{parent.pid}/task/{parent.pid}/children")
        pids = children.read_text().split() if children.exists() else []
        if pids:
            child_pid = int(pids[0])
            break
        time.sleep(0.1)
    assert child_pid is not None, "the watchdog child never started"
    time.sleep(1)
    parent.send_signal(signal.SIGKILL)  # kill -9 of the worker mid-file
    parent.wait()
    for _ in range(50):
        if not _alive(child_pid):
            break
        time.sleep(0.1)
    assert not _alive(child_pid), "the child outlived its killed parent"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_real_stages_in_the_child_give_the_same_release(tmp_path: Path) -> None:
    """Ingest (with an opt-out), headers and pixels run through the watchdog produce
    byte for byte the staging and manifest of the same run in process."""
    import hashlib
    import shutil

    import pydicom
    from pydicom.data import get_testdata_file

    from tasks.rights.registry import OptOutRegistry
    from tests.failsafe.pipeline import run_dicom_stages

    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ["CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "rtplan.dcm"]:
        shutil.copy(get_testdata_file(name), inputs / name)
    objector = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    objector.PatientID, objector.SOPInstanceUID = "IPP-OBJECTS", "1.2.3.4.5"
    objector.save_as(inputs / "objector.dcm")
    (inputs / "notes.txt").write_text("not a DICOM file")
    trees = {}
    for mode in ("here", "isolated"):
        folder = tmp_path / mode
        folder.mkdir()
        request = write_request(folder, request_id=f"run-{mode}", inputs={"dicom": str(inputs)})
        OptOutRegistry(folder / "ws").add("IPP-OBJECTS", "")
        counts = run_dicom_stages(request, isolated=mode == "isolated")
        root = folder / "ws" / f"run-{mode}"
        staged = {
            str(p.relative_to(root / "staging")): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "staging").rglob("*"))
            if p.is_file()
        }
        quarantined = Workspace(folder / "ws", f"run-{mode}").quarantine_reasons()
        reasons = {item_id: record["reason"] for item_id, record in quarantined.items()}
        trees[mode] = (counts, staged, reasons)
    assert trees["here"] == trees["isolated"]
    counts, staged, reasons = trees["isolated"]
    assert len(staged) >= 3
    assert sorted(reasons.values()) == ["ingest.not_dicom", "ingest.opted_out"]
