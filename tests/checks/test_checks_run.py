"""run_checks end to end on crafted staging folders: verdicts, Data Docs, no leaked values."""

from __future__ import annotations

from pathlib import Path

from pydicom.dataset import Dataset

from tasks.checks.check_settings import ChecksProfile
from tasks.checks.run import run_checks
from tasks.config.profile import ReleaseProfile
from tasks.runtime.workspace import Workspace
from tests.checks_support import clean_release, make_instance, write_instance

PLANTED_NAME = "ZORGLUBIAN^QUENTINA"
PLANTED_REGION = "Xyzzyville"
PLANTED_BODY_PART = "PLANTEDKNEE"
PLANTED_PRIVATE = "HiddenSecretValue"
PLANTED_MODEL = "UNIQUESCAN-9000"
PLANTED_PHYSICIAN = "KRAKOWIAKA^BERENICE"


def workspace(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path, "req")
    ws.create()
    return ws


def profile(**checks) -> ReleaseProfile:
    return ReleaseProfile(name="test", sections={"checks": ChecksProfile(**checks)})


def failed(summary) -> set[str]:
    return {r["name"] for r in summary.results if not r["success"]}


def all_output_bytes(ws: Workspace, summary) -> bytes:
    blobs = [summary.markdown.encode(), repr(summary).encode()]
    blobs += [p.read_bytes() for p in ws.evidence.rglob("*") if p.is_file()]
    return b"\n".join(blobs)


def spellings(*values: str) -> list[bytes]:
    out = []
    for value in values:
        parts = [value, *value.replace("^", " ").split()]
        for part in parts:
            out += [part.encode(), part.lower().encode(), part.title().encode()]
    return out


def test_clean_release_passes(tmp_path):
    ws = workspace(tmp_path)
    clean_release(ws.staging)
    (ws.staging / "reports").mkdir()
    (ws.staging / "reports" / "r1.txt").write_text("Scanner thoracique demandé par le Dr [PERSON].")
    summary = run_checks(ws, profile())
    assert summary.passed, summary.markdown
    assert summary.blocking_failed == [] and failed(summary) == set()
    assert summary.counts["patients"] == 12 and summary.counts["reports"] == 1
    assert summary.modalities and sum(summary.modalities.values()) == summary.counts["series"]
    assert all(code.isalnum() for code in summary.modalities)  # codes only, for the card
    assert summary.data_docs_index and Path(summary.data_docs_index).is_file()
    names = {r["name"] for r in summary.results}
    assert "small_groups.quasi_identifier_combinations_have_k_patients" in names
    assert "residual_identifiers.reports_free_of_title_and_name" in names
    assert "PASSED" in summary.markdown
    assert "| pass |" not in summary.markdown  # the gate lists what needs attention only


