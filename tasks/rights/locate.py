"""Find one patient's content in releases and staging copies, by pseudonym.

A release tree holds ``dicom/<patient pseudonym>/<study>/<series>/<sop>.dcm``,
``reports/<pseudonymous accession>.txt`` and ``clinical/*.csv`` (rows keyed by the
pseudonymous patient id and accession). The patient's accessions come from the PHI sidecars
of the request's workspace when it still exists, else from the released DICOM headers and
the clinical rows of the pseudonym.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydicom

from tasks.config.phi import sidecars
from tasks.rights import clinical_rows
from tasks.rights.pseudonym import issuers_compatible
from tasks.rights.releases import ReleaseRecord, releases
from tasks.runtime.workspace import Workspace


@dataclass(frozen=True)
class ClinicalColumns:
    patient: str = "PatientID"
    accession: str = "AccessionNumber"
    delimiter: str = ","

    @classmethod
    def of(cls, settings: Any) -> ClinicalColumns:
        """From the reports profile's ``clinical`` settings (or None: the defaults)."""
        if settings is None:
            return cls()
        if isinstance(settings, ClinicalColumns):
            return settings
        return cls(
            getattr(settings, "patient_id_column", None) or "",
            getattr(settings, "accession_column", "AccessionNumber"),
            getattr(settings, "delimiter", ","),
        )


@dataclass(frozen=True)
class Tree:
    request_id: str
    location: str  # "release" | "staging"
    root: Path
    record: ReleaseRecord | None = None


@dataclass(frozen=True)
class PatientScope:
    pseudonym: str
    studies: frozenset[str] | None  # None: everything under dicom/<pseudonym>/
    accessions: frozenset[str]


@dataclass
class PatientContent:
    dicom: list[Path] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    clinical: dict[Path, tuple[str, int]] = field(default_factory=dict)  # new text, rows out
    studies: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)  # release-relative names only

    @property
    def rows(self) -> int:
        return sum(removed for _, removed in self.clinical.values())

    def empty(self) -> bool:
        return not (self.dicom or self.reports or self.rows)


def trees(base: Path) -> list[Tree]:
    """Recorded releases still on disk, then every workspace's staging copy."""
    base = Path(base)
    out: list[Tree] = []
    seen: set[Path] = set()
    for record in releases(base):
        root = record.destination
        if root.is_dir() and not root.is_symlink() and root.resolve() not in seen:
            seen.add(root.resolve())
            out.append(Tree(record.request_id, "release", root, record))
    for staging in sorted(base.glob("*/staging")):
        if staging.is_dir() and not staging.is_symlink() and staging.resolve() not in seen:
            seen.add(staging.resolve())
            out.append(Tree(staging.parent.name, "staging", staging))
    return out


def scope_in(workspace_root: Path, key: bytes, pseudonym: str, issuer: str) -> PatientScope | None:
    """What belongs to the patient in this request; None when the workspace's sidecars show
    the pseudonym only for another issuer (same Patient ID, another patient). ``key``: the
    request's key (``request_key``), which opens its sealed sidecars."""
    ws = Workspace(workspace_root.parent, workspace_root.name)
    records = [data for _, data in sidecars(ws, key) if data.get("pseudo_patient_id") == pseudonym]
    mine = [r for r in records if issuers_compatible(r.get("issuer", ""), issuer)]
    accessions = frozenset(r["pseudo_accession"] for r in mine if r.get("pseudo_accession"))
    if records and not mine:
        return None
    if len(mine) == len(records):
        return PatientScope(pseudonym, None, accessions)
    studies = frozenset(r["new_study_uid"] for r in mine if r.get("new_study_uid"))
    return PatientScope(pseudonym, studies, accessions)


def find_content(root: Path, scope: PatientScope, columns: ClinicalColumns) -> PatientContent:
    content = PatientContent()
    patient_dir = root / "dicom" / scope.pseudonym
    whole = scope.studies is None
    folders = [patient_dir] if whole else [patient_dir / s for s in sorted(scope.studies or ())]
    for folder in folders:
        if folder.is_dir() and not folder.is_symlink():
            content.dicom.extend(sorted(p for p in folder.rglob("*") if _is_file(p)))
    content.studies = {p.relative_to(patient_dir).parts[0] for p in content.dicom}
    accessions = set(scope.accessions)
    if whole:
        accessions |= _header_accessions(content.dicom)
    parsed = _clinical_files(root, columns, content)
    if whole:
        for records, cols in parsed.values():
            for record in records[1:]:
                patient = clinical_rows.cell(record.cells, cols.patient)
                accession = clinical_rows.cell(record.cells, cols.accession)
                if patient == scope.pseudonym and accession:
                    accessions.add(accession)

    def drop(patient: str, accession: str) -> bool:
        if whole and patient == scope.pseudonym:
            return True
        return bool(accession) and accession in accessions

    for path, (records, cols) in parsed.items():
        text, removed = clinical_rows.without_rows(records, cols, drop)
        if removed:
            content.clinical[path] = (text, removed)
    reports = root / "reports"
    for accession in sorted(accessions):
        candidate = reports / f"{accession}.txt"
        if _safe_name(accession) and _is_file(candidate):
            content.reports.append(candidate)
    return content


def _clinical_files(
    root: Path, columns: ClinicalColumns, content: PatientContent
) -> dict[Path, tuple[list[clinical_rows.CsvRecord], clinical_rows.Columns]]:
    folder = root / "clinical"
    out = {}
    for path in sorted(folder.rglob("*.csv")) if folder.is_dir() else []:
        if not _is_file(path):
            continue
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            content.problems.append(f"{path.relative_to(root).as_posix()}: not UTF-8")
            continue
        parsed = clinical_rows.parse(text, columns.patient, columns.accession, columns.delimiter)
        if parsed is None:
            content.problems.append(f"{path.relative_to(root).as_posix()}: no id column")
            continue
        out[path] = parsed
    return out


def _header_accessions(files: list[Path]) -> set[str]:
    found = set()
    for path in files:
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["AccessionNumber"])
        except Exception:  # noqa: BLE001 - unreadable files are still erased
            continue
        value = str(ds.get("AccessionNumber", "") or "").strip()
        if value:
            found.add(value)
    return found


def _is_file(path: Path) -> bool:
    return path.is_file() or path.is_symlink()


def _safe_name(value: str) -> bool:
    return bool(value) and "/" not in value and "\\" not in value and value not in (".", "..")
