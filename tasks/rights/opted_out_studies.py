"""The studies of patients who objected, known by their accession numbers, so that their
reports and clinical rows are recorded as opt-outs (not copied, not mistaken for junk).

Ingest excludes an opted-out patient's DICOM files without copying them; the accession
numbers are read back from those inputs, where they still are, when a report or a clinical
row matches no released study. Cached per workspace state.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import pydicom

from tasks.runtime.workspace import Workspace

OPTED_OUT = "ingest.opted_out"
_lock = threading.Lock()
_cache: dict[str, tuple[int, frozenset[str]]] = {}


def opted_out_accessions(ws: Workspace) -> frozenset[str]:
    folder = ws.quarantine_dir
    stamp = folder.stat().st_mtime_ns if folder.exists() else -1
    with _lock:
        cached = _cache.get(str(ws.root))
        if cached is not None and cached[0] == stamp:
            return cached[1]
    wanted = {item_id for item_id, data in ws.quarantine_reasons().items()
              if data.get("reason") == OPTED_OUT}  # fmt: skip
    found = frozenset(
        accession
        for item in ws.items()
        if item.item_id in wanted and (accession := _accession(Path(item.source)))
    )
    with _lock:
        _cache[str(ws.root)] = (stamp, found)
    return found


def _accession(path: Path) -> str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom's warnings quote values
            ds = pydicom.dcmread(path, stop_before_pixels=True, force=True,
                                 specific_tags=["AccessionNumber"])  # fmt: skip
        return str(ds.get("AccessionNumber", "") or "").strip()
    except Exception:  # the input was readable at ingest; if not now, it matches nothing
        return ""
