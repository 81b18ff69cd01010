"""Element headers walked straight from the bytes, without building a data set.

pydicom holds ~300 bytes per element it reads: an element-count bomb costs gigabytes before
any check can run, so ingest counts element headers first (nested ones included) from a
memory map, stepping into sequences and items and over values and pixel fragments.
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path
from typing import BinaryIO

from pydicom.filereader import read_file_meta_info
from pydicom.uid import UID

from tasks.dicom.layout import ITEM_GROUP, LONG_VRS, PIXEL_DATA, UNDEFINED_LENGTH
from tasks.dicom.source import RawEncoding


def more_elements_than(
    limit: int, path: Path, has_preamble: bool, raw: RawEncoding | None = None
) -> bool:
    """Count element headers (nested ones included) without building anything, up to
    ``limit``: an element-count bomb costs pydicom gigabytes before any check."""
    try:
        with open(path, "rb") as handle:
            start = meta_end(handle) if has_preamble else 0
            meta = read_file_meta_info(path) if has_preamble else None
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                syntax = meta.get("TransferSyntaxUID") if meta is not None else None
                if raw is not None:
                    explicit, little = not raw.implicit_vr, raw.little_endian
                else:
                    explicit, little = _encoding(syntax, data, start)
                return count_elements(data, start, explicit, little, limit) > limit
    except Exception:  # unreadable structure: pydicom's read decides
        return False


def _encoding(syntax: UID | None, data: mmap.mmap, start: int) -> tuple[bool, bool]:
    """(explicit VR, little endian) of the dataset: from the syntax, else guessed."""
    if syntax is not None and syntax.is_transfer_syntax:
        return not syntax.is_implicit_VR, syntax.is_little_endian
    return data[start + 4 : start + 6].isalpha(), True


def count_elements(data: mmap.mmap, pos: int, explicit: bool, little: bool, limit: int) -> int:
    """Walk element headers linearly, stepping into sequences and items (their content is
    more elements) and over values (pixel data fragments included)."""
    order = "<" if little else ">"
    u16, u32 = struct.Struct(order + "H"), struct.Struct(order + "I")
    size, count, in_pixels = len(data), 0, False
    while pos + 8 <= size and count <= limit:
        group, element = u16.unpack_from(data, pos)[0], u16.unpack_from(data, pos + 2)[0]
        count += 1
        if group == ITEM_GROUP:  # item or delimiter: always implicit, 4-byte length
            length = u32.unpack_from(data, pos + 4)[0]
            if element == 0xE0DD:
                in_pixels = False
            skip = in_pixels and element == 0xE000 and length != UNDEFINED_LENGTH
            pos += 8 + (length if skip else 0)
            continue
        vr = bytes(data[pos + 4 : pos + 6]) if explicit else b""
        if explicit and vr in LONG_VRS:
            header, length = 12, u32.unpack_from(data, pos + 8)[0]
        elif explicit:
            header, length = 8, u16.unpack_from(data, pos + 6)[0]
        else:
            header, length = 8, u32.unpack_from(data, pos + 4)[0]
        if (group << 16 | element) == PIXEL_DATA and length == UNDEFINED_LENGTH:
            in_pixels = True
            pos += header
        elif vr == b"SQ" or length == UNDEFINED_LENGTH:
            pos += header  # step into the sequence: its items and elements count
        else:
            pos += header + length
    return count


def meta_end(handle: BinaryIO) -> int:
    """Offset of the first dataset byte after the file meta group (preamble present; the
    group is always Explicit VR Little Endian)."""
    offset = 132
    while True:
        handle.seek(offset)
        header = handle.read(8)
        if len(header) < 8 or int.from_bytes(header[0:2], "little") != 0x0002:
            return offset
        if header[4:6] in LONG_VRS:
            offset += 12 + int.from_bytes(handle.read(4), "little")
        else:
            offset += 8 + int.from_bytes(header[6:8], "little")
