"""Publish: copy the approved staging area to the destination atomically.

The release is assembled in a temporary sibling folder, checksummed (MANIFEST.sha256, with
release-relative names only) and renamed into place, so the destination either does not
exist or holds the complete release. An existing non-empty destination is never touched.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from tasks.errors import ClearanceError


class DestinationNotEmpty(ClearanceError):
    pass


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def publish(staging: Path, destination: Path) -> dict[str, int]:
    destination = Path(destination)
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise DestinationNotEmpty("destination already exists and is not empty: nothing written")
    destination.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=destination.parent, prefix=f".{destination.name}.publishing-"))
    try:
        lines = []
        total = 0
        for source in sorted(p for p in staging.rglob("*") if p.is_file()):
            relative = source.relative_to(staging)
            target = temp / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            lines.append(f"{sha256_file(target)}  {relative.as_posix()}")
            total += target.stat().st_size
        (temp / "MANIFEST.sha256").write_text("\n".join(lines) + "\n", encoding="utf-8")
        for path in [temp, *temp.rglob("*")]:
            if path.is_file():
                with open(path, "rb") as handle:
                    os.fsync(handle.fileno())
        os.rename(temp, destination)  # atomic; replaces an empty destination folder
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return {"files": len(lines), "bytes": total}


def verify_release(destination: Path) -> tuple[bool, int]:
    """Re-hash every released file against MANIFEST.sha256."""
    manifest = destination / "MANIFEST.sha256"
    count = 0
    for line in manifest.read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        if sha256_file(destination / name) != digest:
            return False, count
        count += 1
    return True, count
