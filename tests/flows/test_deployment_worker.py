"""The documented route onto a site's own infrastructure, as subprocesses on this machine:
a Prefect server, a process work pool, `prefect deploy` with deployments/prefect.yaml run
exactly as its header says, and `prefect worker start` from another working directory —
once with the worker's process pool, once on a Dask scheduler with two Dask workers. Both
releases are byte-identical (same key, same inputs), and the scheduler's task stream holds
every task run of the Dask run (the candidate's and publishing), on the two Dask workers:
the flow process only orchestrated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import yaml

from flows.cli.stack import healthy
from tasks.synthetic.demo_inputs import build_demo
from tests.dask_support import RELEASE_TASKS, record_task_stream, stream_entries
from tests.stack_support import PROJECT, clearance, free_port, stack_env, tree_digests

pytestmark = pytest.mark.integration
BIN = Path(sys.executable).parent
APPROVER = "DPO"


@contextmanager
def _process(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> Iterator[None]:
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        yield
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)


def _wait_healthy(api: str, log: Path, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if healthy(api):
            return
        time.sleep(1)
    raise AssertionError("the Prefect server did not become healthy:\n" + log.read_text()[-3000:])


def _run(command: list[str], env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


REQUEST_ID = "site-deployment"  # one id: each instance names its release (request id)


def _request(root: Path, name: str) -> Path:
    path = root / f"{name}.yaml"
    data = {
        "request_id": REQUEST_ID,
        "purpose": "site deployment",
        "requester": "Lab X",
        "approvers": [APPROVER],
        "inputs": {"dicom": "in/dicom", "reports": "in/reports"},
        "profile": "demo",
        "workspace": f"ws-{name}",
        "destination": f"out/{name}",
    }
    path.write_text(yaml.safe_dump(data))
    return path


def _release(env: dict[str, str], root: Path, name: str) -> tuple[str, dict[str, str]]:
    submitted = clearance(env, "submit", str(_request(root, name)), timeout=600)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    run_id = submitted.stdout.strip().splitlines()[-1]
    assert f"{env['PREFECT_API_URL'].removesuffix('/api')}/runs/flow-run/{run_id}" in (
        submitted.stderr
    )
    approved = clearance(env, "approve", run_id, "--dpo", APPROVER, timeout=600)
    assert approved.returncode == 0, approved.stdout + approved.stderr
    return run_id, tree_digests(root / "out" / name)


def _task_runs_by_stage(api: str, run_id: str) -> Counter[str]:
    """Task runs of the release run and its candidate subflow, counted by stage."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.progress import BATCH_SUFFIX, task_runs

    with temporary_settings({PREFECT_API_URL: api}):
        return Counter(BATCH_SUFFIX.sub("", run.name) for run in task_runs(run_id))


def test_worker_from_the_documented_deployment_with_and_without_dask(tmp_path: Path) -> None:
    build_demo(tmp_path / "in", patients=2, image_size=192)
    env = stack_env(tmp_path / "home")
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    Path(env["PREFECT_HOME"]).mkdir(parents=True)
    port = int(env["CLEARANCE_PORT"])
    api = f"http://127.0.0.1:{port}/api"
    client_env = {**env, "PREFECT_API_URL": api}
    elsewhere = tmp_path / "worker-cwd"  # the worker needs no checkout as its directory
    elsewhere.mkdir()
    logs = tmp_path / "logs"
    logs.mkdir()
    server = [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    worker = [str(BIN / "prefect"), "worker", "start", "--pool", "clearance"]
    with ExitStack() as running:
        running.enter_context(_process(server, env, elsewhere, logs / "server.log"))
        _wait_healthy(api, logs / "server.log")
        _run([str(BIN / "prefect"), "work-pool", "create", "clearance", "--type", "process"],
             client_env, PROJECT)  # fmt: skip
        _run([str(BIN / "prefect"), "--no-prompt", "deploy", "--prefect-file",
              "deployments/prefect.yaml", "--all"], client_env, PROJECT)  # fmt: skip

        with _process(worker, client_env, elsewhere, logs / "worker-local.log"):
            _, local = _release(client_env, tmp_path, "site-local")

        scheduler_port = free_port()
        address = f"tcp://127.0.0.1:{scheduler_port}"
        dask_env = {**client_env, "CLEARANCE_DASK_ADDRESS": address}
        running.enter_context(
            _process(
                [
                    str(BIN / "dask"),
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(scheduler_port),
                    "--no-dashboard",
                ],
                client_env,
                elsewhere,
                logs / "scheduler.log",
            )  # fmt: skip
        )
        for index in range(2):
            running.enter_context(
                _process(
                    [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard"],
                    client_env,
                    elsewhere,
                    logs / f"dask-worker-{index}.log",
                )  # fmt: skip
            )
        from distributed import Client

        with (
            Client(address, timeout=120) as dask,
            _process(worker, dask_env, elsewhere, logs / "worker-dask.log"),
        ):
            dask.wait_for_workers(2, timeout=180)
            dask_workers = set(dask.scheduler_info()["workers"])
            record_task_stream(dask)
            run_id, distributed = _release(client_env, tmp_path, "site-dask")
            on_dask = stream_entries(dask)
        prefect_runs = _task_runs_by_stage(api, run_id)
        worker_logs = "".join(p.read_text(errors="replace") for p in logs.glob("dask-worker-*"))

    assert any(name.endswith(".dcm") for name in local)
    assert distributed == local
    assert "No module named" not in worker_logs
    # every task run of the release, publishing after the gate included, ran on a Dask worker
    assert prefect_runs["publish"] == 1
    assert Counter(stage for stage, _ in on_dask) == prefect_runs
    assert set(prefect_runs) == set(RELEASE_TASKS.values())
    assert {worker for _, worker in on_dask} == dask_workers
