"""Push an approved release to the request's research PACS, or finish an earlier push.

One code path for the flow's publish step and for ``clearance push``: the release must have
been published by this request (``released`` in its audit log) and still match its
MANIFEST.sha256; the destination is queried and only what it lacks is sent (tasks/pacs/push).
The outcome is audited (``pushed``: counts, and the SHA-256 of PUSH_MANIFEST.csv, so the
audit log and the push manifest can be checked against each other) and kept as the
request's push state in ``<workspace>/<request_id>/push.json``:
``complete`` or ``incomplete`` ("released, push incomplete" until a push completes it).
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from tasks.config.errors import ClearanceError
from tasks.pacs.push import MANIFEST_NAME, push
from tasks.publish.publication import verify_release
from tasks.runtime import atomic, audit
from tasks.runtime.workspace import Workspace

STATE_FILE = "push.json"


class NothingToPush(ClearanceError):
    """No approved, intact release of this request to push, or no push destination."""


class PushIncomplete(ClearanceError):
    """The destination does not hold the whole release: the run is released, push incomplete."""


def push_approved_release(ws: Workspace, request: Any, by: str) -> dict[str, Any]:
    """Send what the research PACS lacks of ``request``'s release; record and audit the
    outcome; return the push state (counts only)."""
    if request.push is None:
        raise NothingToPush(f"request '{request.request_id}' names no push destination")
    release = Path(request.destination)
    events = (
        {entry.get("event") for entry in audit.read(ws.audit_log)}
        if ws.audit_log.exists()
        else set()
    )
    if "released" not in events or not (release / "MANIFEST.sha256").is_file():
        raise NothingToPush(f"request '{request.request_id}' has no approved release to push")
    intact, _ = verify_release(release)
    if not intact:
        raise NothingToPush("the release no longer matches its MANIFEST.sha256: not pushed")
    report = push(release, request.push)
    manifest = release / MANIFEST_NAME
    state = {
        "state": "complete" if report.complete else "incomplete",
        "destination": report.destination,
        "files": report.files,
        "on_destination": report.on_destination,
        "sent": report.acknowledged,
        "already_present": report.already_present,
        "failed": report.failed,
        "verified": report.verified,
        "by": by,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    atomic.write_json(ws.root / STATE_FILE, state)
    ws.audit(
        "pushed",
        complete=report.complete,
        by=by,
        files=report.files,
        pushed=report.acknowledged,
        already_present=report.already_present,
        push_failed=report.failed,
        verified=report.verified,
        push_manifest_sha256=hashlib.sha256(manifest.read_bytes()).hexdigest(),
    )
    return state


def push_state(ws: Workspace) -> dict[str, Any] | None:
    """The last push's outcome for this request, or None (never pushed)."""
    path = ws.root / STATE_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def describe(state: dict[str, Any] | None) -> str:
    """One line for the DPO: 'released, push complete: 28 of 28 ...' (counts only)."""
    if state is None:
        return "released, not pushed yet"
    label = "push complete" if state["state"] == "complete" else "push incomplete"
    text = (
        f"released, {label}: {state['on_destination']} of {state['files']} instances on "
        f"{state['destination']} ({state['sent']} sent now, {state['already_present']} "
        f"already there, {state['failed']} failed"
    )
    text += ", checked by query)" if state.get("verified") else ", not checked by query)"
    return text


def incomplete_error(state: dict[str, Any], request_id: str) -> PushIncomplete:
    return PushIncomplete(
        describe(state) + f"; finish with: clearance push (the request file of {request_id}, "
        "or this run's id)"
    )
