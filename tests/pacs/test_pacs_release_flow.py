"""The served release flow with a clinical and a research Orthanc, driven by the CLI:
the research PACS is down when the DPO approves (the run ends released, push incomplete, and
`approve` and `status` say so); once it is back, `clearance push` completes the push, the
research PACS holds exactly the release, and the audit log and manifests agree. No raw
retrieved instance is left in the workspace, after the release or after a rejection."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pydicom
import pytest
import yaml

from tasks.pacs.push import verify_push_manifest
from tasks.runtime import audit
from tests.pacs_support import CLEARANCE_AE, Orthanc, build_pacs_demo, free_port, needs_orthanc
from tests.stack_support import clearance, local_stack

pytestmark = [pytest.mark.integration, needs_orthanc]
APPROVER = "Mme Durand (DPO)"


def _request(root: Path, request_id: str, clinical: Orthanc, research: Orthanc) -> Path:
    data = {
        "request_id": request_id,
        "purpose": "push recovery",
        "requester": "Lab X",
        "approvers": [APPROVER],
        "inputs": {
            "dicom": {
                "pacs": {"host": "127.0.0.1", "port": clinical.dicom_port, "ae_title": "CLINICAL"},
                "query": {"StudyDate": "20000101-20301231"},
                "method": "c-get",
            }
        },
        "profile": "demo",
        "workspace": "ws",
        "destination": f"out/{request_id}",
        "push": {
            "pacs": {"host": "127.0.0.1", "port": research.dicom_port, "ae_title": "RESEARCH"},
            "retries": 0,
            "timeout": 5,
        },
    }
    path = root / f"{request_id}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _raw_instances_left(workspace: Path, originals: set[str]) -> list[str]:
    """Files under the workspace that are retrieved instances (an original SOP Instance UID),
    whatever their name or place."""
    left = []
    for path in (p for p in workspace.rglob("*") if p.is_file()):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SOPInstanceUID"])
        except Exception:  # noqa: BLE001 - not DICOM: not a retrieved instance
            continue
        if str(ds.get("SOPInstanceUID", "")) in originals:
            left.append(str(path.relative_to(workspace)))
    return left


def _submit(env: dict[str, str], request: Path) -> str:
    result = clearance(env, "submit", str(request), check=True)
    return result.stdout.strip().splitlines()[-1]


def test_push_finished_after_an_outage_and_nothing_raw_left(tmp_path: Path) -> None:
    files = build_pacs_demo(tmp_path / "demo")
    clinical = Orthanc(
        tmp_path / "clinical", "CLINICAL", {"clearance": (CLEARANCE_AE, free_port())}
    )
    research = Orthanc(
        tmp_path / "research", "RESEARCH", {"clearance": (CLEARANCE_AE, free_port())}
    )
    clinical.start()
    try:
        for path in files.values():
            clinical.upload(path)
        with local_stack(tmp_path / "home") as env:
            request = _request(tmp_path, "pacs-outage", clinical, research)
            run_id = _submit(env, request)
            workspace = tmp_path / "ws" / "pacs-outage"
            assert not (workspace / "retrieved").exists(), "raw studies kept past the candidate"

            approved = clearance(env, "approve", run_id, "--dpo", APPROVER)  # research PACS down
            assert approved.returncode == 1, approved.stdout + approved.stderr
            assert "released, push incomplete: 0 of" in approved.stdout
            assert f"clearance push {run_id}" in approved.stdout
            status = clearance(env, "status", run_id)
            assert "released, push incomplete" in status.stdout

            release = tmp_path / "out" / "pacs-outage"
            released = {
                str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID)
                for p in release.rglob("*.dcm")
            }
            assert len(released) == len(files)
            research.start()
            try:
                pushed = clearance(env, "push", run_id)
                assert pushed.returncode == 0, pushed.stdout + pushed.stderr
                assert f"push complete: {len(released)} of {len(released)}" in pushed.stdout
                assert research.sop_instance_uids() == released
                assert research.get("/statistics")["CountInstances"] == len(released)
                again = clearance(env, "push", str(request))
                assert again.returncode == 0 and "0 sent now" in again.stdout
                assert research.get("/statistics")["CountInstances"] == len(released)
            finally:
                research.stop()
            assert "released, push complete" in clearance(env, "status", run_id).stdout

            events = audit.read(workspace / "audit" / "audit.jsonl")
            names = [e["event"] for e in events]
            assert names.index("retrieved_removed") < names.index("gate_opened")
            approved_digest = next(e["digest"] for e in events if e["event"] == "approved")
            manifest = (release / "MANIFEST.sha256").read_bytes()
            assert hashlib.sha256(manifest).hexdigest() == approved_digest
            pushes = [e for e in events if e["event"] == "pushed"]
            assert [e["complete"] for e in pushes] == [False, True, True]
            assert pushes[1]["pushed"] == len(released)
            push_manifest = release / "PUSH_MANIFEST.csv"
            assert verify_push_manifest(push_manifest)
            digest = hashlib.sha256(push_manifest.read_bytes()).hexdigest()
            assert pushes[-1]["push_manifest_sha256"] == digest
            assert _raw_instances_left(workspace, set(files)) == []

            rejected_request = _request(tmp_path, "pacs-rejected", clinical, research)
            rejected_run = _submit(env, rejected_request)
            rejected = clearance(
                env, "reject", rejected_run, "--dpo", APPROVER, "--reason", "not needed"
            )
            assert rejected.returncode == 0, rejected.stdout + rejected.stderr
            assert not (tmp_path / "out" / "pacs-rejected").exists()
            assert _raw_instances_left(tmp_path / "ws", set(files)) == []
    finally:
        clinical.stop()
