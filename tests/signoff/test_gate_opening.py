"""The gate opening kept in the workspace: reused only by the flow run that opened it, before
its deadline, while undecided and while staging is still the sealed candidate."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tasks.publish.publication import candidate_digest
from tasks.runtime.workspace import Workspace, open_to_others
from tasks.signoff import gate_opening
from tasks.signoff.gate_opening import GateOpening

RUN = "5d1f6a0e-0000-4000-8000-000000000001"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace(tmp_path / "ws", "req-1")
    workspace.create()
    (workspace.staging / "a.dcm").write_bytes(b"candidate")
    return workspace


def _open(ws: Workspace, seconds: float = 600) -> GateOpening:
    opening = GateOpening(
        gate_id="g1",
        flow_run_id=RUN,
        digest=candidate_digest(ws.staging),
        deadline=time.time() + seconds,
        description="counts only",
    )
    gate_opening.save(ws, opening)
    ws.audit("gate_opened", gate="g1")
    return opening


def test_the_same_flow_run_finds_its_waiting_gate(ws: Workspace) -> None:
    opened = _open(ws)
    found = gate_opening.open_for(ws, RUN)
    assert found == opened
    assert found.pause_key(1) != found.pause_key(2)


@pytest.mark.parametrize("event", ["approved", "rejected", "gate_timeout"])
def test_a_decided_gate_is_never_reused(ws: Workspace, event: str) -> None:
    _open(ws)
    ws.audit(event, gate="g1")
    assert gate_opening.open_for(ws, RUN) is None


def test_another_flow_run_or_an_expired_gate_opens_a_new_one(ws: Workspace) -> None:
    _open(ws)
    assert gate_opening.open_for(ws, "another-run") is None
    _open(ws, seconds=-1)
    assert gate_opening.open_for(ws, RUN) is None


def test_a_changed_candidate_is_not_the_one_under_review(ws: Workspace) -> None:
    _open(ws)
    (ws.staging / "a.dcm").write_bytes(b"changed")
    assert gate_opening.open_for(ws, RUN) is None


def test_a_refusal_is_audited_once_per_question(ws: Workspace) -> None:
    _open(ws)
    assert not gate_opening.already_audited(ws, "approval_refused", "g1-1")
    ws.audit("approval_refused", gate="g1", pause="g1-1")
    assert gate_opening.already_audited(ws, "approval_refused", "g1-1")
    assert not gate_opening.already_audited(ws, "approval_refused", "g1-2")


def test_a_waiting_gate_is_found_whichever_run_asks(ws: Workspace) -> None:
    _open(ws)
    assert gate_opening.waiting(ws).gate_id == "g1"
    ws.audit("rejected", gate="g1")
    assert gate_opening.waiting(ws) is None


def test_a_held_run_lock_means_a_run_in_progress(ws: Workspace) -> None:
    assert not ws.run_in_progress()
    handle = ws.hold_run_lock()
    try:
        assert ws.run_in_progress()
    finally:
        handle.close()
    assert not ws.run_in_progress()


def test_files_of_a_private_process_are_owner_only(tmp_path: Path) -> None:
    code = (
        "import sys, pathlib; from tasks.runtime.workspace import keep_private; keep_private(); "
        "folder = pathlib.Path(sys.argv[1], 'a', 'b'); folder.mkdir(parents=True); "
        "(folder / 'f.txt').write_text('x')"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.rglob("*")}
    assert modes == {"a": 0o700, "b": 0o700, "f.txt": 0o600}


def test_a_folder_open_to_others_is_detected(tmp_path: Path) -> None:
    folder = tmp_path / "zone"
    folder.mkdir()
    folder.chmod(0o750)
    assert not open_to_others(folder)
    folder.chmod(0o755)
    assert open_to_others(folder)
    assert not open_to_others(tmp_path / "absent")
