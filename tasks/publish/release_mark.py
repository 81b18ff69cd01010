"""Name the release inside each released instance (PS3.3 C.7.1.3 Clinical Trial Subject).

ClinicalTrialProtocolID holds the request id, ClinicalTrialSubjectID the patient's pseudonym
(the instance's PatientID), ClinicalTrialSponsorName "Clearance"; the Type 2 protocol name,
site ID and site name are present and empty (no site is named). Instances of two releases
can then never be mistaken for one another, in a research PACS or anywhere else. Values
are the request id and pseudonyms only: no patient or site value is written.
"""

from __future__ import annotations

import os
from pathlib import Path

import pydicom

from tasks.runtime import atomic

SPONSOR = "Clearance"
EMPTY_TYPE_2 = ("ClinicalTrialProtocolName", "ClinicalTrialSiteID", "ClinicalTrialSiteName")


def mark_release(staging_dicom: Path, request_id: str) -> dict[str, int]:
    """Write the release's name into every staged instance; files already marked with it
    are left as they are (a re-run rewrites nothing). Returns files_marked, files_seen."""
    counts = {"files_seen": 0, "files_marked": 0}
    folder = Path(staging_dicom)
    for path in sorted(p for p in folder.rglob("*.dcm") if p.is_file() and not p.is_symlink()):
        counts["files_seen"] += 1
        if _mark_file(path, request_id):
            counts["files_marked"] += 1
    return counts


def _mark_file(path: Path, request_id: str) -> bool:
    ds = pydicom.dcmread(path)
    subject = str(ds.get("PatientID", "") or "")
    wanted = {
        "ClinicalTrialSponsorName": SPONSOR,
        "ClinicalTrialProtocolID": request_id,
        "ClinicalTrialSubjectID": subject,
        **dict.fromkeys(EMPTY_TYPE_2, ""),
    }
    if all(str(ds.get(k, None)) == v and k in ds for k, v in wanted.items()):
        return False
    for keyword, value in wanted.items():
        setattr(ds, keyword, value)
    tmp = atomic.temp_path_for(path)
    try:
        ds.save_as(tmp, enforce_file_format=True)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True
