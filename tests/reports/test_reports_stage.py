"""The report file stage end to end on a real workspace (PHI sidecars, quarantine, staging)."""

from __future__ import annotations

import os
import types
from pathlib import Path

import pytest

from tasks.config.phi import PhiRecord, write_record
from tasks.config.profile import ReleaseProfile
from tasks.reports.report_settings import ReportProfile
from tasks.reports.report_stage import anonymise_report
from tasks.runtime.stage_contract import StageContext, run_file_stage
from tasks.runtime.workspace import Item, ItemResult, Workspace

KEY = b"test-key-0123456789abcdef"
REPORT = """CHU de Lille - Service d'imagerie
2 avenue Oscar Lambret, 59037 Lille CEDEX - Tél. 03 20 44 59 62
Patient : M. DUPONT Jean-Marc, né le 12/03/1954, 67 ans
IPP : IPP778899 - Accession : ACC20210045 - NIR 1 54 03 59 350 123 {key}

Scanner thoracique du 15/03/2021 sur Siemens SOMATOM Force (comparaison avec le 2 février 2020).
Nodule du lobe inférieur droit de 8 mm. DLP 312 mGy.cm.
Conclusion : pas d'évolution. Jean-Marc Dupont a été prévenu par téléphone.

Dr Claire Martin
claire.martin@chu-lille.fr
"""
# every identifying value of the input, in all the spellings used above
IDENTIFYING = [
    "Lille",
    "LILLE",
    "Oscar Lambret",
    "59037",
    "03 20 44 59 62",
    "DUPONT",
    "Dupont",
    "Jean-Marc",
    "12/03/1954",
    "IPP778899",
    "ACC20210045",
    "1 54 03 59 350 123",
    "15/03/2021",
    "2 février 2020",
    "SOMATOM",
    "Siemens",
    "Claire",
    "Martin",
    "claire.martin",
    "chu-lille",
    "67 ans",
]


def nir_key(body: str) -> str:
    return f"{97 - int(body.replace(' ', '')) % 97:02d}"


def make_record(shift: int = -17) -> PhiRecord:
    return PhiRecord(
        patient_id="IPP778899",
        pseudo_patient_id="PSEUDO-P-1",
        accession="ACC20210045",
        pseudo_accession="PSEUDOACC1",
        study_uid="1.2.3",
        new_study_uid="2.25.9",
        date_shift_days=shift,
        birth_date="19540312",
        identifiers={
            "names": ["DUPONT^JEAN-MARC"],
            "ids": ["IPP778899", "ACC20210045"],
            "dates": ["20210315", "19540312"],
            "institutions": ["CHU DE LILLE"],
        },
    )


def context(tmp_path: Path, language: str | None = None, **settings) -> StageContext:
    ws = Workspace(tmp_path / "ws", "req-1")
    ws.create()
    profile = ReleaseProfile(name="t", sections={"reports": ReportProfile(**settings)})
    return StageContext(ws, profile, KEY, types.SimpleNamespace(language=language))


def write_report(tmp_path: Path, text: str, name: str = "ACC20210045", encoding="utf-8") -> Path:
    folder = tmp_path / "input"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.txt"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def report_text() -> str:
    return REPORT.format(key=nir_key("1 54 03 59 350 123"))


def test_report_is_cleaned_and_named_by_pseudonym(tmp_path, report_text):
    ctx = context(tmp_path)
    write_record(ctx.workspace, "dcm-1", make_record(), ctx.key)
    src = write_report(tmp_path, report_text)
    dst = tmp_path / "out.txt"
    outcome = anonymise_report(src, dst, "rep-1", ctx)
    assert outcome.ok, outcome.reason
    assert outcome.release_name == "reports/PSEUDOACC1.txt"
    output = dst.read_bytes()
    lowered = output.decode("utf-8").lower()
    for value in IDENTIFYING:
        assert value.lower() not in lowered, value
    text = output.decode("utf-8")
    # dates shifted by the patient's DICOM offset (-17 days), in the same style
    assert "26/02/2021" in text and "16 janvier 2020" in text
    assert "60-74 ans" in text
    for kept in (
        "Scanner thoracique",
        "lobe inférieur droit de 8 mm",
        "DLP 312 mGy.cm",
        "Conclusion",
        "M. [NOM]",
        "Dr [NOM]",
    ):
        assert kept in text, kept
    assert outcome.counts["spans_replaced"] >= 15


def test_latin1_input_and_placeholder_dates(tmp_path, report_text):
    ctx = context(tmp_path, dates="placeholder", ages="placeholder")
    write_record(ctx.workspace, "dcm-1", make_record(), ctx.key)
    src = write_report(tmp_path, report_text, encoding="latin-1")
    dst = tmp_path / "out.txt"
    outcome = anonymise_report(src, dst, "rep-1", ctx)
    assert outcome.ok, outcome.reason
    text = dst.read_text(encoding="utf-8")
    assert "février" not in text and "2021" not in text and "[DATE]" in text and "[AGE]" in text
    assert "inférieur" in text  # decoded correctly


