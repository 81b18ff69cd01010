"""After an erasure a request's workspace keeps nothing of the person.

The person's inputs in one workspace (``person_in``): the DICOM items of their PHI sidecars,
the DICOM items excluded at ingest because they objected (their Patient ID read back from the
input, where it still is), and the reports whose file name is one of their accession numbers.
``scrub`` then removes, in this order (so an interrupted erasure can simply be run again):

- every intermediate file of those items (``work/<stage>/<item>.*``), quarantined original
  (``quarantine/<item>.*``) and DPO evidence (``evidence/<kind>/<item>.*``, e.g. before/after
  thumbnails);
- their rows in every CSV under ``work/`` (pseudonymised clinical rows) and ``quarantine/``
  (clinical rows set aside), other rows byte-identical, and in the checks' header parts
  (``work/check-rows/*.json``);
- their input paths (which name the person: folders are often "LAST First") in
  ``work/index.jsonl`` and ``manifest.csv``, and their staging names in the stage results,
  replaced by ``erased``;
- their PHI sidecars, then ``audit/pseudonyms.csv`` rebuilt (sealed) from the sidecars left.

The workspace's own audit log records one ``rights_erased`` event with counts.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pydicom

from tasks.config.phi import sidecars
from tasks.rights import clinical_rows
from tasks.rights.pseudonym import issuers_compatible
from tasks.rights.workspace_copies import intermediate_files
from tasks.runtime import atomic
from tasks.runtime.workspace import Workspace

ERASED = "erased"
OPTED_OUT = "ingest.opted_out"


@dataclass
class Person:
    """One person's traces in one workspace: item ids, clear and pseudonymous values."""

    patient_id: str
    pseudonym: str
    items: set[str] = field(default_factory=set)
    sidecars: set[str] = field(default_factory=set)
    accessions: set[str] = field(default_factory=set)
    pseudo_accessions: set[str] = field(default_factory=set)

    def empty(self) -> bool:
        return not self.items


def person_in(
    workspace_root: Path, key: bytes, patient_id: str, issuer: str, pseudonym: str
) -> Person:
    """``key``: the request's key (tasks.rights.pseudonym.request_key): it opens the sealed
    sidecars."""
    person = Person(patient_id.strip(), pseudonym)
    ws = _workspace(workspace_root)
    for item_id, data in sidecars(ws, key):
        if data.get("pseudo_patient_id") != pseudonym:
            continue
        if not issuers_compatible(data.get("issuer", ""), issuer):
            continue
        person.items.add(item_id)
        person.sidecars.add(item_id)
        if data.get("accession"):
            person.accessions.add(str(data["accession"]).strip())
        if data.get("pseudo_accession"):
            person.pseudo_accessions.add(str(data["pseudo_accession"]))
    opted_out = _opted_out_items(ws.quarantine_dir)
    index = list(ws.items()) if ws.index_path.exists() else []
    for item in index:
        if item.item_id in opted_out:
            found, their_issuer, accession = _patient_of(Path(item.source))
            if found == person.patient_id and issuers_compatible(their_issuer, issuer):
                person.items.add(item.item_id)
                if accession:
                    person.accessions.add(accession)
    wanted = {a.upper() for a in person.accessions if a}
    for item in index:
        if item.kind == "report" and Path(item.source).stem.strip().upper() in wanted:
            person.items.add(item.item_id)
    return person


def scrub(
    workspace_root: Path, person: Person, key: bytes, clinical_settings: object = None
) -> dict[str, int]:
    """Remove the person from the workspace; returns counts (no identifiers). ``key``: the
    request's key (the map is rewritten sealed with it); ``clinical_settings``: the reports
    profile's ``clinical`` settings (id column names)."""
    ws = _workspace(workspace_root)
    files = intermediate_files(workspace_root, person.items) + _evidence(ws, person.items)
    for path in files:
        path.unlink(missing_ok=True)
    rows = _scrub_tables(ws, person, clinical_settings) + _scrub_column_parts(ws, person)
    paths = _forget_paths(ws, person.items)
    for item_id in sorted(person.sidecars):
        ws.phi_path(item_id).unlink(missing_ok=True)
    from tasks.headers.pseudonyms import pseudonym_map_path, write_pseudonym_map

    if pseudonym_map_path(ws).exists():
        write_pseudonym_map(ws, key)  # sealed; also seals sidecars left in the clear format
    counts = {"files_removed": len(files), "rows_removed": rows, "records_rewritten": paths}
    counts["sidecars_removed"] = len(person.sidecars)
    if ws.audit_log.exists():
        ws.audit("rights_erased", **counts)
    return counts


def _workspace(root: Path) -> Workspace:
    return Workspace(root.parent, root.name)


