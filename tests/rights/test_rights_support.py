"""Builders shared by the rights tests (no tests here): small real releases made with the
synthetic cohort and the real header stage, hand-made reports and clinical CSV rows keyed by
the stage's pseudonyms, published with tasks.publish.publication,
recorded with tasks.rights.releases."""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pydicom
import yaml

from tasks.config.phi import read_record
from tasks.config.profile import load_profile
from tasks.headers.header_stage import anonymise_file
from tasks.publish.publication import publish
from tasks.rights.releases import record_publication, record_release
from tasks.runtime.stage_contract import StageContext
from tasks.runtime.workspace import Workspace
from tasks.synthetic.demo_inputs import DemoPatient, build_demo

KEY = b"rights-test-key-0123456789abcdef"
ISSUER = "CHU-IPP"


@dataclass
class Seen:
    """What the header stage assigned to one (patient, issuer) in one request."""

    pseudonym: str
    accessions: set[str] = field(default_factory=set)
    studies: set[str] = field(default_factory=set)


@dataclass
class Cohort:
    base: Path  # the secure workspace root
    out: Path  # releases are published under here
    patients: list[DemoPatient]
    headers: object  # the profile's headers section (pseudonym settings)
    seen: dict[tuple[str, str, str], Seen] = field(default_factory=dict)  # (request, id, issuer)

    def destination(self, request_id: str) -> Path:
        return self.out / request_id

    def trees(self) -> list[Path]:
        found = [p for p in sorted(self.out.iterdir()) if p.is_dir()]
        return found + sorted(self.base.glob("*/staging"))


def build_cohort(root: Path) -> Cohort:
    """Requests over a 4-patient cohort (7 DICOM files each; header outputs stay in
    work/headers and each request's first input sits in quarantine, as copies erasure must find):
    rel-a: patients 0-3, published; rel-b: patients 1-2, published;
    rel-c: patients 1 and 3, staging only; rel-d: patient 0, plus patient 3's study relabelled
    with patient 0's PatientID under another issuer (same pseudonym, another person), staging.
    """
    demo = build_demo(root / "in", patients=4, image_size=64, with_junk=False)
    profile_path = root / "profile.yaml"
    profile_path.write_text(
        yaml.safe_dump({"name": "rights-test", "headers": {"descriptor_recognisers": False}})
    )
    profile = load_profile(profile_path)
    cohort = Cohort(root / "secure", root / "released", demo.patients, profile.section("headers"))
    folders = sorted(p for p in demo.dicom.iterdir() if p.is_dir())  # one per patient
    by_patient = {p.last: f for p in demo.patients for f in folders if f.name.startswith(p.last)}
    files = {
        i: sorted(x for x in by_patient[p.last].rglob("*") if x.is_file())
        for i, p in enumerate(demo.patients)
    }
    relabelled = _relabel(files[3], demo.patients[0].patient_id, root / "relabelled")
    plan = {
        "rel-a": [f for i in (0, 1, 2, 3) for f in files[i]],
        "rel-b": [f for i in (1, 2) for f in files[i]],
        "rel-c": [f for i in (1, 3) for f in files[i]],
        "rel-d": files[0] + relabelled,
    }
    cohort.out.mkdir(parents=True)
    for request_id, inputs in plan.items():
        _stage(cohort, profile, request_id, inputs)
    for request_id, retention in (
        ("rel-a", {"until": "2027-01-31"}),
        ("rel-b", {"years_after_last_publication": 2}),
    ):
        destination = cohort.destination(request_id)
        counts = publish(cohort.base / request_id / "staging", destination)
        record_release(
            cohort.base,
            request_id,
            f"study {request_id}",
            destination,
            counts["files"],
            released_on=date(2026, 1, 15),
            retention=retention,
        )
    record_publication(cohort.base, "rel-b", date(2026, 3, 1))
    return cohort


def copy_cohort(cohort: Cohort, root: Path) -> Cohort:
    """A private copy (tests that change files); destinations are re-recorded."""
    shutil.copytree(cohort.base.parent, root, symlinks=True, dirs_exist_ok=True)
    text = (root / "secure" / "releases.jsonl").read_text()
    (root / "secure" / "releases.jsonl").write_text(
        text.replace(str(cohort.out.resolve()), str((root / "released").resolve()))
    )
    return Cohort(root / "secure", root / "released", cohort.patients, cohort.headers, cohort.seen)


def snapshot(folders: list[Path]) -> dict[Path, bytes]:
    return {p: p.read_bytes() for f in folders for p in sorted(f.rglob("*")) if p.is_file()}


def _relabel(sources: list[Path], patient_id: str, folder: Path) -> list[Path]:
    out = []
    for n, source in enumerate(sources):
        ds = pydicom.dcmread(source)
        ds.PatientID = patient_id
        ds.IssuerOfPatientID = "OTHER-HOSP"
        target = folder / f"IM{n:04d}"
        target.parent.mkdir(parents=True, exist_ok=True)
        ds.save_as(target)
        out.append(target)
    return out


def _stage(cohort: Cohort, profile, request_id: str, inputs: list[Path]) -> None:
    ws = Workspace(cohort.base, request_id)
    ws.create()
    ctx = StageContext(ws, profile, KEY, None)
    rows: dict[str, str] = {}  # pseudonymous accession -> pseudonymous patient
    for n, source in enumerate(inputs):
        item_id = f"d{n:04d}"
        dst = ws.stage_dir("headers") / f"{item_id}.dcm"
        outcome = anonymise_file(source, dst, item_id, ctx)
        assert outcome.ok, outcome.reason
        target = ws.staging / outcome.release_name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dst, target)  # the stage output stays in work/ (a workspace copy)
        record = read_record(ws, item_id, KEY)
        seen = cohort.seen.setdefault(
            (request_id, record.patient_id, record.issuer), Seen(record.pseudo_patient_id)
        )
        seen.accessions.add(record.pseudo_accession)
        seen.studies.add(record.new_study_uid)
        rows[record.pseudo_accession] = record.pseudo_patient_id
    first = inputs[0]  # a rejected original, as a later stage would quarantine it
    shutil.copyfile(first, ws.quarantine_dir / "d0000.dcm")
    (ws.quarantine_dir / "d0000.reason.json").write_text('{"reason": "pixels.text_remaining"}')
    reports = ws.staging / "reports"
    reports.mkdir(parents=True)
    for accession in rows:
        (reports / f"{accession}.txt").write_text(
            f"Compte rendu {accession}\nConclusion : pneumopathie.\n", encoding="utf-8"
        )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["AccessionNumber", "PatientID", "sex", "comment"])
    for index, (accession, patient) in enumerate(sorted(rows.items())):
        comment = 'suivi\nà 3 mois, "stable"' if index % 2 else "RAS"  # multi-line quoted cell
        writer.writerow([accession, patient, "F", comment])
    (ws.staging / "clinical").mkdir()
    (ws.staging / "clinical" / "clinical.csv").write_text(out.getvalue(), encoding="utf-8")
