"""Crafted staging folders for the checks tests: small pydicom datasets, no pixel data."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"


def pseudonym(seed: str) -> str:
    """Same shape as the header stage's: 'P' + 12 base32 characters."""
    return "P" + base64.b32encode(hashlib.sha256(seed.encode()).digest()).decode()[:12]


def uid(seed: str) -> str:
    return "2.25." + str(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:16], "big"))


@dataclass
class Instance:
    patient: str
    study: str
    series: str
    sop: str
    dataset: Dataset


def make_instance(
    patient_seed: str,
    study_seed: str,
    series_seed: str,
    number: int,
    *,
    sex: str = "F",
    age: str = "045Y",
    region: str = "Nord",
    modality: str = "CT",
    body_part: str = "CHEST",
    manufacturer: str = "ACME",
) -> Instance:
    ds = Dataset()
    patient = pseudonym(patient_seed)
    study = uid(f"study{patient_seed}{study_seed}")
    series = uid(f"series{patient_seed}{study_seed}{series_seed}")
    sop = uid(f"sop{patient_seed}{study_seed}{series_seed}{number}")
    ds.SOPClassUID = CT_IMAGE
    ds.SOPInstanceUID = sop
    ds.StudyDate = "20200314"
    ds.Modality = modality
    ds.Manufacturer = manufacturer
    ds.InstitutionName = region
    ds.PatientName = patient
    ds.PatientID = patient
    ds.PatientSex = sex
    ds.PatientAge = age
    ds.PatientIdentityRemoved = "YES"
    ds.BodyPartExamined = body_part
    ds.SliceThickness = "1.25"
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.InstanceNumber = number
    ds.Rows = 512
    ds.Columns = 512
    ds.PixelSpacing = [0.7, 0.7]
    ds.BurnedInAnnotation = "NO"
    return Instance(patient, study, series, sop, ds)


def write_instance(staging: Path, instance: Instance) -> Path:
    ds = instance.dataset
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    folder = staging / "dicom" / instance.patient / instance.study / instance.series
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{instance.sop}.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def clean_release(staging: Path, patients: int = 12, instances: int = 3) -> list[Path]:
    """A release that passes with k = m = 5: two sexes x one band, one region, one modality."""
    paths = []
    for p in range(patients):
        for n in range(1, instances + 1):
            item = make_instance(f"p{p}", "s1", "se1", n, sex="F" if p % 2 else "M")
            paths.append(write_instance(staging, item))
    return paths
