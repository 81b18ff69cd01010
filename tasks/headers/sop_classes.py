"""Which objects the header stage takes: every storage SOP class whose content the table, the
removal of private data and the pixel stage can prove clean.

- the classes of ``data/supported_sop_classes.json`` (images, presentation states, SR,
  segmentations, parametric maps, RT objects);
- the other standard storage classes (waveforms such as ECGs, colour palettes, measurements,
  registrations, RT records...): public attributes under the table, private data removed,
  pixel data (if any) through the pixel stage;
- private SOP classes of real devices (a vendor's CT or MR storage, its non-image objects):
  treated the same way, their private payload removed with the private data;

except objects whose payload cannot be proven clean: encapsulated documents (PDF, CDA, STL,
OBJ, MTL), raw data, audio (a recorded voice), and objects that are not instances of a
patient (DICOMDIR, storage commitment, stored print). An Encapsulated Document element in
any object is refused as well (``holds_document``).
"""

from __future__ import annotations

import re
from functools import cache

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import UID

from tasks.headers.table import SQ_TAGS, supported_sop_classes

DICOM_ROOT = "1.2.840.10008."
STORAGE_ROOT = "1.2.840.10008.5.1."
UNPROVABLE = re.compile(r"Encapsulated|Raw Data|Audio|Directory|Commitment|Stored Print")
ENCAPSULATED_DOCUMENT = 0x00420011
VALID_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")


@cache
def accepted(sop_class_uid: str) -> bool:
    """Whether objects of ``sop_class_uid`` can go through the header stage."""
    if sop_class_uid in supported_sop_classes():
        return True
    if not VALID_UID.match(sop_class_uid) or len(sop_class_uid) > 64:
        return False
    if not sop_class_uid.startswith(DICOM_ROOT):
        return True  # a private SOP class: its payload is private data, removed
    uid = UID(sop_class_uid)
    name = uid.name if uid.is_valid and uid.name != sop_class_uid else ""
    if not name or "Storage" not in name or not sop_class_uid.startswith(STORAGE_ROOT):
        return False  # unknown to the registry, or not a storage class: nothing to prove
    return not UNPROVABLE.search(name)


def holds_document(ds: Dataset) -> bool:
    """An Encapsulated Document at any depth (a PDF or CDA can hold anything)."""
    for tag, elem in list(ds.items()):
        if int(tag) == ENCAPSULATED_DOCUMENT:
            return True
        if elem.VR == "SQ" or int(tag) in SQ_TAGS:
            value = ds[tag].value
            if isinstance(value, Sequence) and any(holds_document(item) for item in value):
                return True
    return False
