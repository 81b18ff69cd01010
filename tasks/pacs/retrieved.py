"""The raw studies retrieved from a PACS into the workspace, from fetch to removal.

``<workspace>/<request_id>/retrieved/`` holds the instances as the PACS sent them: the
inputs of ingest, headers, pixels and conformance, and nothing later. They are removed as
soon as the candidate is built (and when a run fails or crashes), so no identifying original
outlives candidate building.

Every run that builds a candidate queries the source again. What the source lists is
compared with what the previous retrieval listed (SHA-256 of each SOP Instance UID, kept in
``retrieved-listing.json``) and the difference is audited as counts (instances added,
removed, unchanged). A run resumed after a crash reuses an intact earlier fetch only when
the source still lists exactly the same instances; otherwise the studies are fetched again
and the earlier candidate work (per-batch results, staging, quarantine) is discarded, since
its item ids refer to files of the earlier fetch.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from tasks.pacs.retrieve import query, retrieve
from tasks.pacs.spec import PacsSource
from tasks.runtime import atomic
from tasks.runtime.workspace import Workspace

FOLDER = "retrieved"
COUNTS = "retrieved.json"
LISTING = "retrieved-listing.json"


def fetch(ws: Workspace, source: PacsSource) -> dict[str, int]:
    """Query the source, fetch its studies unless an intact fetch of the same listing is
    there, and return counts (retrieve counts plus what changed since the last listing)."""
    target, done, listing = ws.root / FOLDER, ws.root / COUNTS, ws.root / LISTING
    _, expected = query(source)
    current = sorted({hashlib.sha256(e.sop_uid.encode()).hexdigest() for e in expected})
    previous = json.loads(listing.read_text(encoding="utf-8")) if listing.is_file() else None
    changes = _changes(previous, current)
    if changes is not None:
        ws.audit("source_requeried", **changes)
    if previous == current and done.is_file() and target.is_dir():
        return {**json.loads(done.read_text(encoding="utf-8")), **(changes or {})}
    if target.exists() or done.exists():  # an earlier fetch: its candidate work is stale
        _discard_candidate_work(ws)
    done.unlink(missing_ok=True)
    report = retrieve(source, target)
    counts = {
        "studies_found": report.studies_found,
        "studies_not_found": report.studies_not_found,
        "instances_expected": report.instances_expected,
        "instances_received": report.instances_received,
        "instances_missing": report.missing,
    }
    atomic.write_json(listing, current)
    atomic.write_json(done, counts)
    ws.audit("retrieved_from_pacs", **counts)
    return {**counts, **(changes or {})}


def _changes(previous: list[str] | None, current: list[str]) -> dict[str, int] | None:
    if previous is None:
        return None
    before, now = set(previous), set(current)
    return {
        "instances_added": len(now - before),
        "instances_removed": len(before - now),
        "instances_unchanged": len(now & before),
    }


def _discard_candidate_work(ws: Workspace) -> None:
    shutil.rmtree(ws.root / FOLDER, ignore_errors=True)
    for folder in (ws.work, ws.staging, ws.quarantine_dir):
        shutil.rmtree(folder, ignore_errors=True)
    ws.create()


def remove(ws: Workspace) -> int:
    """Delete the raw retrieved studies (the candidate is built, or the run ended); returns
    the number of files removed and audits it. Kept: the listing (hashes) and the counts."""
    target = ws.root / FOLDER
    if not target.exists():
        return 0
    files = sum(1 for p in target.rglob("*") if p.is_file())
    shutil.rmtree(target)
    ws.audit("retrieved_removed", files=files)
    return files


def remove_for_request(request: Any) -> int:
    """``remove`` for a request whose inputs come from a PACS (0 for a folder source)."""
    if isinstance(request.inputs.dicom, Path):
        return 0
    return remove(Workspace(request.workspace, request.request_id))
