"""Attacker's view on the project's synthetic demo inputs: after the report and clinical
stages, no planted identifying value (any spelling) is left in the output bytes."""

from __future__ import annotations

import re
import types

import pytest

from tasks.config.phi import PhiRecord, write_record
from tasks.config.profile import ReleaseProfile
from tasks.reports.clinical import pseudonymise_clinical
from tasks.reports.report_settings import ReportProfile
from tasks.reports.report_stage import anonymise_report
from tasks.runtime.stage_contract import StageContext
from tasks.runtime.workspace import Workspace
from tasks.synthetic.demo_inputs import build_demo

KEY = b"test-key-0123456789abcdef"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("demo"), patients=6, image_size=64)


def spellings(value: str) -> set[str]:
    out = {value, value.replace("^", " ")}
    out |= {part for part in re.split(r"[\^ ,]+", value) if len(part) >= 3}
    if re.fullmatch(r"\d{8}", value):
        out |= {f"{value[6:]}/{value[4:6]}/{value[:4]}", f"{value[:4]}-{value[4:6]}-{value[6:]}"}
    return out


@pytest.mark.parametrize("with_header_values", [False, True])
def test_demo_reports_and_clinical_leak_nothing(tmp_path, demo, with_header_values):
    ws = Workspace(tmp_path / "ws", "req-demo")
    ws.create()
    for number, p in enumerate(demo.patients):
        identifiers = {}
        if with_header_values:
            identifiers = {
                "names": [f"{p.last}^{p.first}", p.physician],
                "ids": [p.patient_id, p.accession],
                "dates": [p.birth_date, p.study_date],
                "institutions": [p.site[0]],
            }
        write_record(
            ws,
            f"dcm-{number}",
            PhiRecord(
                patient_id=p.patient_id,
                pseudo_patient_id=f"PSEUDOPAT{number}",
                accession=p.accession,
                pseudo_accession=f"PSEUDOACC{number}",
                date_shift_days=-(number + 3),
                birth_date=p.birth_date,
                identifiers=identifiers,
            ),
            KEY,
        )
    ctx = StageContext(
        ws,
        ReleaseProfile(name="t", sections={"reports": ReportProfile()}),
        KEY,
        types.SimpleNamespace(language=None),
    )
    planted = set()
    for value in demo.planted_values():
        if not value.startswith(("1.", "2.")):  # UIDs never appear in reports
            planted |= spellings(value)
    planted |= {f"{p.first}" for p in demo.patients} | {"Oscar Lambret", "Tanneurs", "Curie"}
    outputs = []
    for p in demo.patients:
        dst = tmp_path / f"{p.accession}.out"
        outcome = anonymise_report(demo.reports / f"{p.accession}.txt", dst, "r", ctx)
        assert outcome.ok, outcome.reason
        outputs.append(dst.read_bytes())
    orphan = anonymise_report(demo.reports / "ACC0000000.txt", tmp_path / "o.out", "r", ctx)
    assert orphan.reason == "reports.no_matching_study"
    clinical = tmp_path / "clinical.out"
    outcome = pseudonymise_clinical(demo.clinical, clinical, "clin", ctx)
    assert outcome.ok and outcome.counts == {"rows_released": 6, "rows_quarantined": 1}
    outputs.append(clinical.read_bytes())
    blob = b"\n".join(outputs).decode("utf-8").lower()
    # word boundaries: "Anne" must not be found inside "scanner"
    leaked = sorted(v for v in planted if re.search(rf"(?<!\w){re.escape(v.lower())}(?!\w)", blob))
    assert not leaked, leaked
    assert "lobe inférieur droit, 12 mm" in blob and "siemens" not in blob