def test_leaks_and_rare_values_fail_and_stay_out_of_every_output(tmp_path):
    ws = workspace(tmp_path)
    clean_release(ws.staging)
    leaked = make_instance("leak", "s1", "se1", 1, region=PLANTED_REGION)
    ds = leaked.dataset
    ds.PatientName = PLANTED_NAME
    ds.BodyPartExamined = PLANTED_BODY_PART
    ds.ManufacturerModelName = PLANTED_MODEL
    ds.ReferringPhysicianName = PLANTED_PHYSICIAN
    ds.StudyDescription = f"Thorax demandé par le Dr {PLANTED_PHYSICIAN.split('^')[0].title()}"
    ds.BurnedInAnnotation = "YES"  # on an image: it has pixel data
    ds.Rows = ds.Columns = 2
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.PixelData = b"\x00" * 4
    ds.ContentDate = "20991231"  # in the future
    ds.ReferencedSOPInstanceUID = "1.3.6.1.4.1.9590.100.1.2.1"  # outside the release root
    ds.private_block(0x0011, "ACME 1.0", create=True).add_new(0x01, "LO", PLANTED_PRIVATE)
    del ds.PatientIdentityRemoved
    write_instance(ws.staging, leaked)
    (ws.staging / "reports").mkdir()
    (ws.staging / "reports" / "r1.txt").write_text("Vu ce jour par le Dr Zorglubian.")

    summary = run_checks(ws, profile(dpo_may_override=True))

    assert not summary.passed
    expected = {
        "residual_identifiers.patient_name_is_pseudonym_or_empty",
        "residual_identifiers.burned_in_annotation_no_on_images",
        "residual_identifiers.dates_within_policy",
        "residual_identifiers.uids_under_release_root",
        "residual_identifiers.no_private_attributes_unless_allowed",
        "residual_identifiers.patient_identity_removed_present",
        "residual_identifiers.reports_free_of_title_and_name",
        "residual_identifiers.no_other_person_names",
        "residual_identifiers.header_texts_free_of_title_and_name",
        "small_groups.quasi_identifier_combinations_have_k_patients",
        "small_groups.region_groups_have_k_patients",
        "rare_values.region_values_seen_in_m_patients",
        "rare_values.body_part_examined_values_seen_in_m_patients",
        "rare_values.manufacturer_model_name_values_seen_in_m_patients",
    }
    assert expected <= set(summary.blocking_failed), summary.markdown
    assert all(f"| {name} | FAIL |" in summary.markdown for name in expected)
    assert "| residual_identifiers.patient_id_is_pseudonym |" not in summary.markdown
    assert "residual_identifiers.patient_id_is_pseudonym" not in failed(summary)
    # a residual identifier can never be waved through, even when the DPO may override
    assert summary.override_allowed is False
    counts = {r["name"]: r["unexpected_count"] for r in summary.results}
    assert counts["residual_identifiers.patient_name_is_pseudonym_or_empty"] == 1
    assert counts["residual_identifiers.reports_free_of_title_and_name"] == 1
    assert any("region: 1 value(s)" in s for s in summary.suggestions)
    assert any("BodyPartExamined: 1 value(s)" in s for s in summary.suggestions)

    output = all_output_bytes(ws, summary)
    assert len(output) > 10_000  # Data Docs were really written
    for planted in spellings(
        PLANTED_NAME,
        PLANTED_REGION,
        PLANTED_BODY_PART,
        PLANTED_PRIVATE,
        PLANTED_MODEL,
        PLANTED_PHYSICIAN,
    ):
        assert planted not in output, planted


def test_small_groups_can_be_overridden_by_the_dpo_when_the_profile_allows(tmp_path):
    ws = workspace(tmp_path)
    clean_release(ws.staging)
    for n in range(1, 3):  # 2 patients of 95+: a small group and a rare age band
        write_instance(ws.staging, make_instance(f"old{n}", "s1", "se1", 1, age="095Y"))
    summary = run_checks(ws, profile(dpo_may_override=True))
    assert set(summary.blocking_failed) == {
        "small_groups.quasi_identifier_combinations_have_k_patients",
        "small_groups.age_band_groups_have_k_patients",
        "rare_values.age_band_values_seen_in_m_patients",
    }
    assert summary.override_allowed is True
    assert any("merge age band 90+ (2 patients) with 80-89" in s for s in summary.suggestions)
    strict = run_checks(ws, profile())
    assert strict.override_allowed is False and not strict.passed
    relaxed = run_checks(ws, profile(non_blocking=["small_groups.*", "rare_values.*"]))
    assert relaxed.passed and "PASSED with warnings" in relaxed.markdown


def test_rerun_replaces_data_docs(tmp_path):
    ws = workspace(tmp_path)
    clean_release(ws.staging)
    first = run_checks(ws, profile())
    pages = lambda: sorted(p.name for p in (ws.evidence / "data_docs").rglob("*.html"))  # noqa: E731
    before = pages()
    second = run_checks(ws, profile())
    assert first.passed and second.passed
    assert pages() == before  # one run's pages, not two


