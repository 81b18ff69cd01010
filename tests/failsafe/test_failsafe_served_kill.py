"""Crash and resume through the real served stack (`clearance up`, the `clearance` CLI).

A release is submitted; while a given stage runs (one of its Prefect task runs is RUNNING,
watched through the API; assemble, too short for that, through the workspace), at a random
point of that stage's duration, SIGKILL hits either the process tree of the served flow run
(the flow-run process `flow.serve` spawned, its task-runner pool workers and their children:
the run crashes) or, for the mapped stages, one pool worker (what the OOM killer would pick:
the run fails on a broken pool). The same request is submitted again, and so on for each
stage, until the run pauses at the DPO gate; then it is approved. The manifest, the staging
area, the release, its MANIFEST.sha256 and the pseudonym map must equal those of an
uninterrupted run of an identical request (same inputs, another workspace and destination):
one output per input, none missing, same pseudonyms and UIDs. Each ended run must leave no
process behind and no stale run lock (the next submission would be refused).
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
import yaml

from tasks.headers.pseudonyms import read_pseudonym_map
from tasks.publish.release_description import DICTIONARY
from tasks.rights.pseudonym import request_key
from tasks.runtime import audit
from tasks.runtime.workspace import Workspace
from tasks.synthetic.demo_inputs import MODALITIES, DemoSet, build_demo
from tests.conftest import TEST_KEY
from tests.stack_support import (
    PROJECT,
    api_env,
    api_settings,
    clearance,
    flow_run_processes,
    kill_tree,
    local_stack,
    pool_workers,
    wait_gone,
)

pytestmark = pytest.mark.integration
APPROVER = "Mme Durand (DPO)"
REQUEST_ID = "crash-001"
# stage -> the audit event its (single) task writes when done; batch stages have results
DONE_EVENT = {
    "assemble": "staging_assembled",
    "release-rules": "release_rules_applied",
    "conformance": "conformance_checked",
    "quality-checks": "checks_run",
}
BATCH_STAGES = {"ingest": "dicom", "headers": "dicom", "pixels": "dicom", "reports": "report"}
# every stage long enough to be hit from outside (prepare, clinical, release-rules and
# pixel-evidence take milliseconds here; assemble ~0.1 s, watched through the workspace)
EVERY_STAGE = (
    "ingest",
    "headers",
    "pixels",
    "reports",
    "assemble",
    "conformance",
    "quality-checks",
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("clearance-home")
    with local_stack(home) as env:
        yield env, home


# --- inputs and requests ---------------------------------------------------------------------
def _inputs(root: Path, dicom_files: int) -> DemoSet:
    per_patient = sum(files for _, files, _ in MODALITIES)
    patients = -(-dicom_files // per_patient)
    return build_demo(root / "inputs", patients=patients, seed=11, image_size=64)


def _request(root: Path, name: str, demo: DemoSet, profile_fields: dict) -> Path:
    """A request in its own folder (own workspace and destination), same inputs."""
    folder = root / name
    folder.mkdir()
    profile = folder / "profile.yaml"
    profile.write_text(yaml.safe_dump({"extends": "demo", "name": "crash-test", **profile_fields}))
    data = {
        "request_id": REQUEST_ID,
        "purpose": "crash test",
        "requester": "Lab X",
        "approvers": [APPROVER],
        "inputs": {
            "dicom": str(demo.dicom),
            "reports": str(demo.reports),
            "clinical": str(demo.clinical),
        },
        "profile": str(profile),
        "workspace": "ws",
        "destination": "out",
    }
    path = folder / "request.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _ws_root(request: Path) -> Path:
    return request.parent / "ws" / REQUEST_ID


# --- the Prefect API, read from this process -------------------------------------------------
def _task_runs(home: Path, run_id: str) -> list:
    from prefect.settings import temporary_settings

    from flows.progress import task_runs

    with temporary_settings(api_settings(home)):
        return task_runs(run_id)


def _stage_seconds(home: Path, run_id: str) -> dict[str, float]:
    from prefect.settings import temporary_settings

    from flows.progress import stage_summary

    with temporary_settings(api_settings(home)):
        return {name: numbers["seconds"] for name, numbers in stage_summary(run_id).items()}


def _run_state(home: Path, run_id: str) -> str:
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.settings import temporary_settings

    with temporary_settings(api_settings(home)):
        with get_client(sync_client=True) as client:
            return client.read_flow_run(UUID(run_id)).state.type.value


def _still_running(home: Path) -> tuple[int, int]:
    """(flow runs, task runs) the API still shows RUNNING."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
        TaskRunFilter,
        TaskRunFilterState,
        TaskRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.settings import temporary_settings

    running = [StateType.RUNNING]
    with temporary_settings(api_settings(home)):
        with get_client(sync_client=True) as client:
            flows = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=running))
                )
            )
            tasks = client.read_task_runs(
                task_run_filter=TaskRunFilter(
                    state=TaskRunFilterState(type=TaskRunFilterStateType(any_=running))
                )
            )
    return len(flows), len(tasks)


