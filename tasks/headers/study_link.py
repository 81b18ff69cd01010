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

from pydicom.dataset import Dataset

from tasks.config.keys import keyed_digest

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


def text_of(ds: Dataset, keyword: str) -> str:
    """An attribute's value as stripped text ("" when absent; multiple values "\\"-joined)."""
    value = ds.get(keyword)
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
