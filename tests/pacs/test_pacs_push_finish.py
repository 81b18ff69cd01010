"""A release approved while the research PACS is down: the run ends released, push
incomplete; once the PACS is back, `clearance push` finishes it. The research PACS then
holds exactly the release, once each; the audit log and the push manifests agree."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pydicom
import pytest

from flows.cli.push import summary_for_run
from flows.stages import publish_release
from tasks.pacs import PacsDestination, push
from tasks.pacs.push import verify_push_manifest
from tasks.publish.publication import candidate_digest
from tasks.publish.push_release import PushIncomplete, push_state
from tasks.runtime import audit
from tasks.runtime.workspace import Workspace
from tests.conftest import write_request
from tests.pacs_support import (
    CLEARANCE_AE,
    Orthanc,
    build_pacs_demo,
    free_port,
    needs_dicomweb,
    needs_orthanc,
)

pytestmark = needs_orthanc
ROOT = Path(__file__).resolve().parents[2]


def _approved_candidate(tmp_path: Path, research: Orthanc) -> tuple[Path, Workspace, str]:
    """A request whose staging holds a candidate, as the flow leaves it at the gate."""
    files = build_pacs_demo(tmp_path / "demo")
    push = {
        "pacs": {"host": "127.0.0.1", "port": research.dicom_port, "ae_title": "RESEARCH"},
        "retries": 1,
        "retry_delay": 0.1,
        "timeout": 5,
    }
    path = write_request(
        tmp_path,
        request_id="push-finish",
        purpose="push test",
        destination="out/push-finish",
        push=push,
    )
    ws = Workspace(tmp_path / "ws", "push-finish")
    ws.create()
    for index, source in enumerate(sorted(files.values())):
        target = ws.staging / "dicom" / f"P{index // 8}" / f"{index:04d}.dcm"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    sealed = candidate_digest(ws.staging)
    ws.audit("approved", digest=sealed, dpo="Mme Durand (DPO)")
    return path, ws, sealed


def _clearance(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "flows.cli.main", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=os.environ)


def test_push_down_at_approval_then_finished_by_clearance_push(tmp_path: Path) -> None:
    research = Orthanc(
        tmp_path / "research", "RESEARCH", {"clearance": (CLEARANCE_AE, free_port())}
    )
    request, ws, sealed = _approved_candidate(tmp_path, research)
    release = tmp_path / "out" / "push-finish"

    # research PACS down at approval: released, push incomplete
    with pytest.raises(PushIncomplete, match="push incomplete"):
        publish_release.fn(str(request), sealed)
    released = {
        str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID): p
        for p in release.rglob("*.dcm")
    }
    assert len(released) == 21
    state = push_state(ws)
    assert state is not None and state["state"] == "incomplete" and state["on_destination"] == 0
    summary = summary_for_run(SimpleNamespace(parameters={"request_path": str(request)}))
    assert summary is not None and "released, push incomplete: 0 of 21" in summary

    # PACS back, a few instances already there (an earlier partial push): only the rest is sent
    research.start()
    try:
        already = sorted(released)[:5]
        for uid in already:
            research.upload(released[uid])
        finished = _clearance("push", str(request))
        assert finished.returncode == 0, finished.stdout + finished.stderr
        assert "push complete: 21 of 21" in finished.stdout
        assert "16 sent now, 5 already there" in finished.stdout
        assert research.sop_instance_uids() == set(released)
        assert research.get("/statistics")["CountInstances"] == 21  # no duplicates

        again = _clearance("push", str(request))  # idempotent: nothing sent twice
        assert again.returncode == 0 and "0 sent now, 21 already there" in again.stdout
        assert research.get("/statistics")["CountInstances"] == 21
    finally:
        research.stop()

    # the sealed release is unchanged; the push manifest has its own checksum
    manifest = (release / "MANIFEST.sha256").read_bytes()
    assert hashlib.sha256(manifest).hexdigest() == sealed
    assert b"PUSH_MANIFEST" not in manifest
    push_manifest = release / "PUSH_MANIFEST.csv"
    assert verify_push_manifest(push_manifest)
    rows = list(csv.DictReader(push_manifest.open(encoding="utf-8")))
    assert {row["sop_instance_uid"] for row in rows} == set(released)
    assert {row["status"] for row in rows} == {"present"}

    # audit and manifests agree: the last push event names the manifest's digest and counts
    pushes = [e for e in audit.read(ws.audit_log) if e["event"] == "pushed"]
    assert [e["complete"] for e in pushes] == [False, True, True]
    assert [e["by"] for e in pushes] == ["flow", "clearance push", "clearance push"]
    assert pushes[1]["pushed"] == 16 and pushes[1]["already_present"] == 5
    last = pushes[-1]
    assert last["push_manifest_sha256"] == hashlib.sha256(push_manifest.read_bytes()).hexdigest()
    assert last["files"] == len(rows) and last["already_present"] == len(rows)
    assert last["verified"] is True
    assert push_state(ws)["state"] == "complete"
    summary = summary_for_run(SimpleNamespace(parameters={"request_path": str(request)}))
    assert summary is not None and "released, push complete: 21 of 21" in summary


def test_push_refuses_a_request_never_released(tmp_path: Path) -> None:
    research = Orthanc(tmp_path / "research", "RESEARCH", {})
    request, _, _ = _approved_candidate(tmp_path, research)
    refused = _clearance("push", str(request))
    assert refused.returncode == 2 and "no approved release" in refused.stderr


@needs_dicomweb
def test_stow_push_sends_only_what_the_server_lacks(tmp_path: Path) -> None:
    files = build_pacs_demo(tmp_path / "demo")
    release = tmp_path / "release"
    release.mkdir()
    for index, source in enumerate(sorted(files.values())):
        shutil.copyfile(source, release / f"{index:04d}.dcm")
    research = Orthanc(tmp_path / "research", "RESEARCH", {}, dicomweb=True)
    research.start()
    try:
        destination = PacsDestination.model_validate(
            {"method": "stow-rs", "dicomweb_url": research.dicomweb_url, "retries": 0}
        )
        for path in sorted(release.glob("*.dcm"))[:4]:
            research.upload(path)
        first = push(release, destination)
        assert first.complete and first.verified
        assert (first.already_present, first.acknowledged) == (4, len(files) - 4)
        second = push(release, destination)
        assert second.complete and (second.already_present, second.acknowledged) == (len(files), 0)
        assert research.get("/statistics")["CountInstances"] == len(files)
        assert verify_push_manifest(release / "PUSH_MANIFEST.csv")
    finally:
        research.stop()