def _stage_of(task_run_name: str) -> str:
    from flows.progress import BATCH_SUFFIX

    return BATCH_SUFFIX.sub("", task_run_name)


# --- a `clearance submit` running in the background ------------------------------------------
class Submission:
    def __init__(self, env: dict[str, str], request: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flows.cli.main", "submit", str(request), "--timeout", "900"],
            env=env,
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.stdout)),
            threading.Thread(target=self._read, args=(self.process.stderr, self.stderr)),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def run_id(self, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.stderr):
                if line.startswith("submitted flow run "):
                    return line.split()[-1]
            if self.process.poll() is not None and not any(
                line.startswith("submitted flow run ") for line in self.stderr
            ):
                break
            time.sleep(0.1)
        raise AssertionError("no flow run submitted:\n" + "\n".join(self.stderr))

    def running(self) -> bool:
        return self.process.poll() is None

    def wait(self, timeout: float) -> int:
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"`clearance submit` still waiting after {timeout:.0f} s:\n"
                + "\n".join(self.stderr[-20:])
            ) from None
        for reader in self._readers:
            reader.join(timeout=10)
        return code

    def output(self) -> str:
        return "\n".join(self.stdout + self.stderr)


# --- killing the served flow run inside a stage ---------------------------------------------
@dataclass
class Kill:
    stage: str
    mode: str  # "tree": the flow-run process and all under it; "worker": one pool worker
    after_seconds: float  # since the stage's first task run was seen RUNNING
    running: list[str]  # task runs RUNNING just before the kill
    killed: int  # processes SIGKILLed
    tree: list[psutil.Process]  # the flow run's whole process tree at the kill
    stage_incomplete: bool  # the workspace showed the stage unfinished after the kill


@dataclass
class CrashLog:
    kills: list[Kill] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)  # stages that ended before their kill
    attempts: int = 0


def _stage_incomplete(ws_root: Path, stage: str, batches: dict[str, int], events: int) -> bool:
    """The workspace's own view: results missing for a batch stage, or no done-event for a
    single-task stage among the audit lines written since the attempt started."""
    if stage in BATCH_STAGES:
        kind = BATCH_STAGES[stage]
        done = len(list((ws_root / "work" / stage / "results").glob(f"{kind}-*.json")))
        return done < batches[stage]
    lines = audit.read(ws_root / "audit" / "audit.jsonl")[events:]
    return not any(entry["event"] == DONE_EVENT[stage] for entry in lines)


def _audit_length(ws_root: Path) -> int:
    log = ws_root / "audit" / "audit.jsonl"
    return len(audit.read(log)) if log.exists() else 0


@dataclass
class Attempt:
    """One submission of the crashed request and what is needed to watch it."""

    home: Path
    submission: Submission
    ws_root: Path
    batches: dict[str, int]
    audit_start: int  # audit lines written before this submission

    def incomplete(self, stage: str) -> bool:
        return _stage_incomplete(self.ws_root, stage, self.batches, self.audit_start)

    def running(self, stage: str) -> list[str]:
        """The task runs of ``stage`` RUNNING now, from the API."""
        run_id = self.submission.run_id()
        runs = [r for r in _task_runs(self.home, run_id) if _stage_of(r.name) == stage]
        return [r.name for r in runs if r.state and r.state.is_running()]


