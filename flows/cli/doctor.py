"""`clearance doctor`: check, before a release runs, every process a release will use.

A release runs in several processes, often on several machines: the CLI, the process that
runs the flow (the serving process or a Prefect worker), and with CLEARANCE_DASK_ADDRESS a
Dask scheduler and its workers. Each needs the same code, the same pseudonymisation key
(another key gives other pseudonyms), the Prefect API, and the request's folders at the same
absolute paths. Run from the environment a worker runs in, `clearance doctor` probes this
process, the API, and (with CLEARANCE_DASK_ADDRESS) the scheduler and every Dask worker, and
names the process that lacks something. Only fingerprints and yes/no answers cross
processes: never the key, never a value.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.cli import stack
from tasks.config.errors import MissingKey
from tasks.config.keys import key_fingerprint, key_from_env


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str
    message: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.what}: {self.message}"


def probe(paths: list[str]) -> dict[str, Any]:
    """What one process has (run here, on the Dask scheduler and on each Dask worker)."""
    try:
        key = key_fingerprint(key_from_env())
    except MissingKey:
        key = None
    try:
        from flows.release import FLOW_NAME  # noqa: F401 - the flow must import here

        importable = True
    except Exception:  # noqa: BLE001 - any import failure is the finding
        importable = False
    return {
        "process": f"{socket.gethostname()} pid {os.getpid()}",
        "code": stack.code_fingerprint(),
        "importable": importable,
        "key": key,
        "api_url": bool(os.environ.get("PREFECT_API_URL")),
        "paths": {path: Path(path).is_dir() and os.access(path, os.W_OK) for path in paths},
    }


def process_findings(role: str, report: dict[str, Any], reference: dict[str, Any]) -> list[Finding]:
    """Findings for one process against the reference (this process)."""
    where = f"{role} ({report['process']})"
    same_code = report["code"] == reference["code"]
    found = [
        Finding(
            report["importable"],
            f"{where} code",
            "Clearance imports"
            if report["importable"]
            else "cannot import Clearance's flow: install the project there",
        ),
        Finding(
            same_code,
            f"{where} code version",
            "same as here"
            if same_code
            else f"{report['code']} here {reference['code']}: deploy the same version",
        ),
        Finding(
            report["key"] is not None,
            f"{where} key",
            "present"
            if report["key"]
            else "CLEARANCE_PSEUDONYM_KEY is not in this process's environment "
            "(set it where the process is started)",
        ),
    ]
    if report["key"] is not None and reference["key"] is not None:
        same_key = report["key"] == reference["key"]
        found.append(
            Finding(
                same_key,
                f"{where} key",
                "same key as here"
                if same_key
                else "a different key than here: pseudonyms would differ",
            )
        )
    if role != "this process":
        found.append(
            Finding(
                report["api_url"],
                f"{where} PREFECT_API_URL",
                "set" if report["api_url"] else "not set: its task states go elsewhere",
            )
        )
    for path, visible in report["paths"].items():
        state = "writable" if visible else "not visible or not writable (same path on every node)"
        found.append(Finding(visible, f"{where} folder", f"{path}: {state}"))
    return found


def api_findings(api_url: str) -> list[Finding]:
    if not stack.healthy(api_url):
        return [Finding(False, "Prefect API", f"{api_url} does not answer /health")]
    found = [Finding(True, "Prefect API", f"{api_url} answers")]
    try:
        from prefect.client.orchestration import get_client

        from flows.release import DEPLOYMENT_NAME, FLOW_NAME

        with get_client(sync_client=True) as client:
            client.read_deployment_by_name(f"{FLOW_NAME}/{DEPLOYMENT_NAME}")
        found.append(Finding(True, "deployment", f"{FLOW_NAME}/{DEPLOYMENT_NAME} is deployed"))
    except Exception as error:  # noqa: BLE001 - the class names what is wrong (auth, missing)
        found.append(
            Finding(
                False,
                "deployment",
                f"cannot read it ({type(error).__name__}): "
                "check PREFECT_API_AUTH_STRING and `prefect deploy`",
            )
        )
    return found


def dask_findings(address: str, paths: list[str], reference: dict[str, Any]) -> list[Finding]:
    from distributed import Client

    try:
        client = Client(address, timeout=20)
    except Exception as error:  # noqa: BLE001
        return [Finding(False, "Dask scheduler", f"{address} unreachable ({type(error).__name__})")]
    with client:
        found = [Finding(True, "Dask scheduler", f"{address} answers")]
        try:
            found += process_findings(
                "Dask scheduler", client.run_on_scheduler(probe, paths), reference
            )
        except Exception as error:  # noqa: BLE001 - e.g. the scheduler cannot unpickle `probe`
            reason = f"cannot run Clearance there ({type(error).__name__}): install it there"
            found.append(Finding(False, "Dask scheduler code", reason))
        workers = client.run(probe, paths)
        found.append(Finding(bool(workers), "Dask workers", f"{len(workers)} connected"))
        for address_of_worker, report in sorted(workers.items()):
            found += process_findings(f"Dask worker {address_of_worker}", report, reference)
    return found


def request_paths(request_path: str | None) -> list[str]:
    if not request_path:
        return []
    from tasks.config.request import load_request

    request = load_request(request_path)
    folders = [request.workspace.parent, request.destination.parent]
    if isinstance(request.inputs.dicom, Path):
        folders.insert(0, request.inputs.dicom)
    return [str(folder) for folder in folders]


def diagnose(request_path: str | None = None) -> list[Finding]:
    api_url = stack.configure_environment()
    paths = request_paths(request_path)
    here = probe(paths)
    found = process_findings("this process", here, here)
    found += api_findings(api_url)
    address = os.environ.get("CLEARANCE_DASK_ADDRESS")
    if address:
        found += dask_findings(address, paths, here)
    return found
