"""Subject access: which releases included the patient (ids, dates, purposes, counts) and
under which pseudonym and pseudonymous accession numbers, release by release (each release
is pseudonymised in its own domain, so the person's identifiers differ between recipients)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tasks.config.keys import key_fingerprint
from tasks.rights.locate import ClinicalColumns, find_content, scope_in, trees
from tasks.rights.pseudonym import pseudonym_of, request_key
from tasks.rights.store import audit_rights


def access_report(
    base: Path,
    key: bytes,
    patient_id: str,
    issuer: str,
    pseudonym_settings: Any,
    clinical_settings: Any = None,
) -> list[dict[str, Any]]:
    """One entry per recorded release (still on disk) holding the patient's data."""
    base = Path(base)
    if not patient_id.strip():
        raise ValueError("patient_id must not be blank")
    columns = ClinicalColumns.of(clinical_settings)
    report = []
    for tree in trees(base):
        if tree.record is None:  # staging copies are not releases
            continue
        used = request_key(base, tree.request_id, key, tree.record.pseudonym_domain)
        pseudonym = pseudonym_of(used, patient_id, pseudonym_settings)
        scope = scope_in(base / tree.request_id, used, pseudonym, issuer)
        if scope is None:
            continue
        content = find_content(tree.root, scope, columns)
        if content.empty():
            continue
        report.append(
            {
                "request_id": tree.record.request_id,
                "released_on": tree.record.released_on.isoformat(),
                "purpose": tree.record.purpose,
                "pseudonym": pseudonym,
                "accessions": sorted(path.stem for path in content.reports),
                "counts": {
                    "studies": len(content.studies),
                    "dicom_files": len(content.dicom),
                    "reports": len(content.reports),
                    "clinical_rows": content.rows,
                },
            }
        )
    audit_rights(
        base,
        "rights.access",
        releases=[entry["request_id"] for entry in report],
        key_fingerprint=key_fingerprint(key),
    )
    return report
