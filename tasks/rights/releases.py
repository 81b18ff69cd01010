"""The record of what was released: ``<base>/releases.jsonl``, one JSON object a line.

``{"type": "release", ...}`` lines are written right after publish; ``{"type":
"publication", ...}`` lines record a publication date (retention ``years_after_last_
publication`` counts from the last one). Appends are locked and fsynced.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from tasks.rights.store import RELEASES_FILE


@dataclass(frozen=True)
class ReleaseRecord:
    request_id: str
    purpose: str
    destination: Path
    files: int
    released_on: date
    retention: dict[str, Any] | None
    last_published_on: date | None = None  # latest recorded publication of this request
    pseudonym_domain: str | None = None  # None: released before pseudonym domains


def record_release(
    base: Path,
    request_id: str,
    purpose: str,
    destination: Path,
    files: int,
    released_on: date | None = None,
    retention: dict | None = None,
    pseudonym_domain: str | None = None,
) -> None:
    _append(
        base,
        {
            "type": "release",
            "pseudonym_domain": pseudonym_domain,
            "request_id": request_id,
            "purpose": purpose,
            "destination": str(Path(destination).resolve()),
            "files": int(files),
            "released_on": (released_on or date.today()).isoformat(),
            "retention": _plain(retention),
        },
    )


def record_publication(base: Path, request_id: str, published_on: date) -> None:
    """A publication based on the release (retention may count from the last one)."""
    _append(
        base,
        {"type": "publication", "request_id": request_id, "published_on": published_on.isoformat()},
    )


def releases(base: Path) -> list[ReleaseRecord]:
    """Every recorded release, oldest first, with its request's last publication date."""
    lines = _read(base)
    published: dict[str, date] = {}
    for line in lines:
        if line.get("type") == "publication":
            when = date.fromisoformat(line["published_on"])
            rid = line["request_id"]
            published[rid] = max(when, published.get(rid, when))
    return [
        ReleaseRecord(
            request_id=line["request_id"],
            purpose=line.get("purpose", ""),
            destination=Path(line["destination"]),
            files=int(line.get("files", 0)),
            released_on=date.fromisoformat(line["released_on"]),
            retention=line.get("retention"),
            last_published_on=published.get(line["request_id"]),
            pseudonym_domain=line.get("pseudonym_domain"),
        )
        for line in lines
        if line.get("type") == "release"
    ]


def _plain(retention: dict | None) -> dict[str, Any] | None:
    if retention is None:
        return None
    return {
        str(k): (v.isoformat() if isinstance(v, date) else v) for k, v in dict(retention).items()
    }


def _append(base: Path, entry: dict[str, Any]) -> None:
    path = Path(base) / RELEASES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(json.dumps(entry, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
        fcntl.flock(handle, fcntl.LOCK_UN)


def _read(base: Path) -> list[dict[str, Any]]:
    path = Path(base) / RELEASES_FILE
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
