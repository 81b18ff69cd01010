"""Ingest, first pass: every input file indexed and batched; nothing is skipped silently.

``index_inputs`` lists the request's inputs (DICOM tree, reports folder, clinical CSV) into
the workspace index, quarantines what fails the cheap pre-checks (links, special files,
empty or oversized files, unlistable folders) and splits the rest into batches.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tasks.config.request import ReleaseRequest
from tasks.runtime.workspace import Item, ItemResult, Workspace

INGEST = "ingest"
MAX_FILE_BYTES = 4 * 1024**3  # larger than any sane instance: refuse before reading


def walk_files(root: Path) -> list[tuple[Path, str | None]]:
    """Every entry under ``root`` that is not a directory, sorted, with a pre-check reason.

    Symbolic links are never followed (a link may point outside the input tree or loop);
    they are accounted for as quarantined inputs, and so is a folder that cannot be listed.
    """
    found: list[tuple[Path, str | None]] = []

    def unlistable(error: OSError) -> None:
        # a folder that cannot be listed (permissions, I/O error) would hide its files from
        # the manifest: it is accounted for as one quarantined input
        if error.filename and Path(error.filename) != root:
            found.append((Path(error.filename), "ingest.unreadable_folder"))

    for folder, dirs, files in os.walk(root, followlinks=False, onerror=unlistable):
        base = Path(folder)
        for name in list(dirs):
            if (base / name).is_symlink():
                found.append((base / name, "ingest.symlink"))
        dirs[:] = sorted(d for d in dirs if not (base / d).is_symlink())
        for name in sorted(files):
            path = base / name
            found.append((path, _precheck(path)))
    found.sort(key=lambda pair: str(pair[0]))
    return found


def _precheck(path: Path) -> str | None:
    try:
        info = path.lstat()
    except OSError:
        return "ingest.unreadable"
    if stat.S_ISLNK(info.st_mode):
        return "ingest.symlink"
    if not stat.S_ISREG(info.st_mode):
        return "ingest.not_a_regular_file"
    if info.st_size == 0:
        return "ingest.empty_file"
    if info.st_size > MAX_FILE_BYTES:
        return "ingest.too_large"
    if not os.access(path, os.R_OK):
        return "ingest.unreadable"
    return None


def dicom_root(ws: Workspace, request: ReleaseRequest) -> Path:
    """The DICOM tree to ingest: the request's folder, or what was retrieved from its PACS."""
    source = request.inputs.dicom
    return source if isinstance(source, Path) else ws.root / "retrieved"


def index_inputs(
    ws: Workspace, request: ReleaseRequest, batch_size: int, parallelism: int = 1
) -> dict[str, int]:
    """Index all inputs; quarantine what fails the pre-checks; write batches. Counts only."""
    items: list[Item] = []
    prechecked: dict[str, str] = {}

    def add(kind: str, prefix: str, path: Path, reason: str | None) -> None:
        item = Item(f"{prefix}{len(items):06d}", kind, str(path))
        items.append(item)
        if reason:
            prechecked[item.item_id] = reason

    for path, reason in walk_files(dicom_root(ws, request)):
        add("dicom", "d", path, reason)
    if request.inputs.reports:
        for path, reason in walk_files(request.inputs.reports):
            if reason is None and path.suffix.lower() != ".txt":
                reason = "ingest.not_a_report"
            add("report", "r", path, reason)
    if request.inputs.clinical:
        add("clinical", "c", request.inputs.clinical, _precheck(request.inputs.clinical))

    ws.write_index(items)
    counts: dict[str, int] = {"inputs": len(items)}
    for kind in ("dicom", "report", "clinical"):
        kind_items = [i for i in items if i.kind == kind]
        counts[f"{kind}_inputs"] = len(kind_items)
        for item in kind_items:
            if item.item_id in prechecked:
                ws.quarantine(item, INGEST, prechecked[item.item_id])
        alive = [i.item_id for i in kind_items if i.item_id not in prechecked]
        batches = ws.write_batches(kind, alive, _batch_size(len(alive), batch_size, parallelism))
        by_id = {i.item_id: i for i in kind_items}
        for batch in batches:
            if kind != "dicom":  # reports and clinical files need no recognition pass
                ids = ws.batch_ids(batch)
                ws.write_results(INGEST, batch, [ItemResult(i, True, by_id[i].source) for i in ids])
        counts[f"{kind}_batches"] = len(batches)
    counts["quarantined"] = len(prechecked)
    return counts


def _batch_size(files: int, largest: int, parallelism: int) -> int:
    """Enough batches to keep every worker busy, none larger than ``largest`` files, and
    none so small that per-task overhead dominates."""
    smallest = 10
    return max(1, min(largest, max(smallest, -(-files // max(1, 2 * parallelism)))))
