"""A header read straight from the bytes, element by element, without building a data set.

The checks stage reads a few facts from every staged header (100 000 of them in its
benchmark); ``pydicom.dcmread`` builds an object per element and costs several times more.
``FastReader`` handles the common case: a Part 10 file whose data set is Explicit VR Little
Endian, which includes every encapsulated transfer syntax. It stops at the pixel data (and
says whether there is any); above it, it lists the attributes and private creators and
keeps the elements its caller asks for, at any sequence depth. Anything else, or anything
unusual inside (an unknown VR, tags out of order, a misplaced delimiter, an undefined
length outside a sequence), raises ``Unsupported``: the caller falls back to pydicom, the
reference.
"""

from __future__ import annotations

import struct
from collections.abc import Container
from pathlib import Path

from pydicom.datadict import DicomDictionary

from tasks.dicom.layout import (
    FIRST_PIXEL_TAG,
    ITEM,
    ITEM_END,
    ITEM_GROUP,
    LONG_VRS,
    PIXEL_DATA,
    PIXEL_DATA_TAGS,
    SEQUENCE_END,
    UNDEFINED_LENGTH,
    VRS,
)

EXPLICIT_LE = "1.2.840.10008.1.2.1"
ENCAPSULATED_PREFIXES = ("1.2.840.10008.1.2.4.", "1.2.840.10008.1.2.5")
FIRST_READ = 16 * 1024  # most headers end before this: one read, then the whole file if not
ELEMENT_HEADER = struct.Struct("<HH2sH").unpack_from
ITEM_HEADER = struct.Struct("<HHI").unpack_from
LONG_LENGTH = struct.Struct("<I").unpack_from
ITEM_END_BYTES = struct.pack("<HH", ITEM_GROUP, ITEM_END & 0xFFFF)
CHARSET = 0x00080005
UTF8_CHARSETS = ("ISO_IR 192",)


class Unsupported(Exception):
    """The fast reader met something it does not handle: use pydicom instead."""


class _NeedMore(Exception):
    """The first chunk ended inside the header: read the whole file."""


