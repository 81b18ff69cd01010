"""The fast header reader (tasks/dicom/fast_reader.py) sees what pydicom reads, or leaves the
file to pydicom: every element at any depth with its value bytes, the top-level attributes,
the private creators, whether pixel data follow."""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import pydicom
import pydicom.data
import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ImplicitVRLittleEndian

from tasks.dicom.fast_reader import FIRST_READ, FastReader, Unsupported
from tasks.dicom.layout import PIXEL_DATA_TAGS, VRS
from tests.dicom_support import TEST_FILES, save_part10


def _expected(ds: Dataset, top: bool = True) -> tuple[list, list, Counter]:
    """What pydicom read: (tag, VR, value bytes, top) of public non-sequence elements in file
    order, the top-level tags, and the private elements' creators."""
    kept, top_tags, creators = [], [], Counter()
    for tag in sorted(ds.keys()):
        number = int(tag)
        group, element = number >> 16, number & 0xFFFF
        if group == 0x0002 or (top and number >= 0x7FE00008):
            continue
        raw = ds.get_item(tag, keep_deferred=True)
        if raw.VR == "SQ":
            if top:
                top_tags.append(number)
            if group & 1:
                creators[ds[tag].private_creator] += 1
            for item in ds[tag].value:
                inner, _, inner_creators = _expected(item, top=False)
                kept += inner
                creators += inner_creators
            continue
        if group & 1:
            if 0x10 <= element <= 0xFF:
                creators[raw.value.decode("latin-1").strip("\x00 ")] += 1
            elif element:
                creators[ds[tag].private_creator] += 1
            continue
        if element:  # a value pydicom already decoded (the character set) is not compared
            value = raw.value if isinstance(raw, RawDataElement) else None
            kept.append((number, raw.VR, value, top))
            if top:
                top_tags.append(number)
    return kept, top_tags, creators


def _bundled() -> list[Path]:
    """pydicom's bundled test files only (get_testdata_files would try to download more)."""
    return sorted(TEST_FILES.rglob("*.dcm"))


def test_reader_sees_what_pydicom_reads_in_bundled_files() -> None:
    compared = 0
    for path in _bundled():
        reader = FastReader(vrs=VRS)  # every element
        try:
            has_pixel_data = reader.read(path)
        except (Unsupported, UnicodeDecodeError):
            continue  # left to pydicom
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path)
        kept, top_tags, creators = _expected(ds)
        assert [e[0] for e in reader.elements] == [e[0] for e in kept], path.name
        pairs = zip(reader.elements, kept, strict=True)
        for (_, vr, value, top, _), (_, read_vr, read, read_top) in pairs:
            assert top == read_top and (read is None or value == read), path.name
            assert vr.decode() == read_vr or read_vr == "UN", path.name
        assert reader.top_tags == top_tags, path.name
        assert Counter(reader.private_creators) == creators, path.name
        assert has_pixel_data == any(tag in ds for tag in PIXEL_DATA_TAGS), path.name
        compared += 1
    assert compared >= 30


def _instance() -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.10.99.2"
    ds.StudyDescription = "Épaule droite"
    return ds


def test_only_the_elements_asked_for_are_kept_with_their_encoding(tmp_path: Path) -> None:
    ds = _instance()
    item = Dataset()
    item.CodeMeaning = "Genou"
    item.CodeValue = "G1"
    ds.ProcedureCodeSequence = Sequence([item])
    reader = FastReader(vrs={b"LO"}, tags={0x00080016})
    reader.read(save_part10(ds, tmp_path / "x.dcm"))
    assert [(tag, value, top, encoding) for tag, _, value, top, encoding in reader.elements] == [
        (0x00080016, b"1.2.840.10008.5.1.4.1.1.7\x00", True, "utf-8"),  # by tag, top level
        (0x00081030, "Épaule droite".encode(), True, "utf-8"),  # by VR (14 bytes: no padding)
        (0x00080104, b"Genou ", False, "utf-8"),  # by VR, in an item
    ]
    assert reader.top_tags == [0x00080005, 0x00080016, 0x00080018, 0x00081030, 0x00081032]


def test_private_creators_are_resolved_per_data_set_and_item(tmp_path: Path) -> None:
    ds = _instance()
    ds.private_block(0x0011, "ACME 1.0", create=True).add_new(0x01, "LO", "a")
    item = Dataset()
    item.private_block(0x0011, "OTHER 2", create=True).add_new(0x02, "LO", "b")
    item.add_new(0x00111105, "LO", "no creator in this item")
    ds.add_new(0x00111010, "SQ", Sequence([item]))
    reader = FastReader()
    reader.read(save_part10(ds, tmp_path / "x.dcm"))
    assert reader.private_creators == [
        "ACME 1.0",  # (0011,0010) itself
        "ACME 1.0",  # (0011,1001)
        "OTHER 2",  # in the item: (0011,0010), (0011,1002)
        "OTHER 2",
        None,  # (0011,1105): block 11 has no creator in the item
        "ACME 1.0",  # the sequence (0011,1010), after its items
    ]


def test_a_header_longer_than_the_first_read_is_read_whole(tmp_path: Path) -> None:
    ds = _instance()
    ds.add_new(0x00080119, "UC", "x" * FIRST_READ)  # Long Code Value, before the description
    ds.add_new(0x7FE00010, "OB", b"\x00" * 16)
    reader = FastReader(vrs={b"LO", b"UC"})
    assert reader.read(save_part10(ds, tmp_path / "x.dcm")) is True
    assert [value[:5] for _, _, value, _, _ in reader.elements] == [b"xxxxx", b"\xc3\x89pau"]


def test_truncated_or_unusual_files_are_left_to_pydicom(tmp_path: Path) -> None:
    data = save_part10(_instance(), tmp_path / "x.dcm").read_bytes()
    implicit = save_part10(_instance(), tmp_path / "i.dcm", ImplicitVRLittleEndian)
    cases = {
        "truncated": data[:-6],
        "no_preamble": data[128:],
        "implicit_vr": implicit.read_bytes(),
        "out_of_order": data.replace(b"\x08\x00\x16\x00UI", b"\x08\x00\x30\x10UI"),
        "unknown_vr": data.replace(b"\x08\x00\x30\x10LO", b"\x08\x00\x30\x10QQ"),
    }
    for name, broken in cases.items():
        target = tmp_path / name
        target.write_bytes(broken)
        with pytest.raises(Unsupported):
            FastReader().read(target)


@pytest.mark.parametrize(
    ("tag", "vr", "image"),
    [(0x7FE00010, "OB", True), (0x7FE00008, "OF", True), (0xFFFCFFFC, "OB", False)],
)
def test_pixel_data_of_any_kind_make_an_image_trailing_padding_does_not(
    tag: int, vr: str, image: bool, tmp_path: Path
) -> None:
    ds = _instance()
    ds.add_new(tag, vr, b"\x00" * 8)
    assert FastReader().read(save_part10(ds, tmp_path / "x.dcm")) is image
