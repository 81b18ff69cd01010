"""Which study a report or a clinical row belongs to: the PHI records of the workspace,
indexed by original AccessionNumber, cached per process (workspace root + phi folder mtime)."""

from __future__ import annotations

import threading

from tasks.config.phi import PhiRecord, study_index
from tasks.runtime.workspace import Workspace

_lock = threading.Lock()
_cache: dict[str, tuple[int, dict[str, PhiRecord]]] = {}


def studies(ws: Workspace, key: bytes) -> dict[str, PhiRecord]:
    """``key``: the request's pseudonymisation key (the sidecars are sealed with it)."""
    folder = ws.work / "phi"
    stamp = folder.stat().st_mtime_ns if folder.exists() else -1
    where = str(ws.root)
    with _lock:
        cached = _cache.get(where)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    index = study_index(ws, key)
    with _lock:
        _cache[where] = (stamp, index)
    return index


def known_groups(record: PhiRecord) -> dict[str, list[str]]:
    """The study's identifying values, grouped for exact matching."""
    groups = {group: list(values) for group, values in record.identifiers.items()}
    ids = groups.setdefault("ids", [])
    for value in (record.patient_id, record.accession, record.issuer, record.study_uid):
        if value and value not in ids:
            ids.append(value)
    if record.birth_date:
        groups.setdefault("dates", []).append(record.birth_date)
    return groups