class FastReader:
    """Walks one header (``read``) and keeps what its caller asked for.

    It lists the top-level attributes (``top_tags``: public ones, group lengths excluded,
    and sequences) and the creator of every private element (``private_creators``: its
    name, or None when its block has no creator in its data set or item). ``elements``
    holds ``(tag, vr, value bytes, top, encoding)`` of the public elements whose VR is in
    ``vrs`` (any depth) and of those whose tag is in ``tags`` (top level), in file order;
    ``vr`` is the dictionary's for a public element written as UN, ``top`` whether it is
    at the top level, ``encoding`` the codec of the Specific Character Set met so far
    (latin-1 until (0008,0005) says ISO_IR 192). Sequences and group lengths are never
    kept. Collecting costs less than calling back per element, which would cost more
    than the whole walk."""

    def __init__(self, vrs: Container[bytes] = frozenset(), tags: Container[int] = frozenset()):
        self.vrs, self.tags = vrs, tags  # sets or dicts: one look-up per element
        self.encoding = "latin-1"
        self.top_tags: list[int] = []
        self.private_creators: list[str | None] = []
        self.elements: list[tuple[int, bytes, bytes, bool, str]] = []

    # --- reading -------------------------------------------------------------------------
    def read(self, path: Path | str) -> bool:
        """Walk the header of ``path``; whether pixel data follows it."""
        with open(path, "rb", buffering=0) as handle:
            buf = handle.read(FIRST_READ)
            try:
                return self._parse(buf)
            except _NeedMore:
                if len(buf) < FIRST_READ:
                    raise Unsupported from None  # the whole file was read: truncated
            handle.seek(0)
            try:
                return self._parse(handle.read())
            except _NeedMore:
                raise Unsupported from None

    def _parse(self, buf: bytes) -> bool:
        self.encoding = "latin-1"
        self.top_tags, self.private_creators, self.elements = [], [], []
        if len(buf) < 132 or buf[128:132] != b"DICM":
            raise Unsupported
        pos, syntax = _file_meta(buf, 132)
        if not (syntax == EXPLICIT_LE or syntax.startswith(ENCAPSULATED_PREFIXES)):
            raise Unsupported
        pos = self._elements(buf, pos, len(buf), top=True, creators={})
        return pos < len(buf) and _pixel_data_follows(buf, pos)

    def _elements(self, buf: bytes, pos: int, end: int, top: bool, creators: dict[int, str]) -> int:
        """The elements from ``pos`` to ``end`` (an item's, or the data set's up to its
        pixel data); returns where they stop."""
        size = len(buf)
        previous = -1
        vrs, tags, top_tags = self.vrs, self.tags, self.top_tags
        keep, creator_of = self.elements.append, self.private_creators.append
        while pos < end:
            if pos + 8 > size:
                raise _NeedMore
            group, element, vr, length = ELEMENT_HEADER(buf, pos)
            tag = group << 16 | element
            if tag == ITEM_END:
                if top:
                    raise Unsupported
                return pos + 8
            if tag >= FIRST_PIXEL_TAG and top:
                return pos
            if group == ITEM_GROUP or tag <= previous:
                raise Unsupported  # misplaced delimiter or tags out of order: not this syntax
            previous = tag
            if vr in LONG_VRS:
                if pos + 12 > size:
                    raise _NeedMore
                length = LONG_LENGTH(buf, pos + 8)[0]
                start = pos + 12
            elif vr in VRS:
                start = pos + 8
            else:
                raise Unsupported
            if vr == b"SQ":
                pos = self._sequence(buf, start, length)
                if top:
                    top_tags.append(tag)
                if group & 1:
                    creator_of(creators.get((group << 8) | (element >> 8)))
                continue
            if length == UNDEFINED_LENGTH:
                raise Unsupported  # UN of undefined length, or encapsulated pixels in an item
            pos = start + length
            if pos > size:
                raise _NeedMore
            if group & 1:
                if 0x0010 <= element <= 0x00FF:
                    name = buf[start:pos].decode(self.encoding).strip("\x00 ")
                    creators[(group << 8) | element] = name
                    creator_of(name)
                elif element:
                    creator_of(creators.get((group << 8) | (element >> 8)))
                continue
            if not element:
                continue  # group length
            if vr == b"UN":
                vr = _dictionary_vr(tag)
            if top:
                top_tags.append(tag)
                if tag == CHARSET:
                    charset = buf[start:pos].decode("ascii").strip("\x00 ")
                    self.encoding = "utf-8" if charset in UTF8_CHARSETS else "latin-1"
                if vr in vrs or tag in tags:
                    keep((tag, vr, buf[start:pos], True, self.encoding))
            elif vr in vrs:
                keep((tag, vr, buf[start:pos], False, self.encoding))
        return pos

    def _sequence(self, buf: bytes, pos: int, length: int) -> int:
        """The items of a sequence starting at ``pos``; returns where it ends."""
        end = len(buf) if length == UNDEFINED_LENGTH else pos + length
        if length != UNDEFINED_LENGTH and end > len(buf):
            raise _NeedMore
        while pos < end:
            if pos + 8 > len(buf):
                raise _NeedMore
            group, element, item_length = ITEM_HEADER(buf, pos)
            tag = group << 16 | element
            pos += 8
            if tag == SEQUENCE_END:
                return pos
            if tag != ITEM:
                raise Unsupported
            if item_length == UNDEFINED_LENGTH:
                pos = self._elements(buf, pos, len(buf), top=False, creators={})
                if buf[pos - 8 : pos - 4] != ITEM_END_BYTES:
                    raise _NeedMore  # ran to the end of the buffer without an item delimiter
            else:
                if pos + item_length > len(buf):
                    raise _NeedMore
                self._elements(buf, pos, pos + item_length, top=False, creators={})
                pos += item_length
        if length == UNDEFINED_LENGTH:
            raise _NeedMore  # no sequence delimiter before the end of the buffer
        return pos


def _file_meta(buf: bytes, pos: int) -> tuple[int, str]:
    """Where the file meta group (always Explicit VR Little Endian) ends, and its
    Transfer Syntax UID."""
    syntax = ""
    size = len(buf)
    while pos + 8 <= size:
        group, element, vr, length = ELEMENT_HEADER(buf, pos)
        if group != 0x0002:
            break
        if vr in LONG_VRS:
            if pos + 12 > size:
                raise _NeedMore
            length, start = LONG_LENGTH(buf, pos + 8)[0], pos + 12
        elif vr in VRS:
            start = pos + 8
        else:
            raise Unsupported
        end = start + length
        if end > len(buf):
            raise _NeedMore
        if element == 0x0010:
            syntax = buf[start:end].decode("ascii").strip("\x00 ")
        pos = end
    return pos, syntax


def _pixel_data_follows(buf: bytes, pos: int) -> bool:
    """Whether the element at ``pos`` (the first one from group 7FE0 on) or one right after
    it is pixel data; elements past the pixel data (trailing padding) do not make an image."""
    while pos + 8 <= len(buf):
        group, element, vr, length = ELEMENT_HEADER(buf, pos)
        tag = group << 16 | element
        if tag in PIXEL_DATA_TAGS:
            return True
        if tag > PIXEL_DATA or vr not in VRS:
            return False
        if vr in LONG_VRS:
            if pos + 12 > len(buf):
                return False
            length = LONG_LENGTH(buf, pos + 8)[0]
            if length == UNDEFINED_LENGTH:
                return False
            pos += 12 + length
        else:
            pos += 8 + length
    return False


def _dictionary_vr(tag: int) -> bytes:
    """The VR a public attribute written as UN really has (pydicom converts it the same way)."""
    entry = DicomDictionary.get(tag)
    vr = entry[0].encode("ascii") if entry is not None else b"UN"
    if vr == b"SQ" or vr not in VRS:
        raise Unsupported
    return vr
