"""End to end through a real local Prefect server, driven by the `clearance` CLI:
submit -> paused at the gate -> approve -> released; reject and timeout -> nothing released.
Then the attacker's view: every planted identifier is searched in the release, the Prefect
database and the logs."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from tasks.runtime import audit
from tasks.synthetic.demo_inputs import build_demo
from tests.leak_scanner import LeakScanner, input_values
from tests.pixels_support import frames_of, uniform
from tests.stack_support import (
    api_auth,
    api_env,
    api_settings,
    api_url,
    clearance,
    flow_run_processes,
    local_stack,
)

pytestmark = pytest.mark.integration
APPROVER = "Mme Durand (DPO)"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("clearance-home")
    with local_stack(home) as env:
        yield env, home


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("inputs")
    return root, build_demo(root / "in", patients=2, image_size=256)


def _request(root: Path, request_id: str, profile: str = "demo") -> Path:
    data = {
        "request_id": request_id,
        "purpose": "integration test",
        "requester": "Lab X",
        "approvers": [APPROVER],
        "inputs": {"dicom": "in/dicom", "reports": "in/reports", "clinical": "in/clinical.csv"},
        "profile": profile,
        "workspace": "ws",
        "destination": f"out/{request_id}",
    }
    path = root / f"{request_id}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _submit(env: dict[str, str], request: Path) -> str:
    result = clearance(env, "submit", str(request), check=True)
    return result.stdout.strip().splitlines()[-1]


class NewEntries:
    """Watches a folder during a run (every 10 ms) and records every path that appears
    under it: a release written early and removed again would escape a before/after look."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.initial = self._listing()
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _listing(self) -> set[str]:
        return {str(p) for p in self.folder.rglob("*")} if self.folder.exists() else set()

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.seen |= self._listing() - self.initial
            time.sleep(0.01)

    def __enter__(self) -> NewEntries:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def test_approve_releases_and_nothing_leaks(stack, inputs) -> None:
    env, home = stack
    root, demo = inputs
    destination = root / "out" / "itest-approve"
    with NewEntries(root / "out") as early:
        run_id = _submit(env, _request(root, "itest-approve"))
        refused = clearance(env, "approve", run_id, "--dpo", "Someone Else")
    assert early.seen == set(), "nothing may be written under the destination before approval"

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "PAUSED" in clearance(env, "status", run_id).stdout.upper()
    artifacts = _artifacts(home, run_id)
    keys = set(artifacts)
    assert {f"itest-approve-{kind}" for kind in ("summary", "pixels", "checks")} <= keys
    assert "itest-approve-expectations" in keys  # all on the run the DPO opens
    # a progress bar per per-batch stage, on the same run, complete at the gate
    stages = ("ingest", "headers", "pixels", "reports", "conformance", "check-rows")
    bars = {stage: artifacts.get(f"itest-approve-progress-{stage}") for stage in stages}
    assert bars == dict.fromkeys(stages, 100.0), bars
    undecided = _resume_without_decision(env, home, run_id)
    assert undecided.returncode != 0 and "'decision' is a required property" in undecided.stderr
    assert "PAUSED" in clearance(env, "status", run_id).stdout.upper()

    with NewEntries(root / "out") as publishing:
        approved = clearance(env, "approve", run_id, "--dpo", APPROVER, "--comment", "ok")
    assert approved.returncode == 0, approved.stdout + approved.stderr
    assert str(destination / "MANIFEST.sha256") in publishing.seen  # the watch does see
    released = sorted(p for p in destination.rglob("*") if p.is_file())
    assert (destination / "MANIFEST.sha256").exists()
    assert any(p.suffix == ".dcm" for p in released)
    assert any(p.parent.name == "reports" for p in released)
    dictionary = (destination / "DATA_DICTIONARY.md").read_text(encoding="utf-8")
    assert "profile `demo`" in dictionary  # how to read the release, sealed with it

    ws = root / "ws" / "itest-approve"
    with open(ws / "manifest.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == demo.dicom_files + demo.junk_files + len(demo.patients) + 1
    assert {r["outcome"] for r in rows} <= {"released", "quarantined"}
    assert sum(r["outcome"] == "quarantined" for r in rows) >= demo.junk_files
    _assert_burned_in_text_gone(rows, demo, destination)
    events = [e["event"] for e in audit.read(ws / "audit" / "audit.jsonl")]
    assert "approval_refused" in events and events[-1] == "released"
    assert audit.verify(ws / "audit" / "audit.jsonl")[0]
    again = clearance(env, "submit", str(root / "itest-approve.yaml"))
    assert again.returncode == 2 and "already holds a release" in again.stderr
    assert audit.read(ws / "audit" / "audit.jsonl")[-1]["event"] == "released"  # no new run

    exposed = [
        str(path)
        for tree in (ws, home)
        for path in [tree, *tree.rglob("*")]
        if not path.is_symlink() and stat.S_IMODE(path.lstat().st_mode) & 0o077
    ]
    assert exposed == [], "the secure zone and the stack's home are owner-only"

    # the attacker's scanner (tests/leak_scanner.py): every identifying value of the input
    # headers, first names and short values included, and the demo's own list (the report
    # and CSV spellings), in every spelling and encoding, over bytes, decoded DICOM elements,
    # base64 runs (Prefect's pickles) and file and folder names
    values = input_values([demo.dicom])
    for value in demo.planted_values():
        values.setdefault(value, "planted")
    paths = {str(root): "input path", "in/dicom": "input path"}
    assert LeakScanner({**values, **paths}).scan_tree(destination) == []
    scanner = LeakScanner({**values, str(demo.dicom): "input path"})
    in_reports = {f.index for f in scanner.scan_tree(demo.reports)}  # the search is not blind
    assert {scanner.values.index(p.first) for p in demo.patients} <= in_reports
    prefect_home = Path(env["PREFECT_HOME"])
    assert scanner.scan_tree(prefect_home) + scanner.scan_tree(home / "logs") == []


def _assert_burned_in_text_gone(rows: list[dict[str, str]], demo, destination: Path) -> None:
    """The released pixels against the ground truth of what was burned in (the boxes the
    generator drew, not what the detector found): every planted line filled, in every frame
    it was drawn on."""
    planted = {path.resolve(): lines for path, lines in demo.planted_text.items()}
    checked = 0
    for row in rows:
        lines = planted.get(Path(row["input_path"]).resolve())
        if row["outcome"] != "released" or not lines:
            continue
        frames = frames_of(destination / row["output"])
        for line in lines:
            x0, y0, x1, y1 = line.box
            for frame in line.frames:
                assert uniform(frames[frame, y0:y1, x0:x1]), f"{row['item_id']}: a line is legible"
            checked += 1
    assert checked >= sum(len(lines) for lines in planted.values()) * 0.9  # nearly all released


def _artifacts(home: Path, run_id: str) -> dict[str, object]:
    """key -> data of the keyed artifacts on flow run ``run_id``."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.settings import temporary_settings

    wanted = ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(run_id)]))
    with temporary_settings(api_settings(home)), get_client(sync_client=True) as client:
        return {a.key: a.data for a in client.read_artifacts(artifact_filter=wanted) if a.key}


def _resume_without_decision(
    env: dict[str, str], home: Path, run_id: str
) -> subprocess.CompletedProcess:
    """The UI's Resume call with a name but no decision (what an empty form would send)."""
    code = (
        "import sys; from prefect.flow_runs import resume_flow_run; "
        "resume_flow_run(sys.argv[1], run_input={'dpo_name': sys.argv[2]})"
    )
    return subprocess.run(
        [sys.executable, "-c", code, run_id, APPROVER],
        env=api_env(env, home), capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def test_the_local_api_answers_only_with_the_generated_credentials(stack) -> None:
    """Anyone who reaches the API could resume the gate: the embedded server requires the
    credentials `clearance up` generated into a file only its owner can read."""
    _, home = stack
    assert stat.S_IMODE((home / "api-auth").stat().st_mode) == 0o600
    url = api_url(home) + "/flow_runs/filter"

    def status(headers: dict[str, str]) -> int:
        request = urllib.request.Request(url, data=b"{}", method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    json_type = {"Content-Type": "application/json"}
    token = base64.b64encode(api_auth(home).encode()).decode()
    wrong = base64.b64encode(b"clearance:guess").decode()
    assert status(json_type) == 401
    assert status({**json_type, "Authorization": f"Basic {wrong}"}) == 401
    assert status({**json_type, "Authorization": f"Basic {token}"}) == 200


def test_a_workspace_open_to_other_users_stops_the_run(stack, inputs) -> None:
    env, _ = stack
    root, _ = inputs
    request = _request(root, "itest-open-ws")
    data = yaml.safe_load(request.read_text())
    data["workspace"] = "open-ws"
    request.write_text(yaml.safe_dump(data))
    (root / "open-ws").mkdir(mode=0o755)
    (root / "open-ws").chmod(0o755)
    result = clearance(env, "submit", str(request))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "open to other users" in result.stderr
    assert not (root / "open-ws" / "itest-open-ws" / "staging").exists()


def test_reject_releases_nothing(stack, inputs) -> None:
    env, _ = stack
    root, _ = inputs
    with NewEntries(root / "out") as written:
        run_id = _submit(env, _request(root, "itest-reject"))
        result = clearance(env, "reject", run_id, "--dpo", APPROVER, "--reason", "too few")
        time.sleep(1)  # a late write after the rejection would show here
    assert written.seen == set(), "a rejected run wrote under the destination"
    assert result.returncode == 0, result.stdout + result.stderr
    status = clearance(env, "status", run_id)
    assert "FAILED" in status.stdout.upper() and status.returncode == 1
    assert not (root / "out" / "itest-reject").exists()
    events = audit.read(root / "ws" / "itest-reject" / "audit" / "audit.jsonl")
    assert events[-1]["event"] == "rejected"
    second = clearance(env, "approve", run_id, "--dpo", APPROVER)
    assert second.returncode != 0  # a finished run cannot be approved afterwards


def test_gate_timeout_releases_nothing(stack, inputs, tmp_path: Path) -> None:
    env, _ = stack
    root, _ = inputs
    profile = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "profiles" / "demo.yaml").read_text()
    )
    profile["gate"] = {"timeout_minutes": 0.05}
    profile_path = root / "short-gate.yaml"
    profile_path.write_text(yaml.safe_dump(profile))
    run_id = _submit(env, _request(root, "itest-timeout", profile=str(profile_path)))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if "FAILED" in clearance(env, "status", run_id).stdout.upper():
            break
        time.sleep(2)
    assert "FAILED" in clearance(env, "status", run_id).stdout.upper()
    # the suspended run holds no process: the server ends it; the audit ends at the opening
    events = audit.read(root / "ws" / "itest-timeout" / "audit" / "audit.jsonl")
    assert events[-1]["event"] == "gate_opened"
    assert clearance(env, "approve", run_id, "--dpo", APPROVER).returncode != 0
    assert not (root / "out" / "itest-timeout").exists()


def test_rights_after_a_release(stack, inputs) -> None:
    """Release, then a subject-access request and an erasure through the CLI."""
    import hashlib

    env, _ = stack
    root, demo = inputs
    request = _request(root, "itest-rights")
    run_id = _submit(env, request)
    assert clearance(env, "approve", run_id, "--dpo", APPROVER).returncode == 0
    destination = root / "out" / "itest-rights"

    def digests() -> dict[str, str]:
        return {
            str(p.relative_to(destination)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in destination.rglob("*")
            if p.is_file() and p.name != "MANIFEST.sha256"
        }

    before = digests()
    gone, kept = demo.patients
    access = clearance(env, "access", "--request", str(request), "--patient-id", gone.patient_id)
    assert access.returncode == 0 and "itest-rights" in access.stdout
    assert gone.patient_id not in access.stdout

    erased = clearance(env, "erase", "--request", str(request), "--patient-id", gone.patient_id)
    assert erased.returncode == 0, erased.stdout + erased.stderr
    after = digests()
    removed = set(before) - set(after)
    assert removed and all(before[name] == after[name] for name in after if "clinical" not in name)
    clinical = (destination / "clinical" / "clinical.csv").read_text()
    assert len(clinical.strip().splitlines()) == 2  # header + the remaining patient
    listed = clearance(env, "optout", "list", "--request", str(request))
    assert gone.patient_id in listed.stdout and kept.patient_id not in listed.stdout
    dry = clearance(env, "purge", "--request", str(request))
    assert dry.returncode == 0 and destination.exists()


def test_pacs_in_research_pacs_out(stack, inputs, tmp_path: Path) -> None:
    """Clinical Orthanc -> Clearance (C-GET) -> approve -> research Orthanc holds exactly the
    de-identified instances of the release."""
    import pydicom

    from tests.pacs_support import CLEARANCE_AE, ORTHANC, SKIP_REASON, Orthanc, free_port

    if ORTHANC is None:
        pytest.skip(SKIP_REASON)
    env, _ = stack
    root, demo = inputs
    # Orthanc answers C-FIND/C-GET only to modalities it knows
    clinical = Orthanc(
        tmp_path / "clinical", "CLINICAL", {"clearance": (CLEARANCE_AE, free_port())}
    )
    research = Orthanc(tmp_path / "research", "RESEARCH", {})
    clinical.start()
    research.start()
    try:
        for path in demo.dicom.rglob("IM0*"):
            clinical.upload(path)
        request = _request(root, "itest-pacs")
        data = yaml.safe_load(request.read_text())
        data["inputs"]["dicom"] = {
            "pacs": {"host": "127.0.0.1", "port": clinical.dicom_port, "ae_title": "CLINICAL"},
            "studies": [str(uid) for uid in demo.study_uids],
            "method": "c-get",
        }
        data["workspace"] = "ws-pacs"  # not the zone whose opt-out registry the rights test filled
        data["push"] = {
            "pacs": {"host": "127.0.0.1", "port": research.dicom_port, "ae_title": "RESEARCH"}
        }
        request.write_text(yaml.safe_dump(data))
        run_id = _submit(env, request)
        assert research.sop_instance_uids() == set(), "nothing may be pushed before approval"
        approved = clearance(env, "approve", run_id, "--dpo", APPROVER)
        assert approved.returncode == 0, approved.stdout + approved.stderr
        destination = root / "out" / "itest-pacs"
        released = {
            str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID)
            for p in destination.rglob("*.dcm")
        }
        assert len(released) >= 10
        assert research.sop_instance_uids() == released
        assert (destination / "PUSH_MANIFEST.csv").exists()
        events = [
            e["event"]
            for e in audit.read(root / "ws-pacs" / "itest-pacs" / "audit" / "audit.jsonl")
        ]
        assert "retrieved_from_pacs" in events and events[-1] == "pushed"
    finally:
        clinical.stop()
        research.stop()


def _wait_for_state(env: dict[str, str], run_id: str, wanted: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    status = ""
    while time.monotonic() < deadline:
        status = clearance(env, "status", run_id).stdout.upper()
        if wanted in status:
            break
        time.sleep(2)
    return status


def test_a_retried_run_waits_for_a_new_decision(stack, inputs) -> None:
    """A run approved once and failed at publish, then retried through Prefect, pauses
    again: the earlier approval is not replayed, nothing is written until a new decision."""
    env, home = stack
    root, _ = inputs
    destination = root / "out" / "itest-retry"
    run_id = _submit(env, _request(root, "itest-retry"))
    destination.mkdir(parents=True)
    (destination / "occupied.txt").write_text("publish must refuse a non-empty destination")
    first = clearance(env, "approve", run_id, "--dpo", APPROVER, "--comment", "first")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "FAILED" in _wait_for_state(env, run_id, "FAILED", 60)
    (destination / "occupied.txt").unlink()
    destination.rmdir()

    prefect_env = api_env(env, home)
    prefect = Path(sys.executable).parent / "prefect"
    retried = subprocess.run(
        [str(prefect), "flow-run", "retry", run_id],
        env=prefect_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert retried.returncode == 0, retried.stdout + retried.stderr
    with NewEntries(root / "out") as written:
        assert "PAUSED" in _wait_for_state(env, run_id, "PAUSED", 300)
        time.sleep(3)  # a replayed approval would publish now
    assert written.seen == set(), "a retried run published without a new decision"

    log = root / "ws" / "itest-retry" / "audit" / "audit.jsonl"
    events = audit.read(log)
    openings = [e["gate"] for e in events if e["event"] == "gate_opened"]
    approvals = [e for e in events if e["event"] == "approved"]
    assert len(openings) == 2 and openings[0] != openings[1]
    assert [a["gate"] for a in approvals] == [openings[0]]

    second = clearance(env, "approve", run_id, "--dpo", APPROVER, "--comment", "second")
    assert second.returncode == 0, second.stdout + second.stderr
    events = audit.read(log)
    approvals = [e for e in events if e["event"] == "approved"]
    assert [a["gate"] for a in approvals] == openings
    manifest = (destination / "MANIFEST.sha256").read_bytes()
    assert hashlib.sha256(manifest).hexdigest() == approvals[-1]["digest"]
    assert events[-1]["event"] == "released" and audit.verify(log)[0]


def test_a_waiting_release_survives_a_restart_of_the_whole_stack(stack, inputs) -> None:
    """The gate holds no process: the server and the serving process are killed (SIGKILL)
    and started again while the run waits; the DPO's approval then publishes the reviewed
    candidate, built once, with one gate opening and one approval."""
    env, home = stack
    root, _ = inputs
    run_id = _submit(env, _request(root, "itest-restart"))
    state = json.loads((home / "stack.json").read_text())
    deadline = time.monotonic() + 60
    while flow_run_processes(home) and time.monotonic() < deadline:
        time.sleep(1)
    assert not flow_run_processes(home), "a suspended run holds no process"
    for name in ("serve_pid", "server_pid"):
        os.killpg(state[name], signal.SIGKILL)
    clearance(env, "down")
    clearance(env, "up", check=True)
    assert "PAUSED" in clearance(env, "status", run_id).stdout.upper()

    approved = clearance(env, "approve", run_id, "--dpo", APPROVER)
    assert approved.returncode == 0, approved.stdout + approved.stderr
    log = root / "ws" / "itest-restart" / "audit" / "audit.jsonl"
    events = [e["event"] for e in audit.read(log)]
    for built_once in ("inputs_indexed", "staging_assembled", "gate_opened", "approved"):
        assert events.count(built_once) == 1, (built_once, events)
    assert "run_resumed" in events and events[-1] == "released"
    assert (root / "out" / "itest-restart" / "MANIFEST.sha256").exists()