def _kill_inside(
    attempt: Attempt, stage: str, mode: str, seconds: float, rng: random.Random
) -> Kill | None:
    """Wait for ``stage`` to run in this submission's flow run, then, at a random point of
    the stage's (reference) duration, SIGKILL the flow run's process tree (``mode`` "tree":
    a crash of the run) or one of its pool workers ("worker": what the OOM killer picks).
    None when the stage ended before that point, or before it was seen running (the run
    then goes on)."""
    if stage == "assemble":
        return _kill_in_assemble(attempt, rng)
    first_seen = None
    delay = rng.uniform(0.0, 0.7) * max(seconds, 0.2)
    while attempt.submission.running():
        running = attempt.running(stage)
        now = time.monotonic()
        if first_seen is None and running:
            first_seen = now
        if not running and not attempt.incomplete(stage):
            return None  # the stage is over: no kill in it this time
        if first_seen is not None and running and now >= first_seen + delay:
            flow_runs = flow_run_processes(attempt.home)
            assert len(flow_runs) == 1, f"expected one served flow run, found {len(flow_runs)}"
            tree = [flow_runs[0], *flow_runs[0].children(recursive=True)]
            if mode == "tree":
                killed = kill_tree(flow_runs[0])
            else:
                killed = kill_tree(rng.choice(pool_workers(flow_runs[0])))
            return Kill(
                stage,
                mode,
                round(now - first_seen, 2),
                running,
                len(killed),
                tree,
                attempt.incomplete(stage),
            )
        time.sleep(0.05 if first_seen is not None else 0.2)
    return None


def _kill_in_assemble(attempt: Attempt, rng: random.Random) -> Kill | None:
    """Assemble moves every output into staging in about 0.1 s: too short for the API.
    Watch the staging folder in a tight loop and, a few milliseconds after the first output
    lands there, kill the flow-run process tree (it runs assemble itself; the SIGSTOP that
    starts the kill freezes it at once)."""
    staging = attempt.ws_root / "staging"
    flow_run = None
    while attempt.submission.running():
        if flow_run is None:
            found = flow_run_processes(attempt.home)
            flow_run = found[0] if len(found) == 1 else None
            time.sleep(0.05)
            continue
        with os.scandir(staging) as entries:
            staged = any(entries)
        if staged:
            delay = rng.uniform(0.0, 0.02)
            time.sleep(delay)
            tree = [flow_run, *flow_run.children(recursive=True)]
            killed = kill_tree(flow_run)
            done = attempt.incomplete("assemble")
            return Kill("assemble", "tree", round(delay, 3), ["assemble"], len(killed), tree, done)
        time.sleep(0.002)
    return None


def _crash_through(
    env: dict[str, str],
    home: Path,
    request: Path,
    stages: tuple[str, ...],
    seconds: dict[str, float],
    batches: dict[str, int],
    rng: random.Random,
) -> tuple[str, CrashLog]:
    """Submit; kill inside each of ``stages``; re-submit after each kill; return the run id
    of the submission that reached the gate."""
    ws_root = _ws_root(request)
    log = CrashLog()
    pending = list(stages)
    while True:
        audit_start = _audit_length(ws_root)
        submission = Submission(env, request)
        attempt = Attempt(home, submission, ws_root, batches, audit_start)
        log.attempts += 1
        kill = None
        while pending and kill is None:
            stage = pending.pop(0)
            # mapped stages run in pool workers: alternate a crash of the whole run with the
            # loss of one worker; the others run inside the flow-run process itself
            in_pool = [k for k in log.kills if k.stage in BATCH_STAGES]
            mode = "worker" if stage in BATCH_STAGES and len(in_pool) % 2 else "tree"
            kill = _kill_inside(attempt, stage, mode, seconds.get(stage, 1.0), rng)
            if kill is None:
                log.missed.append(stage)
        if kill is None:  # nothing left to kill: this submission must reach the gate
            assert submission.wait(900) == 0, submission.output()
            return submission.stdout[-1].strip(), log
        log.kills.append(kill)
        code = submission.wait(120)  # the run ends, reported: submit must not hang
        run_id = submission.run_id()
        assert code != 0, f"{kill}\n{submission.output()}"
        # killed by the runner's watch (tree) or failed on BrokenProcessPool (worker)
        expected = "CRASHED" if kill.mode == "tree" else "FAILED"
        assert _run_state(home, run_id) == expected, submission.output()
        # nothing of the ended run may still write into the workspace the next run uses
        assert not wait_gone(kill.tree, 30), "a process of the ended run survived it"


