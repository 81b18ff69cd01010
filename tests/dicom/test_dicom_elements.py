"""The element counter (tasks/dicom/elements.py): element headers counted from the bytes, at any
depth, each once, without building a data set; the file meta group's end."""

from __future__ import annotations

import mmap
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence
from pydicom.uid import JPEGBaseline8Bit

from tasks.dicom.elements import count_elements, meta_end, more_elements_than
from tasks.dicom.source import RawEncoding, raw_encoding
from tasks.ingest.recognition import recognise_dicom
from tests.dicom_support import save_part10

DELIMITERS = b"\xfe\xff\x00\xe0\xfe\xff\x0d\xe0\xfe\xff\xdd\xe0"  # item, item end, sequence end


def _count(path: Path) -> int:
    with open(path, "rb") as handle:
        start = meta_end(handle)
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return count_elements(data, start, True, True, 10**6)


def test_elements_items_and_64_bit_values_count_once_each(tmp_path: Path) -> None:
    ds = Dataset()
    ds.add_new(0x00191001, "UV", [2**40])  # 64-bit VRs have the long (12-byte) header
    ds.add_new(0x00191002, "SV", [-5])
    item = Dataset()
    item.CodeValue = "A"
    ds.ProcedureCodeSequence = Sequence([item, item])
    path = save_part10(ds, tmp_path / "x.dcm")
    # SOP Class, SOP Instance, the sequence, 2 x (item + Code Value), UV, SV
    assert _count(path) == 9
    assert more_elements_than(8, path, has_preamble=True)
    assert not more_elements_than(9, path, has_preamble=True)


def test_undefined_lengths_count_their_delimiters(tmp_path: Path) -> None:
    items = []
    for value in ("A", "B"):
        item = Dataset()
        item.CodeValue = value
        item.is_undefined_length_sequence_item = True
        items.append(item)
    ds = Dataset()
    ds.ProcedureCodeSequence = Sequence(items)
    ds["ProcedureCodeSequence"].is_undefined_length = True
    path = save_part10(ds, tmp_path / "x.dcm")
    data = path.read_bytes()
    assert data.count(DELIMITERS[4:8]) == 2 and data.count(DELIMITERS[8:]) == 1
    # SOP Class, SOP Instance, the sequence, 2 x (item + Code Value + item end), sequence end
    assert _count(path) == 10


def test_pixel_data_fragments_are_stepped_over(tmp_path: Path) -> None:
    fake_headers = b"\x08\x00\x16\x00UI\x02\x001\x00" * 64  # would count if walked into
    ds = Dataset()
    ds.Rows = ds.Columns = 8
    ds.add_new(0x7FE00010, "OB", encapsulate([fake_headers, fake_headers]))
    path = save_part10(ds, tmp_path / "x.dcm", JPEGBaseline8Bit)
    # SOP Class, SOP Instance, Rows, Columns, Pixel Data, offset table + 2 fragments, end
    assert _count(path) == 9


def test_meta_end_is_where_the_data_set_starts(tmp_path: Path) -> None:
    path = save_part10(Dataset(), tmp_path / "x.dcm")
    group_length = pydicom.dcmread(path).file_meta.FileMetaInformationGroupLength
    with open(path, "rb") as handle:
        end = meta_end(handle)
    assert end == 128 + 4 + 12 + group_length
    assert path.read_bytes()[end : end + 4] == b"\x08\x00\x16\x00"  # SOP Class UID


def test_a_big_endian_element_count_bomb_is_still_refused(tmp_path: Path) -> None:
    """Bare big-endian data sets are read: the element counter must see them in their own
    byte order (read as little endian, the lengths would skip everything)."""

    def element(group: int, number: int, vr: bytes, value: bytes) -> bytes:
        return (
            group.to_bytes(2, "big")
            + number.to_bytes(2, "big")
            + vr
            + len(value).to_bytes(2, "big")
            + value
        )

    head = element(0x0008, 0x0016, b"UI", b"1.2.840.10008.5.1.4.1.1.7\x00")
    head += element(0x0008, 0x0018, b"UI", b"1.2.3.4")
    body = b"".join(
        element(group, number, b"SS", b"\x00\x01")
        for group in range(0x0011, 0x0011 + 2 * 10, 2)
        for number in range(0x1000, 0x1000 + 60_000)
    )
    path = tmp_path / "bomb"
    path.write_bytes(head + body)
    data = path.read_bytes()
    assert raw_encoding(data[:4096], len(data)) == RawEncoding(False, False)
    assert more_elements_than(500_000, path, has_preamble=False, raw=RawEncoding(False, False))
    assert recognise_dicom(path) == "ingest.too_many_elements"
