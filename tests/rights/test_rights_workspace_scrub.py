"""After an erasure a workspace keeps nothing of the person: copies, evidence, rows, input paths,
staging names, sidecars and the pseudonym map; the others' records are untouched."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from tasks.config.phi import PhiRecord, write_record
from tasks.headers.pseudonyms import write_pseudonym_map
from tasks.rights.workspace_records import person_in, scrub
from tasks.runtime import atomic, audit
from tasks.runtime.workspace import Item, Workspace

# invented values; the person's folder name holds their name, as PACS exports do
PERSON = {"id": "IPP-QZ-4471", "name": "QUIMPERLE Zoé", "acc": "ACC-QZ-81", "acc2": "ACC-QZ-82",
          "pseudo": "PQZPSEUDO01", "pacc": "AQZPSEUDO01"}  # fmt: skip
OTHER = {"id": "IPP-WX-9902", "name": "WESTERLO Xavier", "acc": "ACC-WX-17",
         "pseudo": "PWXPSEUDO02", "pacc": "AWXPSEUDO02"}  # fmt: skip
ISSUER = "HOSP-A"
KEY = b"scrub-test-key-0123456789abcdef"  # the request's key: it seals the sidecars


def _dicom(path: Path, patient_id: str, accession: str) -> Path:
    ds = Dataset()
    ds.PatientID, ds.IssuerOfPatientID, ds.AccessionNumber = patient_id, ISSUER, accession
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", generate_uid()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def _workspace(tmp_path: Path, request_id: str, opted_out: bool) -> Workspace:
    """A finished run: the person released (or, when ``opted_out``, excluded at ingest)."""
    inputs = tmp_path / "in" / request_id
    ws = Workspace(tmp_path / "secure", request_id)
    ws.create()
    ws.audit("run_started")
    mine = _dicom(inputs / PERSON["name"] / "IM1", PERSON["id"], PERSON["acc2"])
    theirs = _dicom(inputs / OTHER["name"] / "IM1", OTHER["id"], OTHER["acc"])
    reports = inputs / "reports"
    reports.mkdir()
    for who, acc in ((PERSON, PERSON["acc2"] if opted_out else PERSON["acc"]), (OTHER, None)):
        (reports / f"{acc or who['acc']}.txt").write_text(f"Examen de {who['name']}.")
    clinical = inputs / "clinical.csv"
    clinical.write_text("AccessionNumber,PatientID,x\n")
    items = [
        Item("d1", "dicom", str(mine)),
        Item("d2", "dicom", str(theirs)),
        Item("r1", "report", str(next(reports.glob("ACC-QZ*")))),
        Item("r2", "report", str(reports / f"{OTHER['acc']}.txt")),
        Item("c1", "clinical", str(clinical)),
    ]
    ws.write_index(items)
    who_rows = [(OTHER, "d2")] + ([] if opted_out else [(PERSON, "d1")])
    for who, item in who_rows:
        record = PhiRecord(patient_id=who["id"], issuer=ISSUER, accession=who["acc"],
                           pseudo_patient_id=who["pseudo"],
                           pseudo_accession=who["pacc"])  # fmt: skip
        write_record(ws, item, record, KEY)
        atomic.write_text(ws.stage_dir("headers") / f"{item}.dcm", f"{who['name']} header")
        atomic.write_text(ws.evidence / "pixels" / f"{item}.before.png", f"{who['id']} pixels")
    if opted_out:
        ws.quarantine(items[0], "ingest", "ingest.opted_out")
        ws.quarantine(items[2], "reports", "reports.opted_out")
    else:
        ws.quarantine(items[2], "reports", "reports.title_remaining")  # a copy of the original
    write_pseudonym_map(ws, KEY)
    rows = [[OTHER["acc"], OTHER["id"], "1"], [PERSON["acc"], PERSON["id"], "2"]]
    ws.quarantine_rows("c1", ["AccessionNumber", "PatientID", "x"], rows, "no_matching_study")
    pseudo_rows = f"AccessionNumber,PatientID\n{OTHER['pacc']},{OTHER['pseudo']}\n"
    pseudo_rows += f"{PERSON['pacc']},{PERSON['pseudo']}\n"
    atomic.write_text(ws.stage_dir("clinical") / "c1.csv", pseudo_rows)
    results = [
        {"id": "r1", "ok": True, "path": "work/reports/r1.txt",
         "release_name": f"reports/{PERSON['pacc']}.txt", "reason": None},
        {"id": "r2", "ok": True, "path": "work/reports/r2.txt",
         "release_name": f"reports/{OTHER['pacc']}.txt", "reason": None},
    ]  # fmt: skip
    atomic.write_json(ws.stage_dir("reports") / "results" / "report-0000.json", results)
    staged = [who for who, _ in who_rows]  # the checks' header parts: one value per file
    part = {
        "files": [str(ws.staging / "dicom" / who["pseudo"] / "1.dcm") for who in staged],
        "columns": {"PatientID": [who["pseudo"] for who in staged], "PatientSex": ["F"] * 2},
    }
    atomic.write_json(ws.stage_dir("check-rows") / "dicom-0000.json", part)
    ws.write_manifest({"d2": f"dicom/{OTHER['pseudo']}/1.dcm", "r2": "reports/x.txt"})
    return ws


def _holding(root: Path, values: list[str]) -> list[str]:
    hits = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", "replace") + str(path.relative_to(root))
        hits += [f"{path.relative_to(root)}: {v}" for v in values if v.lower() in text.lower()]
    return hits


def _digests(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_scrub_leaves_nothing_of_the_person_and_keeps_the_others(tmp_path: Path) -> None:
    released = _workspace(tmp_path, "req-a", opted_out=False)
    excluded = _workspace(tmp_path, "req-b", opted_out=True)
    person_values = [PERSON[k] for k in ("id", "name", "acc", "acc2", "pseudo", "pacc")]
    person_values.append(PERSON["name"].split()[0])
    other_values = [OTHER[k] for k in ("id", "name", "acc", "pseudo", "pacc")]
    secure = tmp_path / "secure"
    assert _holding(secure, person_values)
    others_before = {v: len(_holding(secure, [v])) for v in other_values}

    # released: header output, evidence, quarantined report; excluded: nothing was copied
    for ws, files in ((released, 3), (excluded, 0)):
        person = person_in(ws.root, KEY, PERSON["id"], ISSUER, PERSON["pseudo"])
        assert person.items == {"d1", "r1"}
        counts = scrub(ws.root, person, KEY)
        assert counts["files_removed"] == files and counts["records_rewritten"] >= 2
        assert audit.read(ws.audit_log)[-1]["event"] == "rights_erased"
        assert audit.verify(ws.audit_log)[0]

    assert _holding(secure, person_values) == []
    assert {v: len(_holding(secure, [v])) for v in other_values} == others_before
    with open(released.manifest_path, encoding="utf-8") as handle:
        rows = {r["item_id"]: r for r in csv.DictReader(handle)}
    assert rows["d1"]["input_path"] == "erased" and rows["d2"]["input_path"].endswith("IM1")
    index = [json.loads(line) for line in released.index_path.read_text().splitlines()]
    assert [i["source"] == "erased" for i in index] == [True, False, True, False, False]
    part = json.loads((released.stage_dir("check-rows") / "dicom-0000.json").read_text())
    assert part["columns"] == {"PatientID": [OTHER["pseudo"]], "PatientSex": ["F"]}
    # a second erasure finds nothing left and changes nothing
    before = _digests(secure)
    for ws in (released, excluded):
        person = person_in(ws.root, KEY, PERSON["id"], ISSUER, PERSON["pseudo"])
        if not person.empty():
            scrub(ws.root, person, KEY)
    changed = {p for p, data in _digests(secure).items() if before.get(p) != data}
    assert {Path(p).name for p in changed} <= {"audit.jsonl", "audit.jsonl.head"}


def test_another_issuer_with_the_same_id_is_not_scrubbed(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "req-a", opted_out=False)
    person = person_in(ws.root, KEY, PERSON["id"], "ANOTHER-HOSP", PERSON["pseudo"])
    assert person.empty()