# --- what a release is made of ---------------------------------------------------------------
def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _map_rows(ws_root: Path) -> list[list[str]]:
    """The workspace's sealed pseudonym map, opened with the request's key."""
    key = request_key(ws_root.parent, ws_root.name, TEST_KEY.encode())
    rows = read_pseudonym_map(Workspace(ws_root.parent, ws_root.name), key)
    return [list(row.values()) for row in rows]


def _approve(env: dict[str, str], run_id: str) -> None:
    result = clearance(env, "approve", run_id, "--dpo", APPROVER, "--comment", "ok")
    assert result.returncode == 0, result.stdout + result.stderr


def _batch_counts(ws_root: Path) -> dict[str, int]:
    batches = ws_root / "work" / "batches"
    return {
        stage: len(list(batches.glob(f"{kind}-*.json"))) for stage, kind in BATCH_STAGES.items()
    }


def _check_same_release(reference: Path, crashed: Path, demo: DemoSet) -> None:
    ref_ws, crash_ws = _ws_root(reference), _ws_root(crashed)
    manifest = _rows(crash_ws / "manifest.csv")
    assert manifest == _rows(ref_ws / "manifest.csv")
    body = manifest[1:]
    inputs = demo.dicom_files + len(demo.patients) + 1 + demo.junk_files
    assert len(body) == inputs  # every input once: none missing ...
    assert len({row[0] for row in body}) == len(body)  # ... none twice
    assert {row[3] for row in body} <= {"released", "quarantined"}
    released = sorted(row[5] for row in body if row[3] == "released")
    assert len(released) == len(set(released)) >= demo.dicom_files * 9 // 10

    staging = _hashes(crash_ws / "staging")
    assert staging == _hashes(ref_ws / "staging")  # names (pseudonyms, UIDs) and bytes
    outputs = sorted(name for name in staging if name != DICTIONARY)  # + the release's own doc
    assert outputs == released  # exactly one staged output per released input
    release = _hashes(crashed.parent / "out")
    assert release == _hashes(reference.parent / "out")
    assert {name: digest for name, digest in release.items() if name != "MANIFEST.sha256"} == (
        staging
    )
    listed = (crashed.parent / "out" / "MANIFEST.sha256").read_text().splitlines()
    assert sorted(line.split("  ", 1)[1] for line in listed) == sorted([*released, DICTIONARY])

    pseudonyms = _map_rows(crash_ws)
    assert sorted(pseudonyms) == sorted(_map_rows(ref_ws))
    assert len(pseudonyms) == len(demo.patients)
    assert not [p for p in (crashed.parent / "out").rglob("*") if p.name.endswith(".tmp")]
    assert not list(crashed.parent.glob(".out.publishing-*"))
    assert audit.verify(crash_ws / "audit" / "audit.jsonl")[0]


def _print_log(log: CrashLog, seconds: dict[str, float], started: float) -> None:
    print(f"\nreference stage seconds: { {k: round(v, 1) for k, v in seconds.items()} }")
    for kill in log.kills:
        print(
            f"  killed in {kill.stage:15} after {kill.after_seconds:5.2f} s: {kill.mode} "
            f"({kill.killed} of {len(kill.tree)} processes), running: {', '.join(kill.running)}"
            + ("" if kill.stage_incomplete else " (late: the stage had just ended)")
        )
    print(f"  missed: {log.missed}; submissions: {log.attempts}")
    print(f"  crashed run to the gate: {time.monotonic() - started:.0f} s")


