"""What an attacker checks after a run: leaks in released files, writes outside the
workspace, links followed out of the input root. Findings name files and the *index* of a
planted value, never the value itself."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pydicom

from tests.failsafe.mutations import encodings_of

TEXT_VRS = {"AE", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UR"}
TEXT_VRS |= {"UT", "UI", "AS"}
PIXEL_DATA = 0x7FE00010


class LeakScanner:
    """Every planted value in every spelling: raw bytes (outside pixel data for short
    spellings) and decoded text (case-insensitive)."""

    def __init__(self, planted: set[str]) -> None:
        self.values = sorted(planted)
        self.spellings: list[tuple[int, bytes]] = []
        for index, value in enumerate(self.values):
            for variant in {value, value.upper(), value.lower()}:
                for encoded in encodings_of(variant):
                    self.spellings.append((index, encoded))
        self.lowered = [(index, value.lower()) for index, value in enumerate(self.values)]

    def leaks(self, path: Path) -> set[int]:
        """Indexes of planted values found in ``path`` (raw bytes or decoded text)."""
        data = path.read_bytes()
        header = _without_pixel_data(path, data)
        found = {
            index
            for index, spelling in self.spellings
            if spelling in header or (len(spelling) >= 6 and spelling in data)
        }
        try:
            text = decoded_text(path).lower()
        except Exception:  # an element pydicom cannot convert: its raw bytes were scanned
            return found
        found |= {index for index, value in self.lowered if value in text}
        return found

    def leaks_in_text(self, text: str) -> set[int]:
        lowered = text.lower()
        return {index for index, value in self.lowered if value in lowered}


def _without_pixel_data(path: Path, data: bytes) -> bytes:
    try:
        ds = pydicom.dcmread(path, defer_size=256)
        element = ds.get_item(PIXEL_DATA, keep_deferred=True)
    except Exception:
        return data
    start = getattr(element, "value_tell", None)
    length = getattr(element, "length", None)
    if element is None or start is None or length is None or length == 0xFFFFFFFF:
        return data
    return data[:start] + data[start + length :]


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
