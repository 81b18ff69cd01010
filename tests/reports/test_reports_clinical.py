"""The clinical CSV stage: pseudonyms from the DICOM records, shifted dates, cleaned text."""

from __future__ import annotations

import csv
import io
import types

from tasks.config.phi import PhiRecord, write_record
from tasks.config.profile import ReleaseProfile
from tasks.reports.clinical import pseudonymise_clinical
from tasks.reports.report_settings import ClinicalSettings, ReportProfile
from tasks.runtime.stage_contract import StageContext
from tasks.runtime.workspace import Workspace

KEY = b"test-key-0123456789abcdef"
CSV_TEXT = (
    "AccessionNumber,PatientID,PatientName,StudyDate,Age,Diagnosis,Comment\n"
    "ACC001,IPP111,DUPONT^JEAN,2021-03-15,67,Adénocarcinome,Vu par le Dr Martin le 12/03/2021\n"
    "ACC002,IPP222,DURAND^ANNE,16/04/2020,45,Nodule,Patiente ANNE DURAND tel 06 12 34 56 78\n"
    "ACC999,IPP999,INCONNU^PAUL,2020-01-01,30,Fracture,Paul Inconnu\n"
)
IDENTIFYING = [
    "ACC001",
    "ACC002",
    "IPP111",
    "IPP222",
    "DUPONT",
    "DURAND",
    "JEAN",
    "ANNE",
    "Martin",
    "2021-03-15",
    "16/04/2020",
    "12/03/2021",
    "06 12 34 56 78",
    "ACC999",
    "INCONNU",
    "Paul",
]


def setup(tmp_path, **settings):
    ws = Workspace(tmp_path / "ws", "req-1")
    ws.create()
    for number, (acc, pid, name, shift) in enumerate(
        [("ACC001", "IPP111", "DUPONT^JEAN", -10), ("ACC002", "IPP222", "DURAND^ANNE", 5)]
    ):
        write_record(
            ws,
            f"dcm-{number}",
            PhiRecord(
                patient_id=pid,
                pseudo_patient_id=f"PP{number}",
                accession=acc,
                pseudo_accession=f"PA{number}",
                date_shift_days=shift,
                identifiers={"names": [name], "ids": [pid, acc]},
            ),
            KEY,
        )
    profile = ReleaseProfile(name="t", sections={"reports": ReportProfile(**settings)})
    ctx = StageContext(ws, profile, KEY, types.SimpleNamespace(language="fr"))
    src = tmp_path / "clinical.csv"
    src.write_text(CSV_TEXT, encoding="utf-8")
    return ctx, src


def test_rows_pseudonymised_and_orphans_quarantined(tmp_path):
    ctx, src = setup(tmp_path)
    dst = tmp_path / "out.csv"
    outcome = pseudonymise_clinical(src, dst, "clin-1", ctx)
    assert outcome.ok, outcome.reason
    assert outcome.release_name == "clinical/clinical.csv"
    assert outcome.counts == {"rows_released": 2, "rows_quarantined": 1}
    output = dst.read_text(encoding="utf-8")
    for value in IDENTIFYING:
        assert value.lower() not in output.lower(), value
    rows = list(csv.DictReader(io.StringIO(output)))
    assert list(rows[0]) == [
        "AccessionNumber",
        "PatientID",
        "StudyDate",
        "Age",
        "Diagnosis",
        "Comment",
    ]
    assert [r["AccessionNumber"] for r in rows] == ["PA0", "PA1"]
    assert [r["PatientID"] for r in rows] == ["PP0", "PP1"]
    assert [r["StudyDate"] for r in rows] == ["2021-03-05", "21/04/2020"]
    assert [r["Age"] for r in rows] == ["60-74", "45-59"]
    assert rows[0]["Diagnosis"] == "Adénocarcinome"
    assert rows[0]["Comment"] == "Vu par le Dr [NOM] le 02/03/2021"
    assert "[NOM]" in rows[1]["Comment"] and "[TEL]" in rows[1]["Comment"]
    kept = ctx.workspace.quarantine_dir / "clin-1.no_matching_study.rows.csv"
    assert "ACC999" in kept.read_text()


def test_unknown_columns_can_be_rejected(tmp_path):
    ctx, src = setup(tmp_path, clinical=ClinicalSettings(other_columns="reject"))
    src.write_text("AccessionNumber,Diagnosis,Extra\nACC001,Nodule,x\n", encoding="utf-8")
    outcome = pseudonymise_clinical(src, tmp_path / "out.csv", "clin-1", ctx)
    assert (outcome.ok, outcome.reason) == (False, "reports.clinical_unknown_column")


def test_dates_removed_when_profile_says_so(tmp_path):
    ctx, src = setup(tmp_path, dates="placeholder")
    dst = tmp_path / "out.csv"
    assert pseudonymise_clinical(src, dst, "clin-1", ctx).ok
    rows = list(csv.DictReader(io.StringIO(dst.read_text())))
    assert [r["StudyDate"] for r in rows] == ["", ""]


def test_missing_accession_column(tmp_path):
    ctx, src = setup(tmp_path)
    src.write_text("Patient,Comment\nX,Y\n", encoding="utf-8")
    outcome = pseudonymise_clinical(src, tmp_path / "out.csv", "clin-1", ctx)
    assert (outcome.ok, outcome.reason) == (False, "reports.clinical_no_accession_column")