def test_zero_shift_never_releases_original_dates(tmp_path, report_text):
    ctx = context(tmp_path)
    write_record(ctx.workspace, "dcm-1", make_record(shift=0), ctx.key)
    dst = tmp_path / "out.txt"
    outcome = anonymise_report(write_report(tmp_path, report_text), dst, "rep-1", ctx)
    assert outcome.ok
    assert "15/03/2021" not in dst.read_text() and "[DATE]" in dst.read_text()


def test_surrogates_are_consistent_and_leak_nothing(tmp_path, report_text):
    ctx = context(tmp_path, strategy="surrogate")
    write_record(ctx.workspace, "dcm-1", make_record(), ctx.key)
    dst = tmp_path / "out.txt"
    outcome = anonymise_report(write_report(tmp_path, report_text), dst, "rep-1", ctx)
    assert outcome.ok, outcome.reason
    text = dst.read_text()
    for value in IDENTIFYING:
        assert value.lower() not in text.lower(), value
    again = tmp_path / "again.txt"
    assert anonymise_report(write_report(tmp_path, report_text), again, "rep-1", ctx).ok
    assert again.read_text() == text


def test_accession_case_in_file_name_does_not_matter(tmp_path, report_text):
    ctx = context(tmp_path)
    write_record(ctx.workspace, "dcm-1", make_record(), ctx.key)
    src = write_report(tmp_path, report_text, name="acc20210045")
    outcome = anonymise_report(src, tmp_path / "out.txt", "rep-1", ctx)
    assert outcome.ok and outcome.release_name == "reports/PSEUDOACC1.txt"


def test_no_matching_study(tmp_path, report_text):
    ctx = context(tmp_path)
    write_record(ctx.workspace, "dcm-1", make_record(), ctx.key)
    src = write_report(tmp_path, report_text, name="UNKNOWN123")
    outcome = anonymise_report(src, tmp_path / "out.txt", "rep-1", ctx)
    assert (outcome.ok, outcome.reason) == (False, "reports.no_matching_study")


def test_title_gate_quarantines(tmp_path):
    ctx = context(tmp_path)
    write_record(ctx.workspace, "dcm-1", make_record(), ctx.key)
    # "Conclusion" is report vocabulary, so it is not taken for a name: the gate must catch it
    src = write_report(tmp_path, "Examen relu par le Dr Conclusion hier.\n")
    outcome = anonymise_report(src, tmp_path / "out.txt", "rep-1", ctx)
    assert (outcome.ok, outcome.reason) == (False, "reports.title_remaining")
    off = context(tmp_path / "off", title_gate=False)
    write_record(off.workspace, "dcm-1", make_record(), off.key)
    assert anonymise_report(src, tmp_path / "out2.txt", "rep-1", off).ok


def test_english_report(tmp_path):
    ctx = context(tmp_path, language="en")
    write_record(ctx.workspace, "dcm-1", make_record(), ctx.key)
    text = (
        "CT chest, March 15, 2021. Mr Jean-Marc Dupont, a 67-year-old man.\n"
        "7 mm nodule in the right lower lobe.\nDictated by: Dr Claire Martin\n"
    )
    dst = tmp_path / "out.txt"
    assert anonymise_report(write_report(tmp_path, text), dst, "rep-1", ctx).ok
    out = dst.read_text()
    assert "Mr [NAME]" in out and "Dr [NAME]" in out and "February 26, 2021" in out
    assert "60-74-year-old" not in out and "60-74 years" in out
    assert "7 mm nodule in the right lower lobe" in out


def test_run_file_stage_integration(tmp_path, report_text):
    ctx = context(tmp_path)
    ws = ctx.workspace
    write_record(ws, "dcm-1", make_record(), ctx.key)
    good = write_report(tmp_path, report_text)
    orphan = write_report(tmp_path, "Compte rendu sans étude.\n", name="NOSTUDY")
    ws.write_index([Item("rep-1", "report", str(good)), Item("rep-2", "report", str(orphan))])
    ws.write_batches("report", ["rep-1", "rep-2"], 200)
    ws.write_results(
        "ingest",
        "report-0000",
        [
            ItemResult("rep-1", True, path=os.path.relpath(good.resolve(), ws.root)),
            ItemResult("rep-2", True, path=os.path.relpath(orphan.resolve(), ws.root)),
        ],
    )
    counts = run_file_stage(ctx, "reports", "report-0000", "ingest", anonymise_report, ".txt")
    assert counts["ok"] == 1 and counts["quarantined"] == 1
    results = {r.item_id: r for r in ws.read_results("reports", "report-0000")}
    assert results["rep-1"].release_name == "reports/PSEUDOACC1.txt"
    assert results["rep-2"].reason == "reports.no_matching_study"
    assert ws.quarantine_reasons()["rep-2"]["reason"] == "reports.no_matching_study"
