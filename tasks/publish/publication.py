"""Publish: copy the approved staging area to the destination atomically.

The release is assembled in a temporary sibling folder, checksummed (MANIFEST.sha256, with
release-relative names only) and renamed into place, so the destination either does not
exist or holds the complete release. An existing non-empty destination is never touched.

The candidate is sealed when the DPO gate opens: its digest is the SHA-256 of the
MANIFEST.sha256 text the staging tree would produce. Publishing re-hashes the copied bytes
and refuses (nothing written) when the digest differs from the one the DPO approved, so a
file changed, added or removed in staging while the gate was open is never released under
the DPO's signature, and the released MANIFEST.sha256 hashes to the approved digest.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from tasks.config.errors import ClearanceError


class DestinationNotEmpty(ClearanceError):
    pass


class CandidateChanged(ClearanceError):
    """Staging differs from the candidate the DPO approved: nothing is published."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def destination_in_use(destination: Path) -> bool:
    """A destination is free when absent or an empty folder; anything else is never touched."""
    destination = Path(destination)
    return destination.exists() and (not destination.is_dir() or any(destination.iterdir()))


def manifest_line(path: Path, relative: Path) -> str:
    return f"{sha256_file(path)}  {relative.as_posix()}"


def manifest_text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def candidate_digest(staging: Path) -> str:
    """The seal of a candidate release: SHA-256 of the MANIFEST.sha256 it would publish."""
    files = sorted(p for p in Path(staging).rglob("*") if p.is_file())
    lines = [manifest_line(path, path.relative_to(staging)) for path in files]
    return hashlib.sha256(manifest_text(lines).encode("utf-8")).hexdigest()


def publish(staging: Path, destination: Path, sealed_digest: str | None = None) -> dict[str, int]:
    """Copy ``staging`` to ``destination``; with ``sealed_digest``, only if the copied bytes
    are exactly the sealed candidate (else CandidateChanged, nothing written)."""
    destination = Path(destination)
    if destination_in_use(destination):
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
            lines.append(manifest_line(target, relative))
            total += target.stat().st_size
        manifest = manifest_text(lines)
        if sealed_digest is not None:
            if hashlib.sha256(manifest.encode("utf-8")).hexdigest() != sealed_digest:
                raise CandidateChanged(
                    "staging differs from the approved candidate: nothing written"
                )
        (temp / "MANIFEST.sha256").write_text(manifest, encoding="utf-8")
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
