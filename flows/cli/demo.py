"""`clearance demo`: synthetic inputs with planted PHI, the local stack, one submitted run."""

from __future__ import annotations

import argparse
import os
import secrets
import stat
import sys
from pathlib import Path

import yaml

from flows.cli import stack
from flows.cli.runs import self_command, submit
from tasks.config.errors import ClearanceError

DEMO_APPROVER = "Mme Durand (DPO)"


def write_demo_request(folder: Path, patients: int, request_id: str = "demo-001") -> Path:
    from tasks.synthetic.demo_inputs import build_demo

    inputs = folder / "inputs"
    if not (inputs / "dicom").exists():
        build_demo(inputs, patients=patients)
    request = {
        "request_id": request_id,
        "purpose": "Demo: COVID-19 triage model training",
        "requester": "Lab X",
        "approvers": [DEMO_APPROVER],
        "inputs": {
            "dicom": "inputs/dicom",
            "reports": "inputs/reports",
            "clinical": "inputs/clinical.csv",
        },
        "profile": "demo",
        "workspace": "workspace",
        "destination": f"release/{request_id}",
    }
    path = folder / f"{request_id}.yaml"
    path.write_text(yaml.safe_dump(request, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _demo_key(home: Path) -> None:
    """The demo needs a key; a real deployment sets CLEARANCE_PSEUDONYM_KEY itself."""
    if os.environ.get("CLEARANCE_PSEUDONYM_KEY"):
        return
    key_file = home / "demo-pseudonym.key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(32))
    if stat.S_IMODE(key_file.stat().st_mode) & 0o077:
        raise ClearanceError(f"{key_file} is readable by other users: chmod 600 it")
    os.environ["CLEARANCE_PSEUDONYM_KEY"] = key_file.read_text().strip()
    print(
        f"demo: using a generated demo key ({key_file}); real releases must set "
        "CLEARANCE_PSEUDONYM_KEY",
        file=sys.stderr,
    )


def run_demo(args: argparse.Namespace) -> int:
    home = stack.clearance_home()
    folder = Path(args.dir).resolve() if args.dir else home / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    existing = sorted(folder.glob("demo-*.yaml"))
    request_id = f"demo-{len(existing) + 1:03d}"  # a fresh workspace + destination per run
    request_path = write_demo_request(folder, args.patients, request_id)
    print(f"demo inputs: {folder / 'inputs'}  request: {request_path}", file=sys.stderr)
    _demo_key(home)
    state = stack.up()
    ui = state["api_url"].removesuffix("/api")
    run_id, outcome = submit(request_path, timeout=3600)
    command = self_command()
    if outcome != "PAUSED":
        print(f"the demo run ended {outcome}; see `{command} status {run_id}`", file=sys.stderr)
        print(run_id)
        return 1
    print(
        f"\nThe release is waiting for the DPO at the gate.\n  Prefect UI: {ui}/runs/flow-run/"
        f"{run_id}\n  Approve:    {command} approve {run_id} --dpo '{DEMO_APPROVER}'\n"
        f"  Reject:     {command} reject {run_id} --dpo '{DEMO_APPROVER}' --reason '...'\n"
        f"  Release goes to: {folder / 'release' / request_id}",
        file=sys.stderr,
    )
    print(run_id)
    return 0
