"""Per-input identifying values, kept in the secure workspace for later stages' matching.

The header stage writes one record per DICOM input (``work/phi/<item_id>.json``): the
original identifiers (for exact-match redaction in pixels and reports) and the pseudonyms it
assigned (so reports and clinical rows get the same ones). These files never leave the
workspace and their contents never cross a task boundary.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from tasks.runtime import atomic
from tasks.runtime.workspace import Workspace


@dataclass
class PhiRecord:
    patient_id: str = ""  # original PatientID
    issuer: str = ""  # original IssuerOfPatientID
    pseudo_patient_id: str = ""
    accession: str = ""  # original AccessionNumber
    pseudo_accession: str = ""
    study_uid: str = ""  # original StudyInstanceUID
    new_study_uid: str = ""
    date_shift_days: int = 0  # applied to dates when the profile shifts dates
    birth_date: str = ""  # original YYYYMMDD, for age computation in reports/clinical
    study_date: str = ""  # original YYYYMMDD: the reference of ages computed in reports
    # every identifying value found in the dataset, grouped: names (all spellings), ids,
    # dates (YYYYMMDD), institutions, other free text that must not reappear
    identifiers: dict[str, list[str]] = field(default_factory=dict)


def write_record(ws: Workspace, item_id: str, record: PhiRecord, *, durable: bool = True) -> None:
    """Atomic (temp + rename). ``durable=False`` skips the fsync: for a sidecar written next
    to an output that is not fsynced either (the batch's results file is the commit point)."""
    path = ws.phi_path(item_id)
    if durable:
        atomic.write_json(path, asdict(record))
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(asdict(record), indent=1, sort_keys=True, default=str), "utf-8")
    os.replace(tmp, path)


def read_record(ws: Workspace, item_id: str) -> PhiRecord | None:
    path = ws.phi_path(item_id)
    if not path.exists():
        return None
    return PhiRecord(**json.loads(path.read_text(encoding="utf-8")))


def study_index(ws: Workspace) -> dict[str, PhiRecord]:
    """Original AccessionNumber -> one PhiRecord of that study (identifiers merged)."""
    index: dict[str, PhiRecord] = {}
    folder = ws.work / "phi"
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        record = PhiRecord(**json.loads(path.read_text(encoding="utf-8")))
        if not record.accession:
            continue
        known = index.get(record.accession)
        if known is None:
            index[record.accession] = record
            continue
        for group, values in record.identifiers.items():
            merged = known.identifiers.setdefault(group, [])
            merged.extend(v for v in values if v not in merged)
    return index
