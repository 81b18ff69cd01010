"""Reports and clinical rows of a patient who objected: recorded as opt-outs, not copied,
not mistaken for inputs that match no study."""

from __future__ import annotations

import types
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from tasks.config.phi import PhiRecord, write_record
from tasks.config.profile import ReleaseProfile
from tasks.reports.clinical import pseudonymise_clinical
from tasks.reports.report_settings import ReportProfile
from tasks.reports.report_stage import anonymise_report
from tasks.runtime.stage_contract import StageContext
from tasks.runtime.workspace import Item, Workspace

KEY = b"test-key-0123456789abcdef"


def _objector_file(folder: Path) -> Path:
    ds = Dataset()
    ds.PatientID, ds.PatientName, ds.AccessionNumber = "IPP-OBJ-1", "ROUSSEL^NINA", "ACC-OBJ-9"
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", generate_uid()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    path = folder / "ROUSSEL_NINA" / "IM0001"
    path.parent.mkdir(parents=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def _context(tmp_path: Path) -> StageContext:
    ws = Workspace(tmp_path / "ws", "req-1")
    ws.create()
    source = _objector_file(tmp_path / "in")
    item = Item("d000001", "dicom", str(source))
    ws.write_index([item])
    ws.quarantine(item, "ingest", "ingest.opted_out")
    write_record(ws, "d000002", PhiRecord(accession="ACC-KEPT-1", pseudo_accession="PA1",
                                          pseudo_patient_id="PP1"), KEY)  # fmt: skip
    profile = ReleaseProfile(name="t", sections={"reports": ReportProfile()})
    return StageContext(ws, profile, KEY, types.SimpleNamespace(language="fr"))


def test_a_report_of_a_patient_who_objected_is_an_opt_out(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    report = tmp_path / "ACC-OBJ-9.txt"
    report.write_text("Scanner de Mme Roussel : normal.", encoding="utf-8")
    outcome = anonymise_report(report, tmp_path / "out.txt", "r000001", ctx)
    assert (outcome.ok, outcome.reason) == (False, "reports.opted_out")
    junk = tmp_path / "ACC-NONE-1.txt"
    junk.write_text("Texte sans examen.", encoding="utf-8")
    other = anonymise_report(junk, tmp_path / "out2.txt", "r000002", ctx)
    assert other.reason == "reports.no_matching_study"


def test_clinical_rows_of_a_patient_who_objected_are_counted_not_kept(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    table = tmp_path / "clinical.csv"
    table.write_text(
        "AccessionNumber,Diagnosis\nACC-OBJ-9,fracture\nACC-KEPT-1,normal\nACC-NONE-2,x\n",
        encoding="utf-8",
    )
    outcome = pseudonymise_clinical(table, tmp_path / "out.csv", "c000001", ctx)
    assert outcome.ok, outcome.reason
    assert outcome.counts == {"rows_released": 1, "rows_quarantined": 1, "rows_opted_out": 1}
    kept = "".join(p.read_text() for p in ctx.workspace.quarantine_dir.glob("*.rows.csv"))
    assert "ACC-NONE-2" in kept and "ACC-OBJ-9" not in kept