def test_quality_problems_are_warnings_unless_blocking(tmp_path):
    ws = workspace(tmp_path)
    clean_release(ws.staging, patients=10, instances=3)
    odd = make_instance("p0", "s1", "se1", 9, sex="M")  # instance number gap in a series
    odd.dataset.SliceThickness = "250"
    write_instance(ws.staging, odd)
    stray = ws.staging / "dicom" / "notes.txt"
    stray.write_text("not a DICOM file")
    summary = run_checks(ws, profile())
    problems = failed(summary)
    assert "data_quality.series_no_missing_instance_numbers" in problems
    assert "data_quality.slice_thickness_in_range" in problems
    assert "residual_identifiers.headers_readable" in summary.blocking_failed
    assert "data_quality.slice_thickness_in_range" not in summary.blocking_failed


def test_clinical_csv_is_checked(tmp_path):
    ws = workspace(tmp_path)
    paths = clean_release(ws.staging)
    patient = paths[0].parts[-4]
    (ws.staging / "clinical").mkdir()
    (ws.staging / "clinical" / "clinical.csv").write_text(
        f"patient_id,smoker\n{patient},yes\nDUPONT,no\n"
    )
    checks = {"clinical": {"patient_column": "patient_id", "quasi_identifiers": ["smoker"]}}
    summary = run_checks(ws, profile(**checks))
    assert "residual_identifiers.clinical_patient_is_pseudonym" in summary.blocking_failed
    assert "data_quality.clinical_patients_released" in failed(summary)
    assert b"DUPONT" not in all_output_bytes(ws, summary)


def test_allow_list_of_released_attributes(tmp_path):
    ws = workspace(tmp_path)
    clean_release(ws.staging, patients=10, instances=1)
    extra = make_instance("p0", "s1", "se1", 2, sex="M")
    extra.dataset.OperatorsName = "Operator"
    extra.dataset.ReferencedImageSequence = [Dataset()]
    write_instance(ws.staging, extra)
    keep = [
        "SOPClassUID", "SOPInstanceUID", "StudyDate", "Modality", "Manufacturer",
        "InstitutionName", "PatientName", "PatientID", "PatientSex", "PatientAge",
        "PatientIdentityRemoved", "BodyPartExamined", "SliceThickness", "StudyInstanceUID",
        "SeriesInstanceUID", "InstanceNumber", "Rows", "Columns", "PixelSpacing",
        "BurnedInAnnotation",
    ]  # fmt: skip
    summary = run_checks(ws, profile(released_attributes=keep))
    counts = {r["name"]: r["unexpected_count"] for r in summary.results}
    assert counts["residual_identifiers.attributes_in_allow_list"] == 1
    assert "residual_identifiers.attributes_in_allow_list" in summary.blocking_failed


def test_empty_staging_fails_without_crashing(tmp_path):
    ws = workspace(tmp_path)
    summary = run_checks(ws, profile())
    assert "data_quality.release_has_instances" in summary.blocking_failed
    assert summary.counts["instances"] == 0


def test_required_attributes_are_asked_only_of_objects_whose_iod_has_them(tmp_path):
    """A colour palette has no patient, study or series modules: no Modality is asked of it
    (it failed data_quality.modality_present); a CT without Modality still fails."""
    ws = workspace(tmp_path)
    clean_release(ws.staging)
    palette = make_instance("p0", "palette", "palette", 1)
    palette.dataset.SOPClassUID = "1.2.840.10008.5.1.4.39.1"  # Color Palette Storage
    del palette.dataset.Modality
    write_instance(ws.staging, palette)
    assert "data_quality.modality_present" not in failed(run_checks(ws, profile()))

    ct = make_instance("p1", "s1", "se1", 9)
    del ct.dataset.Modality
    write_instance(ws.staging, ct)
    assert "data_quality.modality_present" in failed(run_checks(ws, profile()))
