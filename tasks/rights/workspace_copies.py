"""A patient's intermediate copies inside a request's workspace.

Stage outputs stay in ``work/<stage>/<item_id>.<ext>`` (e.g. the header stage's output,
whose pixels still hold burned-in text, once the pixel stage has written its own) and
rejected originals in ``quarantine/<item_id><suffix>``. The PHI sidecars say which item ids
are the patient's. Reason files, results, batches and the sidecars themselves are kept.
"""

from __future__ import annotations

import json
from pathlib import Path

from tasks.rights.pseudonym import issuers_compatible

KEPT_WORK_DIRS = {"phi", "batches"}


def patient_items(workspace_root: Path, pseudonym: str, issuer: str) -> set[str]:
    folder = workspace_root / "work" / "phi"
    items = set()
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("pseudo_patient_id") == pseudonym and issuers_compatible(
            data.get("issuer", ""), issuer
        ):
            items.add(path.stem)
    return items


def intermediate_files(workspace_root: Path, items: set[str]) -> list[Path]:
    if not items:
        return []
    found = []
    work = workspace_root / "work"
    stage_dirs = [d for d in sorted(work.iterdir()) if d.is_dir() and d.name not in KEPT_WORK_DIRS]
    for folder in [*stage_dirs, workspace_root / "quarantine"]:
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in sorted(folder.iterdir()):
            if not (path.is_file() or path.is_symlink()) or path.name.endswith(".reason.json"):
                continue
            if path.name.split(".", 1)[0] in items and not path.name.endswith(".rows.csv"):
                found.append(path)
    return found
