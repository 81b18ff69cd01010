"""Purpose-driven generalisation (the FIDAC/CNIL choices): age bands, body-part groups,
institution -> region; and the release-wide rule that needs counts across all files
(regions with fewer than N patients -> "Other")."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pydicom

from tasks.headers.header_settings import HeaderProfile
from tasks.headers.table import BODY_PART, INSTITUTION_NAME, PATIENT_AGE
from tasks.runtime import atomic

RULE_TAGS = ["PatientID", "InstitutionName"]
AGE_UNITS = {"Y": 1.0, "M": 1 / 12, "W": 7 / 365.25, "D": 1 / 365.25}


def age_in_years(age: str, birth_date: str, study_date: str) -> float | None:
    """From Patient's Age (AS, e.g. 045Y), else from birth date and study date."""
    age = (age or "").strip().upper()
    if len(age) == 4 and age[:3].isdigit() and age[3] in AGE_UNITS:
        return int(age[:3]) * AGE_UNITS[age[3]]
    born, seen = _ymd(birth_date), _ymd(study_date)
    if born and seen and seen >= born:
        years = seen.year - born.year - ((seen.month, seen.day) < (born.month, born.day))
        return float(years)
    return None


def _ymd(text: str) -> date | None:
    text = (text or "").strip().replace(".", "")
    if len(text) < 8 or not text[:8].isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def generalised_values(
    profile: HeaderProfile, age: str, birth: str, study_date: str, body_part: str, inst: str
) -> dict[int, str | None]:
    """New values of the generalised attributes (None = remove the attribute)."""
    out: dict[int, str | None] = {}
    if profile.age_bands is not None:
        years = age_in_years(age, birth, study_date)
        out[PATIENT_AGE] = None if years is None else f"{profile.age_bands.band(years)[0]:03d}Y"
    if profile.body_part_groups is not None:
        out[BODY_PART] = profile.body_part_groups.group_of(body_part) if body_part else None
    if profile.regions is not None:
        out[INSTITUTION_NAME] = profile.regions.region_of(inst) if inst.strip() else None
    return out


def apply_release_rules(staging_dicom_dir: Path, profile_section: HeaderProfile) -> dict[str, int]:
    """Release-wide post-pass over staged DICOM files (all of one release): regions holding
    fewer than ``regions.min_patients`` distinct (pseudonymous) patients become
    ``regions.other``. Rewrites only the files concerned (atomically; pixel data untouched).
    Returns counts: files_scanned, regions_generalised, files_rewritten."""
    counts = {"files_scanned": 0, "regions_generalised": 0, "files_rewritten": 0}
    regions = profile_section.regions
    if regions is None:
        return counts
    files = sorted(p for p in Path(staging_dicom_dir).rglob("*.dcm") if p.is_file())
    patients: dict[str, set[str]] = {}
    region_of_file: dict[Path, str] = {}
    for path in files:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=RULE_TAGS)
        counts["files_scanned"] += 1
        region = str(ds.get("InstitutionName", "") or "")
        if region:
            patients.setdefault(region, set()).add(str(ds.get("PatientID", "")))
            region_of_file[path] = region
    small = {
        region
        for region, members in patients.items()
        if len(members) < regions.min_patients and region != regions.other
    }
    counts["regions_generalised"] = len(small)
    for path, region in region_of_file.items():
        if region in small:
            ds = pydicom.dcmread(path)
            ds.InstitutionName = regions.other
            tmp = atomic.temp_path_for(path)
            ds.save_as(tmp, enforce_file_format=True)
            os.replace(tmp, path)
            counts["files_rewritten"] += 1
    return counts
