"""Read one input instance: a Part 10 file, or a bare data set without file meta information.

Some devices and archives write the data set alone (no preamble, no 'DICM', no group 0002),
in implicit or explicit VR, little or big endian. ``raw_encoding`` recognises such a file
from its first elements (a plausible, ordered sequence of element headers whose lengths fit
the file; the first one a public attribute of group 0002 or 0008), so that text or binary
files that merely start with a small number are not taken for DICOM. ``read_source`` reads
it with the file meta it lacks (its transfer syntax is the encoding found).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.datadict import dictionary_has_tag, dictionary_VR
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from tasks.dicom.layout import ITEM_GROUP, LONG_VRS, UNDEFINED_LENGTH, VRS

HEAD_BYTES = 4096
FIRST_GROUPS = (0x0002, 0x0008)
ELEMENTS_REQUIRED = 3  # or every element, for a file shorter than that


class SourceError(Exception):
    """The input cannot be read as a DICOM data set (no value in the message)."""


@dataclass(frozen=True)
class RawEncoding:
    implicit_vr: bool
    little_endian: bool

    @property
    def syntax(self) -> str:
        if self.implicit_vr:
            return ImplicitVRLittleEndian
        return ExplicitVRLittleEndian if self.little_endian else ExplicitVRBigEndian


CANDIDATES = (RawEncoding(False, True), RawEncoding(True, True), RawEncoding(False, False))


def raw_encoding(head: bytes, size: int) -> RawEncoding | None:
    """The encoding of a bare data set starting ``head`` (a file of ``size`` bytes), or None
    when its first elements are not a plausible DICOM data set in any encoding."""
    for candidate in CANDIDATES:
        if _plausible(head, size, candidate):
            return candidate
    return None


def _plausible(head: bytes, size: int, encoding: RawEncoding) -> bool:
    order = "<" if encoding.little_endian else ">"
    u16, u32 = struct.Struct(order + "H").unpack_from, struct.Struct(order + "I").unpack_from
    pos, previous, count = 0, -1, 0
    while count < ELEMENTS_REQUIRED and pos + 8 <= len(head):
        group, element = u16(head, pos)[0], u16(head, pos + 2)[0]
        tag = group << 16 | element
        if tag <= previous or group == ITEM_GROUP:
            return False
        if count == 0 and not (group in FIRST_GROUPS and (element == 0 or dictionary_has_tag(tag))):
            return False
        if encoding.implicit_vr:
            header, length = 8, u32(head, pos + 4)[0]
            is_sequence = dictionary_has_tag(tag) and dictionary_VR(tag) == "SQ"
        else:
            vr = head[pos + 4 : pos + 6]
            if vr not in VRS:
                return False
            if vr in LONG_VRS:
                if pos + 12 > len(head) or head[pos + 6 : pos + 8] != b"\x00\x00":
                    return False
                header, length = 12, u32(head, pos + 8)[0]
            else:
                header, length = 8, u16(head, pos + 6)[0]
            is_sequence = vr == b"SQ"
        if length == UNDEFINED_LENGTH:
            return is_sequence and count >= 1  # a sequence opens after a sane element
        if pos + header + length > size:
            return False
        previous, count = tag, count + 1
        pos += header + length
    if count >= ELEMENTS_REQUIRED or (count >= 1 and pos == size):
        return True
    return count >= 2 and len(head) < pos <= size  # a long value runs past the head


def read_source(path: Path) -> Dataset:
    """The instance at ``path``; a bare data set gets the file meta its encoding implies."""
    try:
        return pydicom.dcmread(path)
    except InvalidDicomError:
        pass
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    encoding = raw_encoding(head, path.stat().st_size)
    if encoding is None:
        raise SourceError("not a DICOM data set")
    ds = pydicom.dcmread(path, force=True)
    meta = ds.get("file_meta") or FileMetaDataset()
    if "TransferSyntaxUID" in meta:  # a file meta group without the preamble: it decides
        return ds
    if ds.original_encoding != (encoding.implicit_vr, encoding.little_endian):
        raise SourceError("encoding not recognised consistently")
    meta.TransferSyntaxUID = encoding.syntax
    ds.file_meta = meta
    return ds
