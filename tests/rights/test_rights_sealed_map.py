"""The pseudonym map and the PHI sidecars are sealed on disk, and the rights commands still
work through them: searched like an attacker would (every identifying value, every spelling),
the raw bytes hold nothing; another key, a changed byte or a moved sidecar is refused by a
named error without values; a workspace written in clear is still served and is sealed by
the next write."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from tasks.config.phi import read_record, sidecars
from tasks.config.sealed_files import MAGIC, PSEUDONYM_MAP, SealedFileError, read_sealed
from tasks.headers.pseudonyms import pseudonym_map_path, read_pseudonym_map, write_pseudonym_map
from tasks.rights.access import access_report
from tasks.rights.erase import erase_patient
from tasks.runtime.workspace import Workspace
from tests.rights.test_rights_support import (
    ISSUER,
    KEY,
    Cohort,
    build_cohort,
    copy_cohort,
    snapshot,
)

WRONG_KEY = b"another-site-key-not-this-one-42"


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Cohort:
    """build_cohort's requests, each with its pseudonym map (as the assemble task writes it).
    Tests that change files (or audit a request) work on a ``copy_cohort``."""
    data = build_cohort(tmp_path_factory.mktemp("sealed-map"))
    for ws in _workspaces(data):
        write_pseudonym_map(ws, KEY)
    return data


def _workspaces(data: Cohort) -> list[Workspace]:
    return [Workspace(data.base, p.parent.name) for p in sorted(data.base.glob("*/work"))]


def _sealed_files(ws: Workspace) -> list[Path]:
    return [pseudonym_map_path(ws), *sorted((ws.work / "phi").glob("*.json"))]


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _needles(data: Cohort) -> set[str]:
    """Every identifying value of every patient in several spellings, and every value the
    sealed files hold (decrypted), long enough not to occur by chance in random bytes."""
    values: set[str] = set()
    for patient in data.patients:
        values.update(patient.spellings())
        for date in (patient.birth_date, patient.study_date):
            values.add(f"{date[:4]}-{date[4:6]}-{date[6:]}")
        values.update({patient.first, patient.last.replace("-", " ")})
    for ws in _workspaces(data):
        for row in read_pseudonym_map(ws, KEY):
            values.update(row.values())
        for item_id, fields in sidecars(ws, KEY):
            record = read_record(ws, item_id, KEY)
            assert record is not None
            values.update(str(v) for v in fields.values() if not isinstance(v, dict))
            values.update(v for group in record.identifiers.values() for v in group)
    return {_folded(v) for v in values if len(v.strip()) >= 6}


def _holding(files: list[Path], needles: set[str]) -> list[str]:
    hits = []
    for path in files:
        raw = path.read_bytes()
        text = _folded(raw.decode("utf-8", "replace") + " " + raw.decode("latin-1"))
        hits += [f"{path.name}: {n}" for n in sorted(needles) if n in text]
    return hits


def test_the_map_and_sidecars_on_disk_hold_no_identifying_value(cohort: Cohort) -> None:
    needles = _needles(cohort)
    ids = {p.patient_id for p in cohort.patients}
    assert ids <= {row["patient_id"] for row in read_pseudonym_map(_workspaces(cohort)[0], KEY)}
    assert {_folded(i) for i in ids} <= needles and len(needles) > 100
    files = [f for ws in _workspaces(cohort) for f in _sealed_files(ws)]
    assert len(files) > 4 * 7
    assert all(f.read_bytes().startswith(MAGIC) for f in files)
    assert _holding(files, needles) == []


def test_access_and_erasure_work_through_the_sealed_files(tmp_path: Path, cohort: Cohort) -> None:
    data = copy_cohort(cohort, tmp_path)
    gone = data.patients[1]
    report = access_report(data.base, KEY, gone.patient_id, ISSUER, data.headers)
    assert [entry["request_id"] for entry in report] == ["rel-a", "rel-b"]
    rel_a = Workspace(data.base, "rel-a")
    mapped = {r["patient_id"]: r["pseudo_patient_id"] for r in read_pseudonym_map(rel_a, KEY)}
    assert report[0]["pseudonym"] == mapped[gone.patient_id]

    erase_patient(data.base, KEY, gone.patient_id, ISSUER, data.headers)
    assert access_report(data.base, KEY, gone.patient_id, ISSUER, data.headers) == []
    for ws in _workspaces(data):
        assert all(f.read_bytes().startswith(MAGIC) for f in _sealed_files(ws))
        left = {row["patient_id"] for row in read_pseudonym_map(ws, KEY)}
        assert gone.patient_id not in left and left  # the others stay in the map
    kept = {row["patient_id"] for row in read_pseudonym_map(rel_a, KEY)}
    assert kept == {p.patient_id for p in data.patients} - {gone.patient_id}


def test_a_wrong_key_is_refused_by_name_and_changes_nothing(tmp_path: Path, cohort: Cohort) -> None:
    data = copy_cohort(cohort, tmp_path)
    person = data.patients[1]
    before = snapshot([data.base.parent])
    messages = []
    for command in (access_report, erase_patient):
        with pytest.raises(SealedFileError) as raised:
            command(data.base, WRONG_KEY, person.patient_id, ISSUER, data.headers)
        messages.append(str(raised.value))
    with pytest.raises(SealedFileError) as raised:
        read_pseudonym_map(Workspace(data.base, "rel-a"), WRONG_KEY)
    messages.append(str(raised.value))
    assert snapshot([data.base.parent]) == before
    needles = _needles(data) | {_folded(WRONG_KEY.decode()), _folded(KEY.decode())}
    assert all("key" in m for m in messages)
    assert [n for m in messages for n in needles if n in _folded(m)] == []


def test_a_changed_byte_or_a_moved_sidecar_is_refused(tmp_path: Path, cohort: Cohort) -> None:
    data = copy_cohort(cohort, tmp_path)
    ws = Workspace(data.base, "rel-b")
    first, second = sorted((ws.work / "phi").glob("*.json"))[:2]
    original = first.read_bytes()

    def access() -> object:
        return access_report(data.base, KEY, data.patients[1].patient_id, ISSUER, data.headers)

    changed = bytearray(original)
    changed[len(changed) // 2] ^= 0x20
    first.write_bytes(bytes(changed))
    with pytest.raises(SealedFileError):
        access()
    first.write_bytes(original)
    assert access()  # restored: served again
    first.write_bytes(second.read_bytes())  # another item's sidecar under this name
    with pytest.raises(SealedFileError):
        access()
    first.write_bytes(original)
    path = pseudonym_map_path(ws)
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(SealedFileError):
        read_pseudonym_map(ws, KEY)


def _unseal_in_place(ws: Workspace) -> None:
    """Rewrite a workspace as the earlier clear format wrote it (JSON sidecars, CSV map)."""
    for item_id, fields in list(sidecars(ws, KEY)):
        text = json.dumps(fields, indent=1, sort_keys=True)
        ws.phi_path(item_id).write_text(text, encoding="utf-8")
    path = pseudonym_map_path(ws)
    path.write_bytes(read_sealed(path, KEY, PSEUDONYM_MAP))


def test_a_workspace_written_in_clear_is_served_and_sealed_by_the_next_write(
    tmp_path: Path, cohort: Cohort
) -> None:
    sealed = copy_cohort(cohort, tmp_path / "sealed")
    clear = copy_cohort(cohort, tmp_path / "clear")
    for ws in _workspaces(clear):
        _unseal_in_place(ws)
    needles = _needles(clear)
    files = [f for ws in _workspaces(clear) for f in _sealed_files(ws)]
    assert _holding(files, needles)  # the earlier format: values in clear
    gone = clear.patients[1]
    expected = access_report(sealed.base, KEY, gone.patient_id, ISSUER, sealed.headers)
    assert access_report(clear.base, KEY, gone.patient_id, ISSUER, clear.headers) == expected

    erase_patient(clear.base, KEY, gone.patient_id, ISSUER, clear.headers)
    touched = [Workspace(clear.base, r) for r in ("rel-a", "rel-b", "rel-c")]  # the person's
    files = [f for ws in touched for f in _sealed_files(ws)]
    assert all(f.read_bytes().startswith(MAGIC) for f in files)
    assert _holding(files, needles) == []
    left = {row["patient_id"] for row in read_pseudonym_map(touched[0], KEY)}
    assert left == {p.patient_id for p in clear.patients} - {gone.patient_id}
