"""`clearance push RELEASE_OR_REQUEST`: finish or repeat the push of an approved release.

RELEASE_OR_REQUEST is the release request file, or the flow run id that released it (its
``request_path`` parameter names the request). Only what the research PACS lacks is sent
(it is queried first, and again afterwards); the outcome is audited in the request's
workspace and becomes its push state, which `clearance status` and `approve` print.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("push", help="finish or repeat the push of an approved release")
    p.add_argument("target", metavar="RELEASE_OR_REQUEST", help="request file or flow run id")


def _request_path(target: str) -> str:
    if Path(target).is_file():
        return str(Path(target).resolve())
    if UUID.match(target):
        from uuid import UUID as Uuid

        from prefect.client.orchestration import get_client

        from flows.cli import stack

        stack.configure_environment()
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(Uuid(target))
        path = (run.parameters or {}).get("request_path")
        if path:
            return str(path)
    raise SystemExit(f"{target}: neither a request file nor a release's flow run id")


def run(args: argparse.Namespace) -> int:
    from tasks.config.request import load_request
    from tasks.publish.push_release import describe, push_approved_release
    from tasks.runtime.workspace import Workspace

    request = load_request(_request_path(args.target))
    ws = Workspace(request.workspace, request.request_id)
    lock = ws.hold_run_lock()  # noqa: F841 - no run of this request meanwhile
    state = push_approved_release(ws, request, by="clearance push")
    print(describe(state))
    if state["state"] != "complete":
        print("see PUSH_MANIFEST.csv in the release; run clearance push again", file=sys.stderr)
        return 1
    return 0


def summary_for_run(run: Any) -> str | None:
    """The push state of the request a flow run released ("released, push incomplete: ..."),
    or None when its request names no push destination or nothing was released."""
    from tasks.config.errors import ClearanceError
    from tasks.config.request import load_request
    from tasks.publish.push_release import describe, push_state
    from tasks.runtime import audit
    from tasks.runtime.workspace import Workspace

    path = (getattr(run, "parameters", None) or {}).get("request_path")
    try:
        request = load_request(path) if path else None
    except ClearanceError:
        return None
    if request is None or request.push is None:
        return None
    ws = Workspace(request.workspace, request.request_id)
    state = push_state(ws)
    if state is None:
        log = ws.audit_log
        released = log.exists() and any(e.get("event") == "released" for e in audit.read(log))
        return describe(None) if released else None
    return describe(state)
