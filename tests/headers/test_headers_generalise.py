"""FIDAC-style generalisation: age bands, body-part groups, institution -> region, the
release-wide small-region rule, and the pseudonym map for data subjects' rights."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

from tasks.headers.generalise import age_in_years, apply_release_rules
from tasks.headers.header_settings import HeaderProfile
from tasks.headers.header_stage import anonymise_file
from tasks.headers.pseudonyms import read_pseudonym_map, write_pseudonym_map
from tests.headers.test_headers_support import PIXELS, make_ctx, synthetic_ct, write

REGIONS = {"mapping_csv": "fidac/regions.csv", "min_patients": 2}


@pytest.mark.parametrize(
    ("age", "birth", "seen", "years"),
    [
        ("045Y", "", "", 45.0),
        ("006M", "", "", 0.5),
        ("", "19520314", "20210312", 68.0),
        ("", "19520314", "20210314", 69.0),
        ("", "", "20210314", None),
        ("garbage", "1952", "2021", None),
    ],
)
def test_age_in_years(age: str, birth: str, seen: str, years: float | None) -> None:
    assert age_in_years(age, birth, seen) == years


def _run(tmp_path: Path, headers: dict, item: str = "in", **changes: str) -> pydicom.Dataset:
    ctx = make_ctx(tmp_path, {"headers": {"descriptor_recognisers": False, **headers}})
    src = write(synthetic_ct(**changes), tmp_path / f"{item}.dcm")
    dst = tmp_path / "staging" / "dicom" / f"{item}.dcm"
    assert anonymise_file(src, dst, item, ctx).ok
    return pydicom.dcmread(dst)


def test_age_band_replaces_age_with_its_lower_edge(tmp_path: Path) -> None:
    out = _run(tmp_path, {"age_bands": {"edges": [18, 30, 40, 50, 60, 70, 80, 90]}})
    assert out.PatientAge == "060Y"  # 69 -> band 60-69
    assert out.PatientBirthDate == ""


def test_body_part_groups(tmp_path: Path) -> None:
    groups = {"groups": {"THORAX": ["CHEST", "LUNG"], "HEAD": ["HEAD"]}, "other": "OTHER"}
    assert _run(tmp_path, {"body_part_groups": groups}).BodyPartExamined == "THORAX"


def test_institution_to_region_and_unknown_to_other(tmp_path: Path) -> None:
    out = _run(tmp_path / "a", {"regions": REGIONS})
    assert out.InstitutionName == "Hauts-de-France"
    assert "InstitutionAddress" not in out
    out = _run(tmp_path / "b", {"regions": REGIONS}, institution="Clinique du Parc")
    assert out.InstitutionName == "Other"


def test_regions_with_too_few_patients_become_other_release_wide(tmp_path: Path) -> None:
    headers = {"regions": REGIONS}
    # two patients in Lille (Hauts-de-France), one in Lyon (Auvergne-Rhone-Alpes)
    _run(tmp_path, headers, "a", id="P1", name="A^A", sop="1.2.3.1")
    _run(tmp_path, headers, "b", id="P2", name="B^B", sop="1.2.3.2")
    _run(
        tmp_path,
        headers,
        "c",
        id="P3",
        name="C^C",
        sop="1.2.3.3",
        institution="Hospices Civils de Lyon",
    )
    _run(
        tmp_path,
        headers,
        "d",
        id="P3",
        name="C^C",
        sop="1.2.3.4",
        institution="Hospices Civils de Lyon",
    )
    staging = tmp_path / "staging" / "dicom"
    section = HeaderProfile(**headers)
    counts = apply_release_rules(staging, section)
    assert counts == {"files_scanned": 4, "regions_generalised": 1, "files_rewritten": 2}
    regions = {p.name: pydicom.dcmread(p).InstitutionName for p in staging.glob("*.dcm")}
    assert regions == {
        "a.dcm": "Hauts-de-France",
        "b.dcm": "Hauts-de-France",
        "c.dcm": "Other",
        "d.dcm": "Other",
    }
    assert pydicom.dcmread(staging / "c.dcm").PixelData == PIXELS
    assert apply_release_rules(staging, section)["files_rewritten"] == 0  # idempotent


def test_release_rules_without_regions_do_nothing(tmp_path: Path) -> None:
    assert apply_release_rules(tmp_path, HeaderProfile())["files_scanned"] == 0


def test_pseudonym_map_lives_in_the_audit_area(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {"headers": {"descriptor_recognisers": False}})
    for name, pid in (("a", "P1"), ("b", "P1"), ("c", "P2")):
        src = write(synthetic_ct(id=pid, sop=f"1.2.9.{len(name)}{pid[-1]}"), tmp_path / name)
        anonymise_file(src, tmp_path / f"{name}.out", name, ctx)
    assert write_pseudonym_map(ctx.workspace, ctx.key) == 2
    assert (ctx.workspace.audit_dir / "pseudonyms.csv").is_file()
    rows = read_pseudonym_map(ctx.workspace, ctx.key)
    assert {r["patient_id"] for r in rows} == {"P1", "P2"}
    assert all(r["pseudo_patient_id"].startswith("P") and r["new_study_uid"] for r in rows)
