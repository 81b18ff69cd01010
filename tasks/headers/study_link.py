"""Study and Series Instance UIDs for an instance that lacks them, generated from what ties
it to its study, keyed and deterministic (same inputs + same key -> same UIDs, in any file,
run or release).

An instance without a Study Instance UID belongs to the study its Accession Number names
(for that patient), or failing it to the patient's study of that date (Patient ID, or name
and birth date, with Study Date, and Study Time / Study ID when present). With neither,
nothing ties it to a study safely: it is refused. Objects whose IOD has no Patient and
Study modules (colour palettes, hanging protocols, implant templates) belong to no patient:
each is released as its own study. A missing Series Instance UID is derived from the study
and the series' own attributes (Series Number, Modality, Series Date/Time).

The generated value is a keyed pre-image that the walker then remaps like any other UID, so
the released UIDs are under the release root and the pre-image never leaves the stage.
"""

from __future__ import annotations

from functools import cache

from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import RawDataElement, convert_raw_data_element
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

from tasks.config.keys import keyed_digest
from tasks.dicom.pydicom_internals import character_set, elements

GENERATED_STUDY = "generated_study_uid"
GENERATED_SERIES = "generated_series_uid"
# storage classes whose IOD has no Patient / Study module
WITHOUT_PATIENT = frozenset(
    {
        "1.2.840.10008.5.1.4.38.1",  # Hanging Protocol Storage
        "1.2.840.10008.5.1.4.39.1",  # Color Palette Storage
        "1.2.840.10008.5.1.4.43.1",  # Generic Implant Template Storage
        "1.2.840.10008.5.1.4.44.1",  # Implant Assembly Template Storage
        "1.2.840.10008.5.1.4.45.1",  # Implant Template Group Storage
    }
)


# VRs whose raw element pydicom decodes on access with no more than the conversion itself
# (no sequence, no ambiguous VR to resolve); Specific Character Set is decoded its own way
PLAIN_TEXT_VRS = frozenset(
    {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC"}
    | {"UI", "UR", "UT"}
)
SPECIFIC_CHARACTER_SET = 0x00080005


@cache
def _plain_tag(keyword: str) -> BaseTag | None:
    """The tag of a keyword read the fast way: a dictionary attribute of a plain text VR
    whose keyword names nothing of pydicom's Dataset class."""
    tag = tag_for_keyword(keyword)
    if tag is None or tag == SPECIFIC_CHARACTER_SET or hasattr(Dataset, keyword):
        return None
    return BaseTag(tag) if dictionary_VR(tag) in PLAIN_TEXT_VRS else None


def _value_of(ds: Dataset, keyword: str) -> object:
    """``ds.get(keyword)``, the element decoded by pydicom's own conversion and stored in its
    place as ``ds[tag]`` stores it, without the per-access overhead (keyword, tag, item
    set: a third of the cost of the header stage's dozen reads of original values)."""
    tag = _plain_tag(keyword)
    if tag is None:
        return ds.get(keyword)
    element = elements(ds).get(tag)
    if element is None:
        return None
    if not isinstance(element, RawDataElement):
        return element.value  # decoded already
    if element.value is None or (element.VR or dictionary_VR(tag)) not in PLAIN_TEXT_VRS:
        return ds.get(keyword)  # a deferred value, or written with an unexpected VR
    try:
        decoded = convert_raw_data_element(
            element, encoding=ds.original_character_set or character_set(ds), ds=ds
        )
    except AttributeError:
        return None  # as ds.get answers when its attribute access fails
    elements(ds)[tag] = decoded
    return decoded.value


def text_of(ds: Dataset, keyword: str) -> str:
    """An attribute's value as stripped text ("" when absent; multiple values "\\"-joined)."""
    return as_text(_value_of(ds, keyword))


def as_text(value: object) -> str:
    """A decoded value as stripped text (see ``text_of``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if hasattr(value, "__iter__") and not isinstance(value, bytes):
        return "\\".join(str(v) for v in value).strip()
    return str(value).strip()


def study_basis(ds: Dataset) -> str | None:
    """What ties the instance to its study, or None when nothing does."""
    patient = text_of(ds, "PatientID")
    if not patient:
        name = text_of(ds, "PatientName").upper()
        patient = f"name\x00{name}\x00{text_of(ds, 'PatientBirthDate')}" if name else ""
    accession = text_of(ds, "AccessionNumber")
    if accession:
        return f"accession\x00{patient}\x00{accession}"
    study_date = text_of(ds, "StudyDate")
    if patient and study_date:
        time, study_id = text_of(ds, "StudyTime"), text_of(ds, "StudyID")
        return f"date\x00{patient}\x00{study_date}\x00{time}\x00{study_id}"
    if not patient and text_of(ds, "SOPClassUID") in WITHOUT_PATIENT:
        return f"instance\x00{text_of(ds, 'SOPInstanceUID')}"
    return None


def series_basis(ds: Dataset, study_uid: str) -> str:
    parts = [text_of(ds, k) for k in ("SeriesNumber", "Modality", "SeriesDate", "SeriesTime")]
    return "\x00".join([study_uid, *parts])


def generated_uid(key: bytes, purpose: str, basis: str) -> str:
    return f"2.25.{int.from_bytes(keyed_digest(key, purpose, basis)[:16], 'big')}"


def complete_uids(ds: Dataset, key: bytes) -> list[str] | None:
    """Fill a missing Study / Series Instance UID in ``ds``; the flags of what was generated
    (``[]`` when nothing was missing), or None when no study can be tied safely."""
    flags: list[str] = []
    study = text_of(ds, "StudyInstanceUID")
    if not study:
        basis = study_basis(ds)
        if basis is None:
            return None
        study = generated_uid(key, GENERATED_STUDY, basis)
        ds.StudyInstanceUID = study
        flags.append(GENERATED_STUDY)
    if not text_of(ds, "SeriesInstanceUID"):
        ds.SeriesInstanceUID = generated_uid(key, GENERATED_SERIES, series_basis(ds, study))
        flags.append(GENERATED_SERIES)
    return flags
