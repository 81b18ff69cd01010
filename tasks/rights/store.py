"""File names under the secure workspace root and the rights audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tasks.runtime import audit

REGISTRY_FILE = "optout-registry.csv"
RELEASES_FILE = "releases.jsonl"
AUDIT_FILE = "rights-audit.jsonl"


def audit_rights(base: Path, event: str, **fields: Any) -> dict[str, Any]:
    """Append to ``<base>/rights-audit.jsonl`` (hash-chained): counts and release ids only."""
    return audit.append(Path(base) / AUDIT_FILE, event, **fields)
