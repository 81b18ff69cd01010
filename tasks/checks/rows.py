"""The per-file part of the checks: each staged DICOM file's header read into the columns of
the instances table, in parts that separate processes read (the release flow runs one task
per part on its task runner). The checks stage joins the parts; a join that does not cover
exactly the files staged now (a part missing, staging changed since) is refused, and the
checks then read every file themselves: the tables are the same either way.

Parts are kept in the workspace (``work/check-rows/<name>.json``): released values only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tasks.checks.run import check_settings
from tasks.checks.tables import instance_columns, staged_dicom_files, wanted_attributes
from tasks.config.profile import ReleaseProfile
from tasks.runtime import atomic
from tasks.runtime.workspace import Workspace

FOLDER = "check-rows"


def part_files(files: list[str], part: int, parts: int) -> list[str]:
    """The ``part``-th of ``parts`` contiguous slices of ``files`` (sizes differ by ≤ 1)."""
    size, extra = divmod(len(files), parts)
    start = part * size + min(part, extra)
    return files[start : start + size + (part < extra)]


def _path(ws: Workspace, name: str) -> Path:
    return ws.work / FOLDER / f"{name}.json"


def read_part(ws: Workspace, profile: ReleaseProfile, name: str, names: list[str]) -> int:
    """Read the headers of part ``name`` (one of ``names``, in order) of the staged files;
    returns how many files it read."""
    checks, policy = check_settings(profile)
    files = part_files(staged_dicom_files(ws.staging), names.index(name), len(names))
    wanted = tuple(sorted(wanted_attributes(checks)))
    prefix = str(ws.staging / "dicom") + os.sep
    columns = instance_columns(files, wanted, prefix, policy)
    atomic.write_text(_path(ws, name), json.dumps({"files": files, "columns": columns}))
    return len(files)


def joined(ws: Workspace, names: list[str]) -> dict[str, list[object]] | None:
    """The columns of every part, in order, if they cover exactly the files staged now."""
    files: list[str] = []
    columns: dict[str, list[object]] = {}
    for name in names:
        try:
            part = json.loads(_path(ws, name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        files += part["files"]
        for column, values in part["columns"].items():
            columns.setdefault(column, []).extend(values)
    if not names or files != staged_dicom_files(ws.staging):
        return None
    if any(len(values) != len(files) for values in columns.values()):
        return None
    return columns
