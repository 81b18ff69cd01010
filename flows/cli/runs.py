"""Flow runs as the command line drives them: submit a request to the release deployment,
wait for a state, resume a run paused at the DPO gate, and the command the user types to
run this CLI (printed in the instructions)."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:  # prefect takes seconds to import: the CLI imports it when a command needs it
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import FlowRun, State

FINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}


def prefect_client() -> SyncPrefectClient:
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)


def read_run(run_id: str) -> FlowRun:
    with prefect_client() as client:
        return client.read_flow_run(UUID(run_id))


def stage_progress(run_id: str) -> str:
    """'headers 3/5 · pixels 1/5': batches done / started, per stage."""
    from flows.progress import stage_summary

    return " · ".join(
        f"{name} {numbers['done']}/{numbers['total']}"
        for name, numbers in stage_summary(run_id).items()
    )


def wait_for(
    run_id: str, stop: Callable[[State], bool], timeout: float, progress: bool = True
) -> State:
    """Poll the run until ``stop`` accepts its state; that state."""
    deadline = time.monotonic() + timeout
    last = None
    shown = ""
    while True:
        run = read_run(run_id)
        state = run.state
        if progress and state and state.name != last:
            print(f"  {time.strftime('%H:%M:%S')} {state.name}", file=sys.stderr)
            last = state.name
        if progress and state and state.is_running():
            line = stage_progress(run_id)
            if line != shown:
                print(f"  {time.strftime('%H:%M:%S')} {line}", file=sys.stderr)
                shown = line
        if state and stop(state):
            return state
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for flow run {run_id} (state {last})")
        time.sleep(1.0)


def state_message(run_id: str) -> str:
    state = read_run(run_id).state
    return (state.message if state else None) or ""


def submit(request_path: Path, timeout: float) -> tuple[str, str]:
    """Create a run of the deployment; wait until it pauses at the gate or ends."""
    from prefect.deployments import run_deployment

    from flows.release import DEPLOYMENT_NAME, FLOW_NAME
    from tasks.config.request import load_request

    load_request(request_path)  # clear errors before anything runs
    run: FlowRun = run_deployment(  # type: ignore[assignment]  # sync call: not a coroutine
        f"{FLOW_NAME}/{DEPLOYMENT_NAME}",
        parameters={"request_path": str(request_path.resolve())},
        timeout=0,
    )
    run_id = str(run.id)
    print(f"submitted flow run {run_id}", file=sys.stderr)
    state = wait_for(run_id, lambda s: s.is_paused() or s.type.value in FINAL_STATES, timeout)
    return run_id, state.type.value if not state.is_paused() else "PAUSED"


def self_command() -> str:
    """The command that runs this CLI as the user can type it: `clearance` when that is on
    PATH, else the entry point beside this Python (a venv's bin folder often is not)."""
    beside = Path(sys.executable).parent / "clearance"
    on_path = shutil.which("clearance")
    if on_path and (not beside.exists() or Path(on_path).resolve() == beside.resolve()):
        return "clearance"
    if not beside.exists():
        return f"{sys.executable} -m flows.cli.main"
    try:
        return str(beside.relative_to(Path.cwd()))
    except ValueError:
        return str(beside)


def resume(
    run_id: str,
    approved: bool,
    dpo: str,
    comment: str,
    timeout: float,
    progress: bool = True,
    code: str = "",
) -> str:
    from prefect.flow_runs import resume_flow_run

    before = read_run(run_id).state
    if not before or not before.is_paused():
        raise SystemExit(
            f"flow run {run_id} is not waiting for approval ({before and before.name})"
        )
    decision = "approve" if approved else "reject"
    answer = {"decision": decision, "dpo_name": dpo, "code": code, "comment": comment}
    resume_flow_run(UUID(run_id), run_input=answer)
    state = wait_for(
        run_id,
        lambda s: s.type.value in FINAL_STATES or (s.is_paused() and s.id != before.id),
        timeout,
        progress,
    )
    return "PAUSED" if state.is_paused() else state.type.value
