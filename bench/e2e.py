"""End-to-end benchmark: N synthetic files (mixed modalities, burned-in text, reports, a
clinical CSV) through the real local stack up to the DPO gate.

Prints wall time to the gate, files/s, time per stage (from the Prefect task runs) and the
peak resident memory of the whole process tree serving the run (sampled every 0.5 s).

    .venv/bin/python bench/e2e.py --files 500 [--image-size 256]
"""

from __future__ import annotations

import argparse
import os
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

from flows import stack  # noqa: E402
from tasks.demo import MODALITIES, build_demo  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--image-size", type=int, default=256)
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
    # a stack the user already runs is left running; one started here is stopped at the end
    started_here = not stack.healthy(stack.read_state().get("api_url", stack.default_api_url()))
    state = stack.up()
    if stack.stale_serving_code():
        print(stack.STALE_WARNING)
    serve_pid = state["serve_pid"]
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss(serve_pid))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "submit", str(request)],
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - start
    done.set()
    run_id = result.stdout.strip().splitlines()[-1]
    files = demo.dicom_files + demo.junk_files
    print(f"submit exit code {result.returncode} (0 = paused at the gate)")
    print(f"files: {files}  wall time to the gate: {wall:.1f} s  ({files / wall:.2f} files/s)")
    print(f"peak RSS of the serving process tree: {peak[0] / 1024**2:.0f} MB")
    from flows.progress import stage_summary

    for stage, numbers in stage_summary(run_id).items():
        print(f"  stage {stage:<15} {numbers['seconds']:7.1f} s  ({int(numbers['total'])} tasks)")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "reject",
            run_id,
            "--dpo",
            "DPO",
            "--reason",
            "benchmark",
        ],
        capture_output=True,
    )
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
        if started_here:
            stack.down()


if __name__ == "__main__":
    main()
