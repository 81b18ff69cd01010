"""Rewrite a release's MANIFEST.sha256 after files were removed or changed."""

from __future__ import annotations

from pathlib import Path

from tasks.runtime import atomic

MANIFEST = "MANIFEST.sha256"


def rewritten_manifest(release: Path, removed: set[str], new_digests: dict[str, str]) -> bool:
    """Drop the lines of ``removed`` names, replace the digests of ``new_digests``; every other
    line is kept as is. False when the release has no manifest (nothing written)."""
    path = release / MANIFEST
    if not path.is_file():
        return False
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        digest, name = line.split("  ", 1)
        if name in removed:
            continue
        lines.append(f"{new_digests[name]}  {name}" if name in new_digests else line)
    atomic.write_text(path, "\n".join(lines) + "\n" if lines else "")
    return True
