"""Retention: delete releases and workspaces past their date (dry-run by default).

A release's retention is ``{"until": "YYYY-MM-DD"}`` (kept through that day) or
``{"years_after_last_publication": N}`` (counted from the last recorded publication; none
recorded -> kept). Anything else, or no retention, is never purged.

A workspace that never released (its run failed, was rejected or timed out at the gate)
still holds a full candidate and the clear originals of its quarantine: it expires
``UNRELEASED_WORKSPACE_DAYS`` days after its last audit entry (`purge --unreleased-days`).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tasks.config.errors import ClearanceError
from tasks.rights.manifest import MANIFEST
from tasks.rights.releases import ReleaseRecord, releases
from tasks.rights.store import audit_rights
from tasks.runtime import audit
from tasks.runtime.workspace import Workspace

REQUEST_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
UNRELEASED_WORKSPACE_DAYS = 90


@dataclass(frozen=True)
class Retention:
    until: date | None = None
    years_after_last_publication: int | None = None


@dataclass(frozen=True)
class PurgeAction:
    request_id: str
    target: str  # "release" | "workspace"
    path: Path
    expired_on: date  # the last day it was to be kept
    applied: bool = False
    skipped: str | None = None  # why it was not deleted (reason code)


def parse_retention(value: Any) -> Retention | None:
    """A retention mapping -> Retention; None when absent or not understood. Keys whose
    value is null are ignored (a serialised request model writes the unused one as null)."""
    if isinstance(value, dict):
        value = {name: raw for name, raw in value.items() if raw is not None}
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((name, raw),) = value.items()
    try:
        if name == "until":
            return Retention(until=raw if isinstance(raw, date) else date.fromisoformat(str(raw)))
        if name == "years_after_last_publication" and not isinstance(raw, bool):
            years = int(raw)
            return Retention(years_after_last_publication=years) if years >= 0 else None
    except (TypeError, ValueError):
        return None
    return None


def expires_on(record: ReleaseRecord) -> date | None:
    """The last day the release is kept; None: kept (unknown, or no publication yet)."""
    retention = parse_retention(record.retention)
    if retention is None:
        return None
    if retention.until is not None:
        return retention.until
    if record.last_published_on is None or retention.years_after_last_publication is None:
        return None
    return _add_years(record.last_published_on, retention.years_after_last_publication)


def purge(
    base: Path,
    today: date,
    apply: bool = False,
    unreleased_days: int = UNRELEASED_WORKSPACE_DAYS,
) -> list[PurgeAction]:
    """Releases and workspaces past their retention. A workspace goes only when every
    release of its request is past retention; one that never released, ``unreleased_days``
    after its last activity. Applied deletions are audited."""
    base = Path(base)
    by_request: dict[str, list[tuple[ReleaseRecord, date | None]]] = {}
    for record in releases(base):
        by_request.setdefault(record.request_id, []).append((record, expires_on(record)))
    actions: list[PurgeAction] = []
    for request_id, entries in by_request.items():
        expiries = [e for _, e in entries]
        for record, expiry in entries:
            if expiry is not None and today > expiry and record.destination.exists():
                actions.append(_release(record, expiry, apply))
        workspace = base / request_id
        if (
            all(e is not None and today > e for e in expiries)
            and REQUEST_ID.match(request_id)
            and (workspace.exists() or workspace.is_symlink())
        ):
            expiry = max(e for e in expiries if e is not None)
            actions.append(_workspace(base, request_id, expiry, apply))
    for request_id, last_active in unreleased_workspaces(base, set(by_request)).items():
        expiry = date.fromordinal(last_active.toordinal() + unreleased_days)
        if today > expiry:
            actions.append(_workspace(base, request_id, expiry, apply))
    if apply and actions:
        audit_rights(
            base,
            "rights.purge",
            deleted=[[a.request_id, a.target] for a in actions if a.applied],
            skipped=[[a.request_id, a.target, a.skipped] for a in actions if a.skipped],
        )
    return actions


def unreleased_workspaces(base: Path, released: set[str]) -> dict[str, date]:
    """Workspaces under ``base`` of requests with no recorded release -> the day of their
    last audit entry (a folder without an audit log is not a workspace: never touched)."""
    found: dict[str, date] = {}
    for folder in sorted(base.iterdir()) if base.is_dir() else []:
        log = folder / "audit" / "audit.jsonl"
        if folder.name in released or not REQUEST_ID.match(folder.name) or folder.is_symlink():
            continue
        if not log.is_file():
            continue
        entries = audit.read(log)
        stamp = entries[-1].get("time") if entries else None
        found[folder.name] = (
            datetime.fromisoformat(stamp).date()
            if stamp
            else datetime.fromtimestamp(log.stat().st_mtime, UTC).date()
        )
    return found


def _release(record: ReleaseRecord, expiry: date, apply: bool) -> PurgeAction:
    path = record.destination
    action = PurgeAction(record.request_id, "release", path, expiry)
    if path.is_symlink() or not path.is_dir() or not (path / MANIFEST).is_file():
        return _skip(action, "purge.not_a_release")
    if not apply:
        return action
    shutil.rmtree(path)
    return _done(action)


def _workspace(base: Path, request_id: str, expiry: date, apply: bool) -> PurgeAction:
    path = base / request_id
    action = PurgeAction(request_id, "workspace", path, expiry)
    if path.is_symlink() or not path.is_dir():
        return _skip(action, "purge.not_a_workspace")
    if not apply:
        return action
    try:
        lock = Workspace(base, request_id).hold_run_lock()
    except ClearanceError:
        return _skip(action, "purge.run_in_progress")
    try:
        shutil.rmtree(path)
    finally:
        lock.close()
    return _done(action)


def _skip(action: PurgeAction, reason: str) -> PurgeAction:
    return replace(action, skipped=reason)


def _done(action: PurgeAction) -> PurgeAction:
    return replace(action, applied=True)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February -> 28 February
        return day.replace(year=day.year + years, day=28)
