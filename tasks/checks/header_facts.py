"""Read what the checks need from one staged DICOM header, without pixel data.

The header's raw elements come from ``tasks.dicom.fast_reader`` in the common case (a Part 10
file with an explicit VR little endian data set, which includes every encapsulated transfer
syntax); anything else, or anything unusual inside, falls back to ``pydicom.dcmread`` with
the pixel data left on disk. Both paths give
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

from tasks.dicom.fast_reader import FastReader
from tasks.dicom.layout import FIRST_PIXEL_TAG, PIXEL_DATA_TAGS

DEFER_BYTES = 256 * 1024  # larger than any text value ingest lets through
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
FACT_VRS = FREE_TEXT_VRS | frozenset({b"UI", b"DA", b"DT", b"PN"})  # read at any depth
BINARY_FORMATS = {b"US": "H", b"SS": "h", b"UL": "I", b"SL": "i", b"FL": "f", b"FD": "d"}


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
        return fast_facts(path, wanted_set)
    except Exception:  # anything unusual (or unreadable): pydicom decides, as the reference
        pass
    try:
        # pixel data stay on disk (deferred): only their presence counts
        dataset = pydicom.dcmread(path, defer_size=DEFER_BYTES)
        return facts_from_dataset(dataset, wanted_set)
    except Exception:  # an unreadable header fails the checks; never its message (values)
        return HeaderFacts(readable=False)


# --- fast path ----------------------------------------------------------------------------------
def fast_facts(path: Path | str, wanted: frozenset[str]) -> HeaderFacts:
    """The facts from the header's raw elements (``tasks.dicom.fast_reader``); raises
    ``Unsupported`` (or a decoding error) where pydicom must decide."""
    wanted_by_tag = wanted_tags(wanted)
    reader = FastReader(FACT_VRS, wanted_by_tag)
    facts = HeaderFacts(has_pixel_data=reader.read(path))
    facts.tags, facts.private_creators = reader.top_tags, reader.private_creators
    for tag, vr, raw, top, encoding in reader.elements:
        if vr == b"UI":
            facts.uids.extend((tag, v) for v in _text(raw, "ascii").split("\\") if v)
        elif vr == b"DA" or vr == b"DT":
            name = tag_name(tag)
            facts.dates.extend((name, v) for v in _text(raw, "ascii").split("\\") if v)
        elif vr in FREE_TEXT_VRS:
            if raw and (text := _clean(raw.decode(encoding))):
                facts.texts.append(text)
        elif vr == b"PN" and (tag != PATIENT_NAME or not top):
            if raw and (text := _clean(raw.decode(encoding))):
                facts.person_names.append(text)
        if top and (keyword := wanted_by_tag.get(tag)) is not None:
            if vr in SHORT_TEXT_VRS:
                facts.values[keyword] = _clean(raw.decode(encoding))
            else:
                decoded = _decode(vr, raw, encoding)
                if decoded is not None:
                    facts.values[keyword] = decoded
    return facts


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