@pytest.mark.parametrize(
    ("dicom_files", "profile", "stages", "seed"),
    [
        pytest.param(
            60,
            {"batch_size": 15, "conformance_sample": 0},
            ("headers", "pixels"),
            5,
            id="60-files-2-stages",
        ),
        pytest.param(
            300,
            {"batch_size": 20, "conformance_sample": 40},
            EVERY_STAGE,
            7,
            id="300-files-every-stage",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_killed_served_runs_resume_to_the_same_release(
    served, tmp_path: Path, dicom_files: int, profile: dict, stages: tuple[str, ...], seed: int
) -> None:
    env, home = served
    demo = _inputs(tmp_path, dicom_files)
    assert demo.dicom_files >= dicom_files
    reference = _request(tmp_path, "reference", demo, profile)
    crashed = _request(tmp_path, "crashed", demo, profile)

    started = time.monotonic()
    result = clearance(env, "submit", str(reference), check=True)
    ref_run = result.stdout.strip().splitlines()[-1]
    seconds = _stage_seconds(home, ref_run)
    _approve(env, ref_run)
    print(f"\nreference run to the release: {time.monotonic() - started:.0f} s")
    batches = _batch_counts(_ws_root(reference))

    started = time.monotonic()
    run_id, log = _crash_through(env, home, crashed, stages, seconds, batches, random.Random(seed))
    _print_log(log, seconds, started)
    _approve(env, run_id)
    # the runner marks a killed run Crashed, not its subflow nor the task runs it held
    stale_flows, stale_tasks = _still_running(home)
    print(f"  still shown RUNNING after the release: {stale_flows} flow runs, {stale_tasks} tasks")

    # a stage may end before its kill point (missed) or just before the kill (late)
    late = [kill.stage for kill in log.kills if not kill.stage_incomplete]
    assert len(log.missed) + len(late) <= len(stages) // 4, log
    assert all(kill.killed >= 3 for kill in log.kills if kill.mode == "tree")  # + 2 workers
    events = [entry["event"] for entry in audit.read(_ws_root(crashed) / "audit" / "audit.jsonl")]
    assert events.count("run_started") == len(log.kills) + 1
    assert events[-1] == "released"
    _check_same_release(reference, crashed, demo)


def test_pool_workers_do_not_outlive_a_killed_flow_run(served, tmp_path: Path) -> None:
    """SIGKILL of the flow-run process alone (not its tree): its workers must go too."""
    env, home = served
    demo = build_demo(tmp_path / "inputs", patients=2, seed=13, image_size=64)
    request = _request(tmp_path, "orphans", demo, {"batch_size": 10, "conformance_sample": 0})
    submission = Submission(env, request)
    attempt = Attempt(home, submission, _ws_root(request), {"headers": 10**6}, 0)
    deadline = time.monotonic() + 300
    while not attempt.running("headers"):
        assert submission.running() and time.monotonic() < deadline, submission.output()
        time.sleep(0.1)
    flow_run = flow_run_processes(home)[0]
    workers = pool_workers(flow_run)
    assert workers
    flow_run.send_signal(signal.SIGKILL)  # the flow-run process only
    assert submission.wait(120) != 0
    survivors = wait_gone(workers, 20)
    for process in survivors:  # leave nothing running for the next tests
        kill_tree(process)
    assert not survivors, f"{len(survivors)} pool workers outlived their flow run"
    # nothing runs any more: the UI must not show the subflow or its tasks as running
    deadline = time.monotonic() + 60
    while (still := _runs_shown_running(api_env(env, home))) and time.monotonic() < deadline:
        time.sleep(1)
    assert not still, f"shown as running after the crash: {still}"


RUNNING_PROBE = """
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (FlowRunFilter, FlowRunFilterState,
    FlowRunFilterStateType, TaskRunFilter, TaskRunFilterState, TaskRunFilterStateType)
with get_client(sync_client=True) as client:
    flows = client.read_flow_runs(flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
        type=FlowRunFilterStateType(any_=["RUNNING", "PENDING"]))))
    tasks = client.read_task_runs(task_run_filter=TaskRunFilter(state=TaskRunFilterState(
        type=TaskRunFilterStateType(any_=["RUNNING", "PENDING"]))))
print(" ".join([f"flow:{run.name}" for run in flows] + [f"task:{run.name}" for run in tasks]))
"""


def _runs_shown_running(env: dict[str, str]) -> str:
    probe = subprocess.run(
        [sys.executable, "-c", RUNNING_PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT,
    )
    assert probe.returncode == 0, probe.stderr[-2000:]
    return probe.stdout.strip()
