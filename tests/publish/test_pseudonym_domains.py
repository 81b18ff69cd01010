"""Per-recipient pseudonym domains: two recipients of the same studies share no identifier
(searched in the released bytes, as an attacker holding both releases would), two releases
to the same recipient carry the same ones, and data subjects' rights find the patient in
both (the pseudonym recomputed per release from the key and the recorded domain)."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
import yaml

from flows.context import stage_context
from tasks.config import pseudonym_domain
from tasks.config.keys import key_from_env
from tasks.ingest import indexing, recognition
from tasks.publish.assemble import assemble_staging
from tasks.publish.release_mark import mark_release
from tasks.rights.access import access_report
from tasks.rights.releases import record_release
from tasks.runtime.stage_contract import run_file_stage
from tasks.synthetic.demo_inputs import build_demo

STANDARD_UID_ROOT = "1.2.840.10008."  # transfer syntaxes, SOP classes: not identifiers


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("domains")
    return root, build_demo(root / "in", patients=2, image_size=64, with_junk=False)


def _release(root: Path, request_id: str, domain: str | None) -> Path:
    """Run the identifier-bearing stages (headers, reports, clinical) and assemble."""
    from tasks.headers.header_stage import anonymise_file
    from tasks.reports.clinical import pseudonymise_clinical
    from tasks.reports.report_stage import anonymise_report

    data = {
        "request_id": request_id,
        "purpose": "domain test",
        "requester": "Lab X",
        "approvers": ["Mme Durand (DPO)"],
        "inputs": {"dicom": "in/dicom", "reports": "in/reports", "clinical": "in/clinical.csv"},
        "profile": "default",
        "workspace": "ws",
        "destination": f"out/{request_id}",
        "language": "fr",
    }
    if domain is not None:
        data["pseudonym_domain"] = domain
    path = root / f"{request_id}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    ctx = stage_context(str(path))
    ws = ctx.workspace
    ws.create()
    pseudonym_domain.record(ws.root, pseudonym_domain.domain_of(ctx.request))
    indexing.index_inputs(ws, ctx.request, ctx.profile.batch_size)
    for batch in ws.batches("dicom"):
        recognition.classify_dicom_batch(ws, batch)
        run_file_stage(ctx, "headers", batch, "ingest", anonymise_file, isolated=False)
    for batch in ws.batches("report"):
        run_file_stage(ctx, "reports", batch, "ingest", anonymise_report, ".txt", isolated=False)
    for batch in ws.batches("clinical"):
        run_file_stage(
            ctx, "clinical", batch, "ingest", pseudonymise_clinical, ".csv", isolated=False
        )
    counts = assemble_staging(ws, {"dicom": "headers", "report": "reports", "clinical": "clinical"})
    assert counts.get("lost", 0) == 0
    mark_release(ws.staging / "dicom", request_id)
    record_release(
        ctx.request.workspace,
        request_id,
        "domain test",
        ws.staging,
        counts.get("released", 0),
        pseudonym_domain=pseudonym_domain.domain_of(ctx.request),
    )
    return ws.staging


def _identifiers(release: Path) -> set[str]:
    """Every UID (but the standard's own), patient ID/name, accession and study ID of the
    release, and the pseudonymous names of its reports."""
    found: set[str] = set()

    def visit(ds: pydicom.Dataset) -> None:
        for element in ds:
            if element.VR == "SQ":
                for item in element.value:
                    visit(item)
            elif element.VR == "UI" and element.value:
                values = element.value if element.VM > 1 else [element.value]
                found.update(str(v) for v in values if not str(v).startswith(STANDARD_UID_ROOT))
            elif (
                element.keyword
                in (
                    "PatientID",
                    "PatientName",
                    "AccessionNumber",
                    "StudyID",
                    "ClinicalTrialSubjectID",
                )
                and str(element.value).strip()
            ):
                found.add(str(element.value))

    for path in release.rglob("*.dcm"):
        visit(pydicom.dcmread(path, stop_before_pixels=True))
    found.update(p.stem for p in (release / "reports").glob("*.txt"))
    return found


def _search(needles: set[str], release: Path) -> set[str]:
    """Which needles appear anywhere in the release: file bytes and file names."""
    hits = set()
    blobs = [
        (str(p.relative_to(release)), p.read_bytes()) for p in release.rglob("*") if p.is_file()
    ]
    for needle in needles:
        raw = needle.encode("utf-8")
        if any(raw in data or needle in name for name, data in blobs):
            hits.add(needle)
    return hits


def test_recipients_share_no_identifier_and_one_recipient_stays_consistent(demo) -> None:
    root, cohort = demo
    lab_x = _release(root, "domain-x", None)  # default domain: the requester, "Lab X"
    lab_y = _release(root, "domain-y", "Lab Y")
    lab_x_again = _release(root, "domain-x-again", "  lab   X ")  # same recipient, spelt apart

    ids_x, ids_y = _identifiers(lab_x), _identifiers(lab_y)
    assert len(ids_x) > 20 and len(ids_y) > 20
    assert _search(ids_x, lab_y) == set(), "a release to Lab Y carries Lab X identifiers"
    assert _search(ids_y, lab_x) == set(), "a release to Lab X carries Lab Y identifiers"
    assert _identifiers(lab_x_again) == ids_x
    assert sorted(p.relative_to(lab_x) for p in lab_x.rglob("*")) == sorted(
        p.relative_to(lab_x_again) for p in lab_x_again.rglob("*")
    )
    # clinical rows of the same recipient are the same rows
    clinical_x = sorted((lab_x / "clinical").rglob("*.csv"))
    clinical_again = sorted((lab_x_again / "clinical").rglob("*.csv"))
    assert [p.read_bytes() for p in clinical_x] == [p.read_bytes() for p in clinical_again]

    # each instance names its release
    for release, request_id in ((lab_x, "domain-x"), (lab_y, "domain-y")):
        for path in release.rglob("*.dcm"):
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            assert ds.ClinicalTrialProtocolID == request_id
            assert ds.ClinicalTrialSubjectID == ds.PatientID

    # rights still find the patient in every release, from the key and the recorded domain
    patient = cohort.patients[0]
    profile = stage_context(str(root / "domain-x.yaml")).profile
    found = access_report(
        root / "ws",
        key_from_env(),
        patient.patient_id,
        "",
        profile.section("headers"),
        profile.section("reports").clinical,
    )
    assert {entry["request_id"] for entry in found} == {"domain-x", "domain-y", "domain-x-again"}
    assert all(entry["counts"]["dicom_files"] > 0 for entry in found)


def test_domain_keys_and_request_field(tmp_path: Path) -> None:
    from tasks.config.errors import InvalidRequest
    from tasks.config.request import load_request
    from tasks.headers.pseudonyms import domain_key
    from tests.conftest import write_request

    key = b"k" * 32
    assert domain_key(key, "Lab X") == domain_key(key, " lab   x ")
    assert domain_key(key, "Lab X") != domain_key(key, "Lab Y")
    assert domain_key(key, "Lab X") != domain_key(b"j" * 32, "Lab X")
    request = load_request(write_request(tmp_path))
    assert pseudonym_domain.domain_of(request) == "lab x"  # the requester by default
    with pytest.raises(InvalidRequest, match="pseudonym_domain"):
        load_request(write_request(tmp_path, pseudonym_domain="   "))
