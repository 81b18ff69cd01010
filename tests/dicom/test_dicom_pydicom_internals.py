"""Canary for the private pydicom internals the product relies on (tasks/dicom/pydicom_internals).

Each test pins one assumption the header walker, the header stage or build_data makes about
pydicom's private parts. After a pydicom upgrade a failure here names the version and the
assumption: adapt tasks/dicom/pydicom_internals.py (or the callers it names), not the test.
"""

from __future__ import annotations

from io import BytesIO

import pydicom
import pytest
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag
from pydicom.uid import ExplicitVRLittleEndian

from tasks.dicom.pydicom_internals import TESTED_WITH, character_set, elements, uid_registry


def _changed(what: str) -> str:
    return (
        f"pydicom {pydicom.__version__} changed {what} "
        f"(tasks/dicom/pydicom_internals.py was checked with pydicom {TESTED_WITH}.x)"
    )


def _written() -> bytes:
    """A small Part 10 file: Latin-1 text, a sequence with one item, a private block."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.10.99.1"
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.10.99.1"
    ds.StudyDescription = "Thorax sans injection"
    item = Dataset()
    item.CodeMeaning = "Épaule"
    ds.ProcedureCodeSequence = Sequence([item])
    block = ds.private_block(0x0013, "ACME 1.0", create=True)
    block.add_new(0x01, "LO", "vendor note")
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _read() -> Dataset:
    return pydicom.dcmread(BytesIO(_written()))


def test_elements_is_the_data_sets_own_tag_to_raw_element_dict() -> None:
    ds = _read()
    raw = elements(ds)
    assert type(raw) is dict, _changed("Dataset._dict: no longer a dict")
    assert raw is elements(ds), _changed("Dataset._dict: not the same object on each access")
    assert all(type(tag) is BaseTag for tag in raw), _changed("Dataset._dict keys (BaseTag)")
    assert list(raw) == list(ds.keys()), _changed("Dataset._dict: not what ds.keys() lists")
    description = raw[BaseTag(0x00081030)]
    assert isinstance(description, RawDataElement), _changed("elements as read (RawDataElement)")
    assert description.VR == "LO" and description.value == b"Thorax sans injection ", _changed(
        "RawDataElement fields (VR, value bytes as read)"
    )
    assert description.is_little_endian and not description.is_implicit_VR, _changed(
        "RawDataElement fields (is_little_endian, is_implicit_VR)"
    )


def test_reading_through_pydicom_stores_the_decoded_element_in_the_dict() -> None:
    """The walker decodes sequences with ``ds[tag]`` and edits their items in place: the
    decoded element must be the one the data set keeps and writes."""
    ds = _read()
    sequence = ds[0x00081032]
    assert elements(ds)[BaseTag(0x00081032)] is sequence, _changed(
        "Dataset.__getitem__: the decoded element no longer replaces the raw one in _dict"
    )
    assert isinstance(sequence.value, Sequence)
    assert type(elements(sequence.value[0])) is dict, _changed("sequence items' _dict")


def test_elements_written_into_the_dict_are_what_the_file_gets() -> None:
    ds = _read()
    tag = BaseTag(0x00081030)
    elements(ds)[tag] = DataElement(tag, "LO", "CHANGED")
    assert ds.StudyDescription == "CHANGED", _changed("Dataset._dict writes: not seen by reads")
    assert ds.private_block(0x0013, "ACME 1.0")[0x01].value == "vendor note"  # block cached
    del ds[0x00130010]  # the private creator: its block's cache must go with it
    del ds[0x00131001]
    out = BytesIO()
    ds.save_as(out, enforce_file_format=True)
    again = pydicom.dcmread(BytesIO(out.getvalue()))
    assert again.StudyDescription == "CHANGED", _changed("Dataset._dict writes: not saved")
    assert 0x00131001 not in again and 0x00130010 not in again
    with pytest.raises(KeyError):
        ds.private_block(0x0013, "ACME 1.0")  # no stale block after its creator went


def test_untouched_raw_elements_are_written_back_byte_identical() -> None:
    """The walker leaves kept elements raw because pydicom writes them back as read."""
    data = _written()
    ds = pydicom.dcmread(BytesIO(data))
    out = BytesIO()
    ds.save_as(out, enforce_file_format=True)
    assert out.getvalue() == data, _changed("writing of raw elements (no longer byte-identical)")


def test_character_set_is_the_codecs_of_the_data_set_and_inherited_by_items() -> None:
    ds = _read()
    assert character_set(ds) == ["latin_1"], _changed("Dataset._character_set (codec list)")
    item = ds.ProcedureCodeSequence[0]
    assert character_set(item) == ["latin_1"], _changed(
        "Dataset._character_set of a sequence item (the parent's)"
    )
    assert item.CodeMeaning == "Épaule"


def test_uid_registry_maps_uids_to_name_type_info_retired_keyword() -> None:
    registry = uid_registry()
    ct = registry.get("1.2.840.10008.5.1.4.1.1.2")
    assert ct == ("CT Image Storage", "SOP Class", "", "", "CTImageStorage"), _changed(
        "pydicom._uid_dict.UID_dictionary entries (name, type, info, retired, keyword)"
    )
    retired = registry.get("1.2.840.10008.5.1.1.29")  # Hardcopy Grayscale Image Storage
    assert retired is not None and retired[1] == "SOP Class" and retired[3] == "Retired", _changed(
        "pydicom._uid_dict.UID_dictionary: retired SOP classes and their 'Retired' mark"
    )
    assert all(isinstance(entry, tuple) and len(entry) == 5 for entry in registry.values())
    sop_classes = sum(entry[1] == "SOP Class" for entry in registry.values())
    assert sop_classes > 250, _changed("pydicom._uid_dict.UID_dictionary (SOP classes missing)")


def test_the_installed_pydicom_is_the_release_the_internals_were_checked_with() -> None:
    """pyproject allows any pydicom 3: a new release may keep the names above and change
    their meaning. Once the tests above pass with it (and tests/headers with them), set
    TESTED_WITH to the new release."""
    assert pydicom.__version__.startswith(TESTED_WITH + "."), (
        f"pydicom {pydicom.__version__} is installed; tasks/dicom/pydicom_internals.py was "
        f"checked with pydicom {TESTED_WITH}.x: check its assumptions, then update TESTED_WITH"
    )
