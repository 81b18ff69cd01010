"""Instance UIDs in attributes PS3.15 Table E.1-1 does not list (retired trial attributes such
as Findings Group UID, Multi-frame Source SOP Instance UID, Referenced Color Palette Instance
UID...): remapped like the listed ones, with the same keyed function, so references between
objects still resolve and no original UID is released. Which UI attributes identify an
instance is decided by their meaning (``tasks.checks.uid_meaning``, the same rule the
release-root check applies); class, coding-scheme and version UIDs are kept.

A UI value under a tag the dictionary gives another VR (a bit flipped in a tag turns Series
Instance UID (0020,000E) into Degree of Dilation (0022,000E), still written as UI) has no
meaning to decide from: it is remapped too, so an original instance UID cannot ride out
under a wrong tag.
"""

from __future__ import annotations

from functools import cache

from pydicom import config
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from tasks.checks.uid_meaning import identifies_instance, unlisted_ui_tags
from tasks.headers.pseudonyms import map_uid
from tasks.headers.table import SQ_TAGS

DICOM_DEFINED = "1.2.840.10008."


@cache
def unlisted_instance_uid_tags() -> frozenset[int]:
    return frozenset(
        tag
        for tag in unlisted_ui_tags()
        if tag >> 16 != 0x0002 and identifies_instance(tag)  # file meta is rebuilt anyway
    )


def remap_unlisted_uids(ds: Dataset, key: bytes, root: str, actions: dict[int, str]) -> int:
    """Remap, at any depth, the values of unlisted instance-UID attributes that the profile
    gives no action of its own; returns how many elements changed."""
    return _walk(ds, key, root, unlisted_instance_uid_tags(), actions)


@cache
def _defined_as_other_vr(tag: int) -> bool:
    """The dictionary defines ``tag`` with a VR other than UI."""
    try:
        return "UI" not in dictionary_VR(tag)
    except KeyError:
        return False  # unknown tags are removed by the walker


def _mapped(key: bytes, root: str, uid: str) -> str:
    """DICOM-defined UIDs (a standard frame of reference, palette...) identify no one."""
    return uid if uid.startswith(DICOM_DEFINED) else map_uid(key, root, uid)


def _walk(
    ds: Dataset, key: bytes, root: str, unlisted: frozenset[int], actions: dict[int, str]
) -> int:
    """``unlisted`` tags without an action of the profile's own are remapped (tested per
    element: the table holds thousands of actions, a set difference per file costs more)."""
    changed = 0
    for tag, elem in list(ds.items()):
        number = int(tag)
        if number >> 16 & 1:
            continue
        if (number in unlisted and number not in actions) or (
            elem.VR == "UI" and _defined_as_other_vr(number)
        ):
            value = ds[tag].value
            if value:
                values = [value] if isinstance(value, str) else list(value)
                old = [str(v).strip("\x00 ") for v in values]
                new = [_mapped(key, root, v) for v in old]
                if new != old:
                    ds[tag] = DataElement(
                        tag, "UI", new if len(new) > 1 else new[0], validation_mode=config.IGNORE
                    )
                    changed += 1
        elif number in SQ_TAGS or elem.VR == "SQ":
            value = ds[tag].value
            if isinstance(value, Sequence):
                for item in value:
                    changed += _walk(item, key, root, unlisted, actions)
    return changed
