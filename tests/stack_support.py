"""A real local Clearance stack for tests: `clearance up` with its own CLEARANCE_HOME and
PREFECT_HOME, the CLI run as a subprocess, and the process tree of the served flow runs (what
a crash test kills)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from tasks.signoff.approvers import STEP_SECONDS, enrol, hotp, key_of, step_at
from tests.conftest import TEST_KEY

PROJECT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clearance(
    env: dict[str, str], *args: str, check: bool = False, timeout: float = 900
) -> subprocess.CompletedProcess:
    """Run the CLI (`python -m flows.cli.main ARGS`) to the end. An approve or reject without
    ``--code`` gets the approver's current one-time code, as their authenticator app would
    show it (the approver is enrolled on first use)."""
    if args and args[0] in ("approve", "reject") and "--code" not in args:
        args = (*args, "--code", authenticator_code(env, args[args.index("--dpo") + 1]))
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=PROJECT,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"clearance {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result


def approvers_path(env: dict[str, str]) -> Path:
    explicit = env.get("CLEARANCE_APPROVERS_FILE")
    return Path(explicit) if explicit else Path(env["CLEARANCE_HOME"]) / "approvers.json"


def authenticator_code(env: dict[str, str], name: str) -> str:
    """What ``name``'s authenticator app shows now, for a step the gate has not seen used
    (a code decides once: a second answer in the same 30 s takes the next step's code,
    which the gate's window accepts, or waits for it)."""
    path = approvers_path(env)
    if not (path.exists() and key_of(name) in json.loads(path.read_text())):
        enrol(name, path)
    while True:
        entry = json.loads(path.read_text())[key_of(name)]
        now = step_at(time.time())
        usable = [s for s in (now, now + 1) if s > entry["last_step"]]
        if usable:
            return hotp(entry["secret"], usable[0])
        time.sleep(STEP_SECONDS - time.time() % STEP_SECONDS + 0.5)


def stack_env(home: Path, workers: int = 2) -> dict[str, str]:
    """The environment of a stack living under ``home`` (no PREFECT_* setting inherited)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        CLEARANCE_HOME=str(home),
        PREFECT_HOME=str(home / "prefect"),
        CLEARANCE_PORT=str(free_port()),
        CLEARANCE_PSEUDONYM_KEY=TEST_KEY,
        CLEARANCE_WORKERS=str(workers),
    )
    return env


@contextmanager
def local_stack(home: Path, workers: int = 2) -> Iterator[dict[str, str]]:
    """`clearance up` ... `clearance down`; yields the environment the CLI needs."""
    env = stack_env(home, workers)
    try:
        clearance(env, "up", check=True)
        yield env
    finally:
        clearance(env, "down")


def tree_digests(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``folder`` (to compare two releases)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def api_url(home: Path) -> str:
    return json.loads((home / "stack.json").read_text())["api_url"]


def api_auth(home: Path) -> str:
    """The local server's generated credentials (`clearance up` writes them)."""
    return (home / "api-auth").read_text().strip()


def api_env(env: dict[str, str], home: Path) -> dict[str, str]:
    """``env`` for a Prefect client of the stack under ``home`` (URL and credentials)."""
    return {**env, "PREFECT_API_URL": api_url(home), "PREFECT_API_AUTH_STRING": api_auth(home)}


def api_settings(home: Path) -> dict:
    """The same, as ``prefect.settings.temporary_settings`` updates for this process."""
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL

    return {PREFECT_API_URL: api_url(home), PREFECT_API_AUTH_STRING: api_auth(home)}


def serve_process(home: Path) -> psutil.Process:
    return psutil.Process(json.loads((home / "stack.json").read_text())["serve_pid"])


def flow_run_processes(home: Path) -> list[psutil.Process]:
    """The processes running served flow runs: `flow.serve` starts each run in a child made
    with multiprocessing's spawn (its task-runner pool workers are that child's children)."""
    return _spawned_children(serve_process(home))


def pool_workers(flow_run: psutil.Process) -> list[psutil.Process]:
    """The task-runner pool workers of a flow-run process (spawned children as well)."""
    return _spawned_children(flow_run)


def _spawned_children(parent: psutil.Process) -> list[psutil.Process]:
    """Children started by multiprocessing's spawn, except its resource tracker."""
    found = []
    for child in parent.children():
        try:
            command = " ".join(child.cmdline())
        except psutil.NoSuchProcess:
            continue
        if "spawn_main" in command and "resource_tracker" not in command:
            found.append(child)
    return found


def wait_gone(processes: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    """Wait until none of ``processes`` runs any more; returns those still running."""
    deadline = time.monotonic() + seconds
    while (alive := [p for p in processes if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def kill_tree(root: psutil.Process) -> list[psutil.Process]:
    """SIGKILL ``root`` and every process under it; returns them once they are all gone.

    The root is stopped first so that it cannot start a new worker between the listing of
    its descendants and the kill (an orphaned worker would outlive the "crash")."""
    root.send_signal(signal.SIGSTOP)
    tree = [root, *root.children(recursive=True)]
    for process in tree:
        try:
            process.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    alive = wait_gone(tree, 30)
    if alive:
        raise AssertionError(f"processes survived SIGKILL: {[p.pid for p in alive]}")
    return tree


def _alive(process: psutil.Process) -> bool:
    """Running and not a zombie (an orphan's zombie waits for whoever reaps in here)."""
    try:  # is_running() also tells a recycled pid from the process we knew
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
