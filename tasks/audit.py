"""Append-only, hash-chained audit log (JSON lines).

Each entry carries the SHA-256 of the previous line, so an edit or a deletion anywhere
breaks the chain from that point on. Entries hold event names, counts, pseudonymous IDs
and reason codes only — never identifying values.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


def _line_hash(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def append(log_path: Path, event: str, **fields: Any) -> dict[str, Any]:
    """Append one event; safe across processes (exclusive file lock)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        previous = GENESIS
        for line in handle:
            if line.strip():
                previous = _line_hash(line.rstrip("\n"))
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "event": event,
            **fields,
            "prev": previous,
        }
        handle.write(json.dumps(entry, sort_keys=True, default=str) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
        fcntl.flock(handle, fcntl.LOCK_UN)
    return entry


def verify(log_path: Path) -> tuple[bool, int, str]:
    """Return (intact, entries checked, message). Detects edits, deletions and reordering."""
    if not log_path.exists():
        return False, 0, f"no audit log at {log_path}"
    previous = GENESIS
    count = 0
    with open(log_path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\n")
            if not line:
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                return False, count, f"line {number} is not valid JSON"
            if entry.get("prev") != previous:
                return False, count, f"chain broken at line {number}"
            previous = _line_hash(line)
            count += 1
    return True, count, f"{count} entries, chain intact"


def read(log_path: Path) -> list[dict[str, Any]]:
    if not log_path.exists():
        return []
    with open(log_path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
