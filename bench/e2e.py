"""End-to-end benchmark: N synthetic files (mixed modalities, burned-in text, reports, a
clinical CSV) through the real local stack up to the DPO gate.

Prints wall time to the gate, files/s, time per stage (from the Prefect task runs), the
share of the wall time during which no task ran (the flow process orchestrating, the API,
start-up) and the peak resident memory of the whole process tree serving the run (sampled
every 0.5 s). The stack is a private one (its own CLEARANCE_HOME and port under a temporary
folder), started and stopped here.

    .venv/bin/python bench/e2e.py --files 500 [--image-size 256]
    .venv/bin/python bench/e2e.py --files 500 --dask-workers 2

With ``--dask-workers N`` the stages run on a Dask scheduler with N single-threaded workers
started on this machine (CLEARANCE_DASK_ADDRESS); the share of the wall time outside the
workers is then also read from the scheduler's task stream.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.cli import stack  # noqa: E402
from tasks.synthetic.demo_inputs import MODALITIES, build_demo  # noqa: E402


def _tree_rss(pid: int) -> int:
    try:
        parent = psutil.Process(pid)
        procs = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _covered(intervals: list[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of [start, end] inside at least one of ``intervals``."""
    total, reach = 0.0, start
    for low, high in sorted(intervals):
        low, high = max(low, reach), min(high, end)
        if high > low:
            total += high - low
            reach = high
    return total


def _task_run_intervals(run_id: str) -> list[tuple[float, float]]:
    from flows.progress import task_runs

    return [
        (run.start_time.timestamp(), run.end_time.timestamp())
        for run in task_runs(run_id)
        if run.start_time and run.end_time
    ]


class DaskCluster:
    """A scheduler and ``workers`` single-threaded workers, as subprocesses of this one."""

    def __init__(self, workers: int, logs: Path) -> None:
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        self.workers = workers
        self.logs = logs
        self.processes: list[subprocess.Popen] = []
        self.client = None

    def _start(self, args: list[str], log: str) -> subprocess.Popen:
        with open(self.logs / log, "wb") as out:
            process = subprocess.Popen(
                [str(Path(sys.executable).parent / "dask"), *args, "--no-dashboard"],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(os.environ),
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def start_scheduler(self) -> None:
        port = self.address.rsplit(":", 1)[1]
        self._start(["scheduler", "--host", "127.0.0.1", "--port", port], "scheduler.log")

    def start_workers(self) -> None:
        """After `clearance up`: the workers report to its API (PREFECT_API_URL, auth)."""
        from distributed import Client

        for index in range(self.workers):
            self._start(["worker", self.address, "--nthreads", "1"], f"worker-{index}.log")
        self.client = Client(self.address, timeout=120)
        self.client.wait_for_workers(self.workers, timeout=180)
        self.client.get_task_stream()  # the scheduler records its task stream from now on

    def compute_intervals(self) -> list[tuple[float, float]]:
        return [
            (part["start"], part["stop"])
            for entry in self.client.get_task_stream()
            for part in entry["startstops"]
            if part["action"] == "compute"
        ]

    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        for process in reversed(self.processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 15)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--dask-workers", type=int, default=0)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("CLEARANCE_PSEUDONYM_KEY", "bench-key-0123456789abcdef")
    per_patient = sum(files for _, files, _ in MODALITIES)
    patients = max(1, round(args.files / per_patient))
    work = Path(tempfile.mkdtemp(prefix="clearance-e2e-"))
    start = time.monotonic()
    demo = build_demo(work / "in", patients=patients, image_size=args.image_size)
    print(
        f"generated {demo.dicom_files} DICOM files, {patients} reports in "
        f"{time.monotonic() - start:.1f} s"
    )
    request = work / "request.yaml"
    request.write_text(
        yaml.safe_dump(
            {
                "request_id": "bench-e2e",
                "purpose": "benchmark",
                "requester": "bench",
                "approvers": ["DPO"],
                "inputs": {
                    "dicom": "in/dicom",
                    "reports": "in/reports",
                    "clinical": "in/clinical.csv",
                },
                "profile": "demo",
                "workspace": "ws",
                "destination": "out",
            }
        )
    )
    # a private stack: its own state folder, port and Prefect database
    os.environ["CLEARANCE_HOME"] = str(work / "home")
    os.environ["CLEARANCE_PORT"] = str(_free_port())
    for name in (
        "PREFECT_API_URL",
        "PREFECT_API_AUTH_STRING",
        "PREFECT_HOME",
        "CLEARANCE_DASK_ADDRESS",
    ):
        os.environ.pop(name, None)
    (work / "home").mkdir(mode=0o700)
    cluster = DaskCluster(args.dask_workers, work) if args.dask_workers else None
    try:
        if cluster is not None:
            cluster.start_scheduler()
            os.environ["CLEARANCE_DASK_ADDRESS"] = cluster.address
        state = stack.up()
        if cluster is not None:
            cluster.start_workers()
        _measure(args, demo, request, state, cluster)
    finally:
        if cluster is not None:
            cluster.stop()
        stack.down()
        if not args.keep:
            import shutil

            shutil.rmtree(work, ignore_errors=True)


def _measure(args, demo, request: Path, state: dict, cluster: DaskCluster | None) -> None:
    roots = [state["serve_pid"], *(cluster.pids() if cluster else [])]
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], sum(_tree_rss(pid) for pid in roots))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    began, start = time.time(), time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli.main", "submit", str(request)],
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - start
    ended = time.time()
    done.set()
    run_id = result.stdout.strip().splitlines()[-1]
    files = demo.dicom_files + demo.junk_files
    runner = f"Dask, {args.dask_workers} workers" if cluster else "local process pool"
    print(f"task runner: {runner}")
    print(f"submit exit code {result.returncode} (0 = paused at the gate)")
    print(f"files: {files}  wall time to the gate: {wall:.1f} s  ({files / wall:.2f} files/s)")
    what = "serving process tree" + (" + Dask scheduler and workers" if cluster else "")
    print(f"peak RSS of the {what}: {peak[0] / 1024**2:.0f} MB")
    busy = _covered(_task_run_intervals(run_id), began, ended)
    print(f"no task running (Prefect task runs): {1 - busy / wall:.0%} of the wall time")
    if cluster is not None:
        busy = _covered(cluster.compute_intervals(), began, ended)
        print(f"no Dask worker computing (task stream): {1 - busy / wall:.0%} of the wall time")
    from flows.progress import stage_summary

    for stage, numbers in stage_summary(run_id).items():
        print(f"  stage {stage:<15} {numbers['seconds']:7.1f} s  ({int(numbers['total'])} tasks)")
    subprocess.run(
        [sys.executable, "-m", "flows.cli.main", "reject", run_id, "--dpo", "DPO"]
        + ["--reason", "benchmark"],
        capture_output=True,
    )


if __name__ == "__main__":
    main()
