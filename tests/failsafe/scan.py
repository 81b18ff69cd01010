"""What an attacker checks after a run: leaks in released files (the shared scanner,
tests/leak_scanner.py: every planted value in every spelling and encoding, raw bytes and
decoded elements), writes outside the workspace, links followed out of the input root.
Findings name files and the *index* of a planted value, never the value itself."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pydicom

from tests.leak_scanner import LeakScanner

__all__ = ["LeakScanner", "decoded_text", "snapshot"]  # one scanner for all tests

TEXT_VRS = {"AE", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UR"}
TEXT_VRS |= {"UT", "UI", "AS"}


def decoded_text(path: Path) -> str:
    """Every text value of the dataset, nested sequences included, as pydicom decodes it."""
    ds = pydicom.dcmread(path)
    parts: list[str] = []
    for element in ds.iterall():
        if element.VR in TEXT_VRS or element.tag.is_private:
            value = element.value
            if isinstance(value, bytes):
                parts.append(value.decode("latin-1"))
            elif value is not None:
                parts.append(str(value))
    return "\n".join(parts)


def snapshot(root: Path, skip: set[Path]) -> dict[str, tuple[int, int, str]]:
    """(mode, size, content hash or link target) of every entry under ``root`` except the
    folders in ``skip``, without following links and without opening FIFOs."""
    out: dict[str, tuple[int, int, str]] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder)
        dirs[:] = [d for d in dirs if base / d not in skip]
        for name in dirs + files:
            path = base / name
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                digest = os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                try:
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()
                except OSError:  # chmod 000 when not root
                    digest = f"unreadable {info.st_mtime_ns}"
            else:
                digest = ""
            out[str(path)] = (info.st_mode, info.st_size if digest else 0, digest)
    return out
