"""Erasure across releases and staging copies, on releases built by the real header stage:
none of the patient's instances, reports or clinical rows remain anywhere, every other file
is byte-identical, manifests verify, the audit log names no one."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pydicom
import pytest

from tasks.config.sealed_files import is_sealed, phi_record_role, unseal
from tasks.publish.publication import verify_release
from tasks.rights.erase import RUN_IN_PROGRESS, erase_patient
from tasks.rights.pseudonym import pseudonym_of
from tasks.rights.store import AUDIT_FILE
from tasks.runtime import audit
from tasks.runtime.workspace import Workspace
from tests.rights.test_rights_support import ISSUER, KEY, Cohort, build_cohort, snapshot


@pytest.fixture
def cohort(tmp_path: Path) -> Cohort:
    return build_cohort(tmp_path)


def _traces(cohort: Cohort, request_ids: list[str], index: int, issuer: str = ISSUER) -> set[str]:
    """Everything pseudonymous that points at the patient: pseudonym, accessions, study UIDs."""
    patient_id = cohort.patients[index].patient_id
    values: set[str] = set()
    for request_id in request_ids:
        seen = cohort.seen.get((request_id, patient_id, issuer))
        if seen:
            values |= {seen.pseudonym, *seen.accessions, *seen.studies}
    return values


def _opened(path: Path, data: bytes) -> bytes:
    """A file's clear content: a sealed PHI sidecar is opened with the request's key."""
    if path.parent.name == "phi" and is_sealed(data):
        return unseal(KEY, phi_record_role(path.stem), data)
    return data


def _files_holding(folders: list[Path], values: set[str]) -> list[Path]:
    hits = []
    for path, data in snapshot(folders).items():
        if any(v.encode() in data or v in str(path) for v in values):
            hits.append(path)
    return hits


def _manifest_matches_tree(release: Path) -> None:
    ok, count = verify_release(release)
    names = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    assert ok
    assert count == len(names) - 1  # every file but the manifest itself is listed


def test_pseudonym_recomputed_from_key_matches_header_stage(cohort: Cohort) -> None:
    for (_, patient_id, _issuer), seen in cohort.seen.items():
        assert pseudonym_of(KEY, patient_id, cohort.headers) == seen.pseudonym
        assert pseudonym_of(KEY, patient_id, cohort.headers.pseudonyms) == seen.pseudonym


def test_erase_removes_patient_everywhere_and_nothing_else(cohort: Cohort) -> None:
    target = cohort.patients[1]  # in rel-a, rel-b (published) and rel-c (staging)
    traces = _traces(cohort, ["rel-a", "rel-b", "rel-c"], 1)
    trees = cohort.trees()
    assert _files_holding(trees, traces)  # the patient is there before
    before = snapshot([cohort.base.parent])

    notice = erase_patient(cohort.base, KEY, target.patient_id, ISSUER, cohort.headers)

    assert notice.releases_changed == ["rel-a", "rel-b"]
    assert notice.files_removed == {"rel-a": 8, "rel-b": 8}  # 7 instances + 1 report each
    staging = {c.request_id: c for c in notice.changes if c.location == "staging"}
    assert set(staging) == {"rel-a", "rel-b", "rel-c"}
    assert all(c.rows_removed == 1 for c in notice.changes if c.location != "workspace")
    copies = {c.request_id: c.files_removed for c in notice.changes if c.location == "workspace"}
    assert copies == {"rel-a": 7, "rel-b": 8, "rel-c": 8}  # header outputs (+ quarantined)
    assert notice.problems == ()
    assert _files_holding(trees, traces) == []
    # nothing in the secure zone names the patient any more: sidecars, maps, paths are gone
    assert _files_holding([cohort.base, cohort.out], traces | {target.patient_id}) == []
    pseudonym = pseudonym_of(KEY, target.patient_id, cohort.headers)
    for tree in trees:
        assert not (tree / "dicom" / pseudonym).exists()
        for path in (tree / "dicom").rglob("*.dcm"):
            assert pydicom.dcmread(path, stop_before_pixels=True).PatientID not in traces
    for request_id in ("rel-a", "rel-b"):
        _manifest_matches_tree(cohort.destination(request_id))

    after = snapshot([cohort.base.parent])
    changed = {p for p in before if p in after and before[p] != after[p]}
    removed = set(before) - set(after)
    rights_log = cohort.base / AUDIT_FILE
    assert set(after) - set(before) == {rights_log, audit.head_path(rights_log)}
    assert {p.name for p in changed} == {"MANIFEST.sha256", "clinical.csv"}
    marks = traces | {target.patient_id}  # a quarantined copy is an original
    opened = {p: _opened(p, before[p]) for p in removed}  # sealed sidecars, decrypted
    assert all(any(v.encode() in opened[p] or v in str(p) for v in marks) for p in removed)
    # 2 releases and 3 staging copies, the workspace copies, and 7 PHI sidecars per workspace
    assert len(removed) == 5 * 8 + 7 + 8 + 8 + 3 * 7
    for path in changed:  # only the patient's record went out of the clinical file
        if path.name == "clinical.csv":
            assert after[path].decode() == _without_records(before[path].decode(), traces)

    log = cohort.base / AUDIT_FILE
    assert audit.verify(log)[0]
    entry = audit.read(log)[-1]
    assert entry["event"] == "rights.erasure"
    assert entry["releases"] == {"rel-a": 8, "rel-b": 8}
    text = log.read_text()
    assert target.patient_id not in text and not any(v in text for v in traces)


def _without_records(text: str, traces: set[str]) -> str:
    """The CSV text without the records holding a trace (records may span lines)."""
    records, consumed = [], []

    def lines():
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    for cells in csv.reader(lines()):
        records.append(("".join(consumed), cells))
        consumed.clear()
    return "".join(raw for raw, cells in records if not set(cells) & traces)


def test_erase_twice_changes_nothing_more(cohort: Cohort) -> None:
    target = cohort.patients[2]
    erase_patient(cohort.base, KEY, target.patient_id, ISSUER, cohort.headers)
    before = snapshot(cohort.trees())
    notice = erase_patient(cohort.base, KEY, target.patient_id, ISSUER, cohort.headers)
    assert notice.changes == ()
    assert snapshot(cohort.trees()) == before


def test_erase_with_another_issuer_touches_nothing(cohort: Cohort) -> None:
    before = snapshot(cohort.trees())
    patient_id = cohort.patients[1].patient_id
    notice = erase_patient(cohort.base, KEY, patient_id, "NOT-CHU", cohort.headers)
    assert notice.changes == ()
    assert snapshot(cohort.trees()) == before


def test_same_patient_id_under_another_issuer_is_kept(cohort: Cohort) -> None:
    """rel-d holds patient 0 and, under the same PatientID (hence the same pseudonym), a study
    of another issuer's patient: only patient 0's study, report and row go."""
    patient_id = cohort.patients[0].patient_id
    mine = cohort.seen[("rel-d", patient_id, ISSUER)]
    other = cohort.seen[("rel-d", patient_id, "OTHER-HOSP")]
    staging = cohort.base / "rel-d" / "staging"
    other_files = snapshot([staging / "dicom" / other.pseudonym / s for s in other.studies])
    assert len(other_files) == 7

    work = cohort.base / "rel-d" / "work" / "headers"
    assert len(list(work.glob("*.dcm"))) == 14

    notice = erase_patient(cohort.base, KEY, patient_id, ISSUER, cohort.headers)

    assert len(list(work.glob("*.dcm"))) == 7  # the other issuer's copies stay
    change = next(c for c in notice.changes if c.request_id == "rel-d")
    assert (change.files_removed, change.rows_removed) == (8, 1)
    assert snapshot([staging / "dicom" / other.pseudonym / s for s in other.studies]) == other_files
    assert not any((staging / "dicom" / mine.pseudonym / s).exists() for s in mine.studies)
    assert all((staging / "reports" / f"{a}.txt").exists() for a in other.accessions)
    clinical = (staging / "clinical" / "clinical.csv").read_text()
    assert all(a in clinical for a in other.accessions)
    assert not any(a in clinical for a in mine.accessions)


def test_erase_after_workspace_purged_uses_released_headers(cohort: Cohort) -> None:
    """Without the request's workspace (no PHI sidecars), the pseudonym still finds the
    instances, and their headers and the clinical rows give the accession of the report."""
    shutil.rmtree(cohort.base / "rel-b")
    target = cohort.patients[2]
    traces = _traces(cohort, ["rel-b"], 2)
    release = cohort.destination("rel-b")
    before = snapshot([release])

    notice = erase_patient(cohort.base, KEY, target.patient_id, ISSUER, cohort.headers)

    assert notice.files_removed["rel-b"] == 8
    assert _files_holding([release], traces) == []
    _manifest_matches_tree(release)
    after = snapshot([release])
    assert {p.name for p in before if p in after and before[p] != after[p]} == {
        "MANIFEST.sha256",
        "clinical.csv",
    }


def test_erase_in_staging_of_a_running_request_is_flagged(cohort: Cohort) -> None:
    """A run paused at the gate would publish its staging: the patient is erased from it too,
    and the notice says the run's checks predate the erasure."""
    lock = Workspace(cohort.base, "rel-c").hold_run_lock()
    try:
        notice = erase_patient(
            cohort.base, KEY, cohort.patients[3].patient_id, ISSUER, cohort.headers
        )
    finally:
        lock.close()
    assert notice.problems == (f"staging rel-c: {RUN_IN_PROGRESS}",)
    staging = {c.request_id for c in notice.changes if c.location == "staging"}
    assert staging == {"rel-a", "rel-c"}
    assert f"attention: staging rel-c: {RUN_IN_PROGRESS}" in notice.text()
