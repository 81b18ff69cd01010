"""Subject access: the releases that included the patient, with dates, purposes, counts."""

from __future__ import annotations

from pathlib import Path

from tasks.rights.access import access_report
from tasks.rights.erase import erase_patient
from tasks.rights.store import AUDIT_FILE
from tasks.runtime import audit
from tests.rights.test_rights_support import ISSUER, KEY, build_cohort

COUNTS = {"studies": 1, "dicom_files": 7, "reports": 1, "clinical_rows": 1}


def test_access_lists_the_releases_holding_the_patient(tmp_path: Path) -> None:
    cohort = build_cohort(tmp_path)
    patients = cohort.patients

    report = access_report(cohort.base, KEY, patients[1].patient_id, ISSUER, cohort.headers)
    seen = {request: s for (request, patient_id, _), s in cohort.seen.items()
            if patient_id == patients[1].patient_id}  # fmt: skip
    pseudonyms = {request: s.pseudonym for request, s in seen.items()}
    accessions = {request: sorted(s.accessions) for request, s in seen.items()}
    assert report == [
        {
            "request_id": "rel-a",
            "released_on": "2026-01-15",
            "purpose": "study rel-a",
            "pseudonym": pseudonyms["rel-a"],
            "accessions": accessions["rel-a"],
            "counts": COUNTS,
        },
        {
            "request_id": "rel-b",
            "released_on": "2026-01-15",
            "purpose": "study rel-b",
            "pseudonym": pseudonyms["rel-b"],
            "accessions": accessions["rel-b"],
            "counts": COUNTS,
        },
    ]  # rel-c is staging only: not a release
    assert all(len(entry["accessions"]) == 1 for entry in report)
    only_a = access_report(cohort.base, KEY, patients[3].patient_id, ISSUER, cohort.headers)
    assert [entry["request_id"] for entry in only_a] == ["rel-a"]
    assert access_report(cohort.base, KEY, "IPP-NOBODY", ISSUER, cohort.headers) == []
    assert access_report(cohort.base, KEY, patients[1].patient_id, "OTHER", cohort.headers) == []
    anywhere = access_report(cohort.base, KEY, patients[1].patient_id, "", cohort.headers)
    assert [entry["request_id"] for entry in anywhere] == ["rel-a", "rel-b"]

    erase_patient(cohort.base, KEY, patients[1].patient_id, ISSUER, cohort.headers)
    assert access_report(cohort.base, KEY, patients[1].patient_id, ISSUER, cohort.headers) == []

    log = cohort.base / AUDIT_FILE
    assert audit.verify(log)[0]
    events = [entry["event"] for entry in audit.read(log)]
    assert events.count("rights.access") == 6
    assert not any(p.patient_id in log.read_text() for p in patients)
