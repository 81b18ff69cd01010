"""Opt-out registry: patients (PatientID + issuer) who objected to the reuse of their data.

Stored as ``<base>/optout-registry.csv`` (patient_id, issuer, objected_on), in the secure
workspace root, never in a release. Writes are atomic (temp file + rename) and serialised by
an exclusive lock on a sibling lock file, so concurrent ``add`` calls never lose an entry.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tasks.rights.store import REGISTRY_FILE, audit_rights
from tasks.runtime import atomic

HEADER = ["patient_id", "issuer", "objected_on"]


@dataclass(frozen=True)
class OptOut:
    patient_id: str
    issuer: str  # "" = any issuer
    objected_on: date | None


class OptOutRegistry:
    def __init__(self, base: Path) -> None:
        self.base = Path(base)
        self.path = self.base / REGISTRY_FILE
        self._lock_path = self.base / f".{REGISTRY_FILE}.lock"
        self._cache: tuple[tuple[int, int, int], frozenset[tuple[str, str]]] | None = None

    def add(self, patient_id: str, issuer: str, objected_on: date | None = None) -> bool:
        """Record an objection; False when this (patient_id, issuer) is already registered."""
        patient, authority = patient_id.strip(), (issuer or "").strip()
        if not patient:
            raise ValueError("patient_id must not be blank")
        with self._locked():
            current = self._read()
            if any(e.patient_id == patient and e.issuer == authority for e in current):
                return False
            current.append(OptOut(patient, authority, objected_on or date.today()))
            self._write(current)
        audit_rights(self.base, "rights.optout_added", entries=len(current))
        return True

    def remove(self, patient_id: str, issuer: str) -> bool:
        """Withdraw an objection (the person consents again, or it was recorded in error);
        False when no such (patient_id, issuer) entry exists. Audited."""
        patient, authority = patient_id.strip(), (issuer or "").strip()
        with self._locked():
            current = self._read()
            kept = [e for e in current if (e.patient_id, e.issuer) != (patient, authority)]
            if len(kept) == len(current):
                return False
            self._write(kept)
        audit_rights(self.base, "rights.optout_removed", entries=len(kept))
        return True

    def entries(self) -> list[OptOut]:
        return self._read()

    def contains(self, patient_id: str, issuer: str) -> bool:
        """Exact match on stripped values. An entry with an empty issuer matches any issuer;
        a file without an issuer matches an entry of the same patient id whatever its issuer
        (it cannot be proven to be someone else: excluding it is the safe side)."""
        patient, authority = (patient_id or "").strip(), (issuer or "").strip()
        if not patient:
            return False
        pairs = self._pairs()
        if (patient, authority) in pairs or (patient, "") in pairs:
            return True
        return not authority and any(p == patient for p, _ in pairs)

    # --- storage ------------------------------------------------------------------------
    def _pairs(self) -> frozenset[tuple[str, str]]:
        """Cached per file version (ingest calls ``contains`` once per DICOM file)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return frozenset()
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if self._cache is None or self._cache[0] != stamp:
            pairs = frozenset((e.patient_id, e.issuer) for e in self._read())
            self._cache = (stamp, pairs)
        return self._cache[1]

    def _read(self) -> list[OptOut]:
        if not self.path.exists():
            return []
        with open(self.path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not set(HEADER) <= set(reader.fieldnames):
                raise ValueError(f"{self.path}: needs the columns {', '.join(HEADER)}")
            out = []
            for row in reader:
                patient = (row["patient_id"] or "").strip()
                if patient:
                    when = (row["objected_on"] or "").strip()
                    out.append(
                        OptOut(
                            patient,
                            (row["issuer"] or "").strip(),
                            date.fromisoformat(when) if when else None,
                        )
                    )
            return out

    def _write(self, entries: list[OptOut]) -> None:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        for e in entries:
            when = e.objected_on.isoformat() if e.objected_on else ""
            writer.writerow([e.patient_id, e.issuer, when])
        atomic.write_text(self.path, out.getvalue())

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.base.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
