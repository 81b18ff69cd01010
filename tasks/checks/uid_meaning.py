"""Which UID attributes identify an instance (and so must be under the release root).

Decided from the attribute, never from its value. A UI attribute that PS3.15 Table E.1-1
lists (for replacement, or for removal) identifies something of the patient's: an instance,
a study, a series, a frame of reference, a device... Among the UI attributes the table does
not list, those whose meaning is a class, a coding scheme, a context group, a mapping
resource, a transfer syntax or a software version name something shared by every site (a
vendor's private SOP class included) and identify no one. Any other UI attribute, and any
UI element outside the data dictionary, counts (fail closed).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from pydicom.datadict import DicomDictionary

TABLE_PATH = Path(__file__).resolve().parents[1] / "headers" / "data" / "ps3.15_table_e1-1.json"
# keywords of UI attributes whose value names a definition, not an instance
NOT_INSTANCE = re.compile(
    r"Class"  # SOP classes (affected, referenced, related, in study...), implementation class
    r"|TransferSyntax"
    r"|CodingScheme"
    r"|^ContextUID$|ContextGroupExtensionCreator"
    r"|MappingResource"
    r"|CreatorVersion|PrivateInformationCreator"
    r"|SegmentationTemplate"
)


@cache
def listed_tags() -> frozenset[int]:
    """Tags of the attributes Table E.1-1 lists (single tags; ranges are not UI)."""
    rows = json.loads(TABLE_PATH.read_text(encoding="utf-8"))["rows"]
    return frozenset(
        int(row["tag"], 16)
        for row in rows
        if len(row["tag"]) == 8 and all(c in "0123456789ABCDEFabcdef" for c in row["tag"])
    )


@cache
def unlisted_ui_tags() -> dict[int, str]:
    """UI attributes of the data dictionary that Table E.1-1 does not list -> keyword."""
    listed = listed_tags()
    return {
        tag: entry[4] or ""
        for tag, entry in DicomDictionary.items()
        if isinstance(tag, int) and entry[0] == "UI" and tag not in listed
    }


@cache
def not_instance_tags() -> frozenset[int]:
    """UI attributes of the data dictionary that identify no instance (see module doc)."""
    return frozenset(
        tag for tag, keyword in unlisted_ui_tags().items() if NOT_INSTANCE.search(keyword)
    )


def identifies_instance(tag: int) -> bool:
    """True when a UID held by attribute ``tag`` must be under the release root."""
    return tag not in not_instance_tags()
