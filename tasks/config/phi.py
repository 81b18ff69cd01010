"""Per-input identifying values, kept in the secure workspace for later stages' matching.

The header stage writes one record per DICOM input (``work/phi/<item_id>.json``): the
original identifiers (for exact-match redaction in pixels and reports) and the pseudonyms it
assigned (so reports and clinical rows get the same ones). These files never leave the
workspace and their contents never cross a task boundary. They are sealed
(``tasks.config.sealed_files``: AES-GCM under a key derived from the request's
pseudonymisation key, bound to the item); a sidecar in the earlier clear JSON is still read
(a workspace written before sealing), and ``seal_clear_records`` seals such sidecars in place.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasks.config.sealed_files import is_sealed, phi_record_role, read_sealed, write_sealed
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


def write_record(
    ws: Workspace, item_id: str, record: PhiRecord, key: bytes, *, durable: bool = True
) -> None:
    """Sealed, atomic (temp + rename). ``durable=False`` skips the fsync: for a sidecar written
    next to an output that is not fsynced either (the batch's results file is the commit
    point). ``key``: the request's pseudonymisation key (the stages' ``ctx.key``)."""
    # the fields as they are (asdict's deep copy costs more than the encryption)
    shallow = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    data = json.dumps(shallow, indent=1, sort_keys=True, default=str).encode("utf-8")
    write_sealed(ws.phi_path(item_id), key, phi_record_role(item_id), data, durable=durable)


def read_record(ws: Workspace, item_id: str, key: bytes) -> PhiRecord | None:
    path = ws.phi_path(item_id)
    if not path.exists():
        return None
    return PhiRecord(**_load(path, key))


def sidecars(ws: Workspace, key: bytes) -> Iterator[tuple[str, dict[str, Any]]]:
    """(item_id, the sidecar's fields) of every sidecar of the workspace, by item id."""
    folder = ws.work / "phi"
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        yield path.stem, _load(path, key)


def study_index(ws: Workspace, key: bytes) -> dict[str, PhiRecord]:
    """Original AccessionNumber -> one PhiRecord of that study (identifiers merged)."""
    index: dict[str, PhiRecord] = {}
    for _, fields in sidecars(ws, key):
        record = PhiRecord(**fields)
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


def seal_clear_records(ws: Workspace, key: bytes) -> int:
    """Seal, in place, the sidecars a workspace holds in the earlier clear format; returns
    how many. Each replaces its clear file by an atomic rename."""
    folder = ws.work / "phi"
    sealed = 0
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        blob = path.read_bytes()
        if is_sealed(blob):
            continue
        item_id = path.stem
        fields = _load(path, key)  # refuses what is neither sealed nor clear JSON
        write_record(ws, item_id, PhiRecord(**fields), key)
        sealed += 1
    return sealed


def _load(path: Path, key: bytes) -> dict[str, Any]:
    data = read_sealed(path, key, phi_record_role(path.stem), clear_format=_clear_json)
    fields = json.loads(data.decode("utf-8"))
    if not isinstance(fields, dict):
        raise ValueError("a PHI sidecar holds a JSON object")
    return fields


def _clear_json(blob: bytes) -> bool:
    """A sidecar written before sealing: a JSON object."""
    return blob.lstrip()[:1] == b"{"
