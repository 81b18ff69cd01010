"""Assemble the candidate release: move each input's final output into staging/ under its
pseudonymous release name, then write the manifest that accounts for every input."""

from __future__ import annotations

import os
from pathlib import Path

from tasks.runtime.workspace import Workspace

ASSEMBLE = "assemble"


def assemble_staging(ws: Workspace, final_stages: dict[str, str]) -> dict[str, int]:
    """Move outputs of ``final_stages`` (kind -> last stage name) into staging.

    Two inputs claiming the same release name (the same instance twice in the input tree)
    keep the first; the others are quarantined as duplicates, never overwritten.
    """
    items = ws.items_by_id()
    released: dict[str, str] = {}
    taken: set[str] = set()
    for kind, stage in final_stages.items():
        for item_id, result in sorted(ws.all_results(stage).items()):
            if not result.ok or items[item_id].kind != kind:
                continue
            name = result.release_name
            if not name or not _is_safe_relative(name):
                ws.quarantine(items[item_id], ASSEMBLE, "assemble.no_release_name")
                continue
            if name in taken:
                ws.quarantine(items[item_id], ASSEMBLE, "assemble.duplicate_instance")
                continue
            taken.add(name)
            target = ws.staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            source = ws.absolute(result.path or "")
            if source.exists():
                os.replace(source, target)
            if not target.exists():  # neither produced now nor by an earlier run
                ws.quarantine(items[item_id], ASSEMBLE, "assemble.output_missing")
                taken.discard(name)
                continue
            released[item_id] = name
    _drop_stale(ws, set(released.values()))
    return ws.write_manifest(released)


def _is_safe_relative(name: str) -> bool:
    path = Path(name)
    return not path.is_absolute() and ".." not in path.parts and len(path.parts) >= 2


def _drop_stale(ws: Workspace, keep: set[str]) -> None:
    """Remove staged files no input claims (left by an interrupted earlier run)."""
    for path in list(ws.staging.rglob("*")):
        if path.is_file() and str(path.relative_to(ws.staging)) not in keep:
            path.unlink()
