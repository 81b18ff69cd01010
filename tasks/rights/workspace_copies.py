"""A patient's intermediate copies inside a request's workspace.

Stage outputs stay in ``work/<stage>/<item_id>.<ext>`` (e.g. the header stage's output,
whose pixels still hold burned-in text, once the pixel stage has written its own) and
rejected originals in ``quarantine/<item_id><suffix>``; tasks.rights.workspace_records says
which item ids are the patient's. Reason files, results, batches and sidecars are kept here.
"""

from __future__ import annotations

from pathlib import Path

KEPT_WORK_DIRS = {"phi", "batches"}


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
