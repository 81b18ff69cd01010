"""Append-only, hash-chained audit log (JSON lines).

Each entry carries the SHA-256 of the previous line, so an edit or a deletion anywhere
breaks the chain from that point on. The chain's head (the hash of the last line and the
number of entries) is kept beside the log in ``<log>.head``, rewritten with every append:
an edit or a deletion of the last entries, which no later line points at, shows there.
Entries hold event names, counts, pseudonymous IDs and reason codes only — never
identifying values.

Limit: the head sits beside the log, so whoever can write the log's folder can rewrite the
last entries and the head together (or truncate both) and the pair still verifies; the
hashes are not keyed. Against that attacker, keep a copy of the head where they cannot
write (write-once storage, the DPO's records) and verify with it (``verify(log, anchor=
copy)``, ``clearance audit verify PATH --anchor COPY``): the log must still begin with the
entries that copy counts, unchanged. Entries appended after the copy was taken are covered
by the head beside the log only.
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
        count = 0
        for line in handle:
            if line.strip():
                previous = _line_hash(line.rstrip("\n"))
                count += 1
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "event": event,
            **fields,
            "prev": previous,
        }
        line = json.dumps(entry, sort_keys=True, default=str)
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())
        _write_head(head_path(log_path), count + 1, _line_hash(line))
        fcntl.flock(handle, fcntl.LOCK_UN)
    return entry


def head_path(log_path: Path) -> Path:
    return log_path.with_name(log_path.name + ".head")


def _write_head(path: Path, entries: int, head: str) -> None:
    temp = path.with_name(path.name + ".tmp")
    with open(temp, "w", encoding="utf-8") as handle:
        handle.write(json.dumps({"entries": entries, "head": head}) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def resolve_log(path: Path) -> Path:
    """The audit log a user means: the file itself, or the one inside a workspace folder
    (``<workspace>/<request_id>/audit/audit.jsonl``) or its ``audit`` folder."""
    path = Path(path)
    if path.is_dir():
        for candidate in (path / "audit" / "audit.jsonl", path / "audit.jsonl"):
            if candidate.is_file():
                return candidate
    return path


def verify(log_path: Path, anchor: Path | None = None) -> tuple[bool, int, str]:
    """Return (intact, entries checked, message). Detects edits, deletions and reordering,
    of the last entries too (against the head kept beside the log). With ``anchor``, a copy
    of an earlier head kept out of reach of whoever can write the log, the log must also
    begin with the entries that copy counts, unchanged."""
    log_path = resolve_log(log_path)
    if not log_path.is_file():
        return False, 0, f"no audit log at {log_path}"
    previous = GENESIS
    count = 0
    chain = [GENESIS]  # chain[n]: the hash of the n-th entry
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
                where = f"line {number - 1} was changed" if number > 1 else "the first line"
                return False, count, f"chain broken: {where}, or a line before {number} removed"
            previous = _line_hash(line)
            chain.append(previous)
            count += 1
    head = head_path(log_path)
    if not head.is_file():
        return False, count, f"{count} entries chained, but the head anchor {head.name} is missing"
    problem = _anchor_problem(head, chain, exact=True)
    if problem:
        return False, count, problem
    if anchor is not None:
        problem = _anchor_problem(Path(anchor), chain, exact=False)
        if problem:
            return False, count, problem
        return True, count, f"{count} entries, chain intact, the anchor's entries unchanged"
    return True, count, f"{count} entries, chain intact"


def _anchor_problem(anchor: Path, chain: list[str], exact: bool) -> str | None:
    """Why the log (``chain``: its entries' hashes after GENESIS) does not match the head
    in ``anchor``: the last entry (``exact``), or an entry the log must still hold."""
    count = len(chain) - 1
    try:
        recorded = json.loads(anchor.read_text(encoding="utf-8"))
        entries, head = int(recorded["entries"]), str(recorded["head"])
    except FileNotFoundError:
        return f"the head anchor {anchor.name} is missing"
    except (OSError, ValueError, TypeError, KeyError):
        return f"the head anchor {anchor.name} is not a valid head"
    if exact and (entries != count or head != chain[-1]):
        return (
            f"the last entries were changed or removed: the log has {count} entries, "
            f"the head anchor records {entries}"
        )
    if not exact and (entries > count or entries < 0 or head != chain[entries]):
        return (
            f"entries the anchor {anchor.name} records were changed or removed: it records "
            f"{entries} entries, the log has {count}"
        )
    return None


def read(log_path: Path) -> list[dict[str, Any]]:
    if not log_path.exists():
        return []
    with open(log_path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
