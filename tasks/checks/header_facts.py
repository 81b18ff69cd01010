"""Read what the checks need from one staged DICOM header, without pixel data.

A small parser handles the common case (a Part 10 file with an explicit VR little endian
data set, which includes every encapsulated transfer syntax); anything else, or anything
unusual inside, falls back to ``pydicom.dcmread(stop_before_pixels=True)``. Both paths give
the same ``HeaderFacts``: top-level attribute names, the requested values, every UID with
its attribute's tag, every date and every private element at any depth, and whether the
object holds pixel data (Pixel Data, Float or Double Float Pixel Data).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pydicom
from pydicom.datadict import DicomDictionary, keyword_for_tag, tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

EXPLICIT_LE = "1.2.840.10008.1.2.1"
ENCAPSULATED_PREFIXES = ("1.2.840.10008.1.2.4.", "1.2.840.10008.1.2.5")
FIRST_READ = 16 * 1024
PIXEL_DATA = 0x7FE00010
PIXEL_DATA_TAGS = frozenset({0x7FE00008, 0x7FE00009, PIXEL_DATA})  # float, double, integer
FIRST_PIXEL_TAG = 0x7FE00008
DEFER_BYTES = 256 * 1024  # larger than any text value ingest lets through
ITEM, ITEM_END, SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
UNDEFINED = 0xFFFFFFFF
ELEMENT_HEADER = struct.Struct("<HH2sH").unpack_from
LONG_LENGTH = struct.Struct("<I").unpack_from
ITEM_END_BYTES = struct.pack("<HH", 0xFFFE, 0xE00D)
LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)
TEXT_VRS = frozenset(
    {
        b"AE", b"AS", b"CS", b"DA", b"DS", b"DT", b"IS", b"LO", b"LT", b"PN", b"SH", b"ST",
        b"TM", b"UC", b"UI", b"UR", b"UT",
    }
)  # fmt: skip
FREE_TEXT = ("LO", "SH", "ST", "LT", "UT", "UC")
FREE_TEXT_VRS = frozenset(vr.encode("ascii") for vr in FREE_TEXT)
PATIENT_NAME = 0x00100010
SHORT_TEXT_VRS = TEXT_VRS - {b"LT", b"ST", b"UT"}
KNOWN_VRS = LONG_VRS | TEXT_VRS | frozenset({b"AT", b"FD", b"FL", b"SL", b"SS", b"UL", b"US"})
BINARY_FORMATS = {b"US": "H", b"SS": "h", b"UL": "I", b"SL": "i", b"FL": "f", b"FD": "d"}
UTF8_CHARSETS = ("ISO_IR 192",)


class Unsupported(Exception):
    """The fast parser met something it does not handle: use pydicom instead."""


@dataclass
class HeaderFacts:
    tags: list[int] = field(default_factory=list)  # top level, file meta and pixels excluded
    values: dict[str, str] = field(default_factory=dict)  # requested keywords, "\\"-joined
    uids: list[tuple[int, str]] = field(default_factory=list)  # (tag, UI value), any depth
    dates: list[tuple[str, str]] = field(default_factory=list)  # (keyword, DA/DT value)
    private_creators: list[str | None] = field(default_factory=list)  # one per private element
    texts: list[str] = field(default_factory=list)  # LO SH ST LT UT UC values, any depth
    person_names: list[str] = field(default_factory=list)  # PN values but Patient's Name
    has_pixel_data: bool = False  # an image: integer, float or double float pixel data
    readable: bool = True


def tag_name(tag: int) -> str:
    entry = DicomDictionary.get(tag)
    if entry is not None and entry[4]:
        return entry[4]
    keyword = keyword_for_tag(tag)  # repeating groups (50xx, 60xx)
    return keyword or f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


@lru_cache(maxsize=32)
def wanted_tags(wanted: frozenset[str]) -> dict[int, str]:
    """Tag -> keyword of the requested attributes (unknown keywords are ignored)."""
    tags = {}
    for keyword in wanted:
        tag = tag_for_keyword(keyword)
        if tag is not None:
            tags[tag] = keyword
    return tags


def read_facts(path: Path | str, wanted: Iterable[str]) -> HeaderFacts:
    wanted_set = frozenset(wanted)
    try:
        return _FastReader(path, wanted_set).read()
    except Exception:  # anything unusual (or unreadable): pydicom decides, as the reference
        pass
    try:
        # pixel data stay on disk (deferred): only their presence counts
        dataset = pydicom.dcmread(path, defer_size=DEFER_BYTES)
        return facts_from_dataset(dataset, wanted_set)
    except Exception:  # an unreadable header fails the checks; never its message (values)
        return HeaderFacts(readable=False)


# --- fast path ----------------------------------------------------------------------------------
class _FastReader:
    def __init__(self, path: Path | str, wanted: frozenset[str]) -> None:
        self.path = path
        self.wanted_tags = wanted_tags(wanted)
        self.facts = HeaderFacts()
        self.encoding = "latin-1"

    def read(self) -> HeaderFacts:
        with open(self.path, "rb", buffering=0) as handle:
            buf = handle.read(FIRST_READ)
            try:
                return self._parse(buf)
            except _NeedMore:
                if len(buf) < FIRST_READ:
                    raise Unsupported from None  # the whole file was read: truncated
            handle.seek(0)
            self.facts = HeaderFacts()
            try:
                return self._parse(handle.read())
            except _NeedMore:
                raise Unsupported from None

    def _parse(self, buf: bytes) -> HeaderFacts:
        if len(buf) < 132 or buf[128:132] != b"DICM":
            raise Unsupported
        pos, syntax = self._file_meta(buf, 132)
        if not (syntax == EXPLICIT_LE or syntax.startswith(ENCAPSULATED_PREFIXES)):
            raise Unsupported
        self._elements(buf, pos, len(buf), top=True, creators={})
        return self.facts

    def _file_meta(self, buf: bytes, pos: int) -> tuple[int, str]:
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
            elif vr in KNOWN_VRS:
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

    def _elements(self, buf: bytes, pos: int, end: int, top: bool, creators: dict[int, str]) -> int:
        facts = self.facts
        wanted = self.wanted_tags
        size = len(buf)
        previous = -1
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
                facts.has_pixel_data = _pixel_data_follows(buf, pos)
                return pos
            if group == 0xFFFE or tag <= previous:
                raise Unsupported  # misplaced delimiter or tags out of order: not this syntax
            previous = tag
            if vr in LONG_VRS:
                if pos + 12 > size:
                    raise _NeedMore
                length = LONG_LENGTH(buf, pos + 8)[0]
                start = pos + 12
            elif vr in KNOWN_VRS:
                start = pos + 8
            else:
                raise Unsupported
            if vr == b"SQ":
                pos = self._sequence(buf, start, length)
                if top:
                    facts.tags.append(tag)
                if group & 1:
                    facts.private_creators.append(creators.get((group << 8) | (element >> 8)))
                continue
            if length == UNDEFINED:
                raise Unsupported  # UN of undefined length, or encapsulated pixels in an item
            pos = start + length
            if pos > size:
                raise _NeedMore
            if group & 1:
                if 0x0010 <= element <= 0x00FF:
                    name = _text(buf[start:pos], self.encoding)
                    creators[(group << 8) | element] = name
                    facts.private_creators.append(name)
                elif element:
                    facts.private_creators.append(creators.get((group << 8) | (element >> 8)))
                continue
            if not element:
                continue  # group length
            if vr == b"UN":
                vr = _dictionary_vr(tag)
            if vr == b"UI":
                facts.uids.extend((tag, v) for v in _text(buf[start:pos], "ascii").split("\\") if v)
            elif vr == b"DA" or vr == b"DT":
                name = tag_name(tag)
                text = _text(buf[start:pos], "ascii")
                facts.dates.extend((name, v) for v in text.split("\\") if v)
            elif vr in FREE_TEXT_VRS:
                if pos > start and (text := _clean(buf[start:pos].decode(self.encoding))):
                    facts.texts.append(text)
            elif vr == b"PN" and (tag != PATIENT_NAME or not top):
                if pos > start and (text := _clean(buf[start:pos].decode(self.encoding))):
                    facts.person_names.append(text)
            if top:
                facts.tags.append(tag)
                if tag == 0x00080005:
                    charset = _text(buf[start:pos], "ascii")
                    self.encoding = "utf-8" if charset in UTF8_CHARSETS else "latin-1"
                name = wanted.get(tag)
                if name is not None:
                    if vr in SHORT_TEXT_VRS:
                        text = buf[start:pos].decode(self.encoding).strip("\x00 ")
                        if "\\" in text:
                            text = "\\".join(part.strip() for part in text.split("\\"))
                        facts.values[name] = text
                    else:
                        decoded = _decode(vr, buf[start:pos], self.encoding)
                        if decoded is not None:
                            facts.values[name] = decoded
        return pos

    def _sequence(self, buf: bytes, pos: int, length: int) -> int:
        end = len(buf) if length == UNDEFINED else pos + length
        if length != UNDEFINED and end > len(buf):
            raise _NeedMore
        while pos < end:
            if pos + 8 > len(buf):
                raise _NeedMore
            tag = struct.unpack_from("<HH", buf, pos)
            tag_value = tag[0] << 16 | tag[1]
            item_length = struct.unpack_from("<I", buf, pos + 4)[0]
            pos += 8
            if tag_value == SEQUENCE_END:
                return pos
            if tag_value != ITEM:
                raise Unsupported
            if item_length == UNDEFINED:
                pos = self._elements(buf, pos, len(buf), top=False, creators={})
                if buf[pos - 8 : pos - 4] != ITEM_END_BYTES:
                    raise _NeedMore  # ran to the end of the buffer without an item delimiter
            else:
                if pos + item_length > len(buf):
                    raise _NeedMore
                self._elements(buf, pos, pos + item_length, top=False, creators={})
                pos += item_length
        if length == UNDEFINED:
            raise _NeedMore  # no sequence delimiter before the end of the buffer
        return pos


def _pixel_data_follows(buf: bytes, pos: int) -> bool:
    """Whether the element at ``pos`` (the first one from group 7FE0 on) or one right after
    it is pixel data; elements past the pixel data (trailing padding) do not make an image."""
    while pos + 8 <= len(buf):
        group, element, vr, length = ELEMENT_HEADER(buf, pos)
        tag = group << 16 | element
        if tag in PIXEL_DATA_TAGS:
            return True
        if tag > PIXEL_DATA or vr not in KNOWN_VRS:
            return False
        if vr in LONG_VRS:
            if pos + 12 > len(buf):
                return False
            length = LONG_LENGTH(buf, pos + 8)[0]
            if length == UNDEFINED:
                return False
            pos += 12 + length
        else:
            pos += 8 + length
    return False


class _NeedMore(Exception):
    """The first chunk ended inside the header: read the whole file."""


def _dictionary_vr(tag: int) -> bytes:
    """The VR a public attribute written as UN really has (pydicom converts it the same way)."""
    entry = DicomDictionary.get(tag)
    vr = entry[0].encode("ascii") if entry is not None else b"UN"
    if vr == b"SQ" or vr not in KNOWN_VRS:
        raise Unsupported
    return vr


def _clean(text: str) -> str:
    text = text.strip("\x00 ")
    if "\\" in text:
        return "\\".join(part.strip() for part in text.split("\\"))
    return text


def _text(raw: bytes, encoding: str) -> str:
    return raw.decode(encoding).strip("\x00 ")


def _decode(vr: bytes, raw: bytes, encoding: str) -> str | None:
    if vr in TEXT_VRS:
        text = raw.decode(encoding).rstrip("\x00 ")
        if "\\" in text and vr not in (b"LT", b"ST", b"UT"):
            return "\\".join(part.strip() for part in text.split("\\"))
        return text.strip() if vr not in (b"LT", b"ST", b"UT") else text
    fmt = BINARY_FORMATS.get(vr)
    if fmt is None:
        return None
    size = struct.calcsize(fmt)
    count = len(raw) // size
    numbers = struct.unpack_from(f"<{count}{fmt}", raw)
    return "\\".join(_number(n) for n in numbers)


def _number(value: float | int) -> str:
    return repr(value) if isinstance(value, float) else str(value)


# --- pydicom path -------------------------------------------------------------------------------
def facts_from_dataset(ds: Dataset, wanted: frozenset[str]) -> HeaderFacts:
    facts = HeaderFacts()
    _walk_dataset(ds, facts, wanted, top=True)
    facts.has_pixel_data = any(tag in ds for tag in PIXEL_DATA_TAGS)
    return facts


def _walk_dataset(ds: Dataset, facts: HeaderFacts, wanted: frozenset[str], top: bool) -> None:
    for elem in ds:
        tag = int(elem.tag)
        group, element = tag >> 16, tag & 0xFFFF
        if group == 0x0002 or (top and tag >= FIRST_PIXEL_TAG) or element == 0x0000:
            continue
        if group & 1:
            if 0x0010 <= element <= 0x00FF:
                facts.private_creators.append(str(elem.value or "").strip("\x00 "))
            else:
                facts.private_creators.append(elem.private_creator or None)
        else:
            name = tag_name(tag)
            if top:
                facts.tags.append(tag)
            if elem.VR == "UI":
                facts.uids.extend((tag, str(v).strip("\x00 ")) for v in _as_list(elem.value) if v)
            elif elem.VR in ("DA", "DT"):
                facts.dates.extend((name, _date_text(v)) for v in _as_list(elem.value) if v)
            elif elem.VR in FREE_TEXT or (elem.VR == "PN" and (tag != PATIENT_NAME or not top)):
                if elem.value not in (None, ""):
                    text = "\\".join(_value_text(v) for v in _as_list(elem.value))
                    if text:
                        (facts.texts if elem.VR != "PN" else facts.person_names).append(text)
            if top and name in wanted and elem.VR != "SQ":
                values = [] if elem.value is None else _as_list(elem.value)
                facts.values[name] = "\\".join(_value_text(v) for v in values)
        if elem.VR == "SQ" and elem.value:
            for item in elem.value:
                _walk_dataset(item, facts, wanted, top=False)


def _as_list(value: object) -> list:
    if isinstance(value, MultiValue | list | tuple):
        return list(value)
    return [value]


def _date_text(value: object) -> str:
    original = getattr(value, "original_string", None)  # pydicom may convert DA to date
    return _value_text(original if original is not None else value)


def _value_text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1").strip("\x00 ")
    if type(value) is float:
        return repr(value)
    return str(value).strip("\x00 ")