def _opted_out_items(folder: Path) -> set[str]:
    found = set()
    for path in sorted(folder.glob("*.reason.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("reason") == OPTED_OUT:
            found.add(str(data.get("item_id") or path.name.split(".", 1)[0]))
    return found


def _patient_of(path: Path) -> tuple[str, str, str]:
    """Patient ID, issuer and accession of an input DICOM file, where it still is."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom's warnings quote values
            ds = pydicom.dcmread(path, stop_before_pixels=True, force=True,
                                 specific_tags=["PatientID", "IssuerOfPatientID",
                                                "AccessionNumber"])  # fmt: skip
    except Exception:  # noqa: BLE001 - gone or unreadable: it cannot be matched
        return "", "", ""
    values = (ds.get(k, "") or "" for k in ("PatientID", "IssuerOfPatientID", "AccessionNumber"))
    patient, issuer, accession = (str(v).strip() for v in values)
    return patient, issuer, accession


def _evidence(ws: Workspace, items: set[str]) -> list[Path]:
    if not items or not ws.evidence.is_dir():
        return []
    return sorted(
        path
        for path in ws.evidence.rglob("*")
        if (path.is_file() or path.is_symlink()) and path.name.split(".", 1)[0] in items
    )


def _scrub_tables(ws: Workspace, person: Person, settings: object) -> int:
    """Drop the person's rows from every CSV of ``work/`` and ``quarantine/``."""
    patients = {person.patient_id, person.pseudonym} - {""}
    accessions = (person.accessions | person.pseudo_accessions) - {""}
    folders = [ws.work, ws.quarantine_dir]
    removed = 0
    for path in sorted(p for f in folders if f.is_dir() for p in f.rglob("*.csv")):
        if not path.is_file() or path.is_symlink():
            continue
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        removed += _without_person(path, text, patients, accessions, settings)
    return removed


def _scrub_column_parts(ws: Workspace, person: Person) -> int:
    """Drop the person's rows from the checks' header parts (``work/*/<part>.json``: the
    staged files and one list of values per column)."""
    removed = 0
    folder = f"/dicom/{person.pseudonym}/"
    for path in sorted(ws.work.glob("*/*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not (isinstance(data, dict) and isinstance(data.get("files"), list)):
            continue
        columns = data.get("columns")
        if not isinstance(columns, dict):
            continue
        ids = columns.get("PatientID") or [None] * len(data["files"])
        keep = [
            i
            for i, file in enumerate(data["files"])
            if folder not in str(file) and (i >= len(ids) or ids[i] != person.pseudonym)
        ]
        if len(keep) == len(data["files"]):
            continue
        removed += len(data["files"]) - len(keep)
        data["files"] = [data["files"][i] for i in keep]
        data["columns"] = {
            name: [values[i] for i in keep] if isinstance(values, list) else values
            for name, values in columns.items()
        }
        atomic.write_json(path, data)
    return removed


def _without_person(path: Path, text: str, patients: set[str], accessions: set[str],
                    settings: object) -> int:  # fmt: skip
    from tasks.rights.locate import ClinicalColumns

    columns = ClinicalColumns.of(settings)
    for patient_column in dict.fromkeys([columns.patient, "PatientID"]):
        parsed = clinical_rows.parse(text, patient_column, columns.accession, columns.delimiter)
        if parsed is None:
            continue
        records, cols = parsed
        new_text, removed = clinical_rows.without_rows(
            records, cols, lambda p, a: p.strip() in patients or a.strip() in accessions
        )
        if removed:
            atomic.write_text(path, new_text)
        return removed
    return 0


def _forget_paths(ws: Workspace, items: set[str]) -> int:
    """Replace the person's input paths and staging names by ``erased``."""
    if not items:
        return 0
    changed = 0
    if ws.index_path.exists():
        lines = ws.index_path.read_text(encoding="utf-8").splitlines()
        out = []
        for line in lines:
            data = json.loads(line) if line.strip() else None
            if data is not None and data.get("id") in items and data.get("source") != ERASED:
                data["source"], changed = ERASED, changed + 1
                line = json.dumps(data)
            out.append(line)
        atomic.write_text(ws.index_path, "".join(f"{line}\n" for line in out))
    if ws.manifest_path.exists():
        changed += _forget_in_manifest(ws.manifest_path, items)
    for results in sorted(ws.work.glob("*/results/*.json")):
        changed += _forget_in_results(results, items)
    return changed


def _forget_in_manifest(path: Path, items: set[str]) -> int:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    if not rows:
        return 0
    header, changed = rows[0], 0
    erase_at = [header.index(c) for c in ("input_path", "output") if c in header]
    for row in rows[1:]:
        if row and row[0] in items and any(row[i] not in ("", ERASED) for i in erase_at):
            for i in erase_at:
                row[i] = ERASED if row[i] else ""
            changed += 1
    if changed:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        atomic.write_text(path, buffer.getvalue())
    return changed


def _forget_in_results(path: Path, items: set[str]) -> int:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    if not isinstance(data, list):
        return 0
    changed = 0
    for entry in data:
        if isinstance(entry, dict) and entry.get("id") in items:
            for key in ("path", "release_name"):
                if entry.get(key) not in (None, ERASED):
                    entry[key], changed = ERASED, changed + 1
    if changed:
        atomic.write_json(path, data)
    return changed
