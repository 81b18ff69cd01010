"""Retention: delete releases and workspaces past their date (dry-run by default).

A release's retention is ``{"until": "YYYY-MM-DD"}`` (kept through that day) or
``{"years_after_last_publication": N}`` (counted from the last recorded publication; none
recorded -> kept). Anything else, or no retention, is never purged.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from tasks.errors import ClearanceError
from tasks.rights.manifest import MANIFEST
from tasks.rights.releases import ReleaseRecord, releases
from tasks.rights.store import audit_rights
from tasks.workspace import Workspace

REQUEST_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


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


def purge(base: Path, today: date, apply: bool = False) -> list[PurgeAction]:
    """Releases and workspaces past their retention. A workspace goes only when every
    release of its request is past retention. Applied deletions are audited."""
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
    if apply and actions:
        audit_rights(
            base,
            "rights.purge",
            deleted=[[a.request_id, a.target] for a in actions if a.applied],
            skipped=[[a.request_id, a.target, a.skipped] for a in actions if a.skipped],
        )
    return actions


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
