"""Checks stage without Great Expectations: header facts, policy, tables, suites, titles."""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import pandas as pd
import pydicom
import pydicom.data
import pytest
from pydicom.uid import ImplicitVRLittleEndian

from tasks.checks import header_facts, policy, suites, tables
from tasks.checks.check_settings import ChecksProfile
from tasks.checks.run import suite_parameters
from tasks.checks.suggestions import suggest
from tasks.checks.titles import count_title_mentions
from tasks.dicom.fast_reader import Unsupported
from tests.checks_support import clean_release, make_instance, pseudonym, write_instance

WANTED = frozenset(
    ["PatientName", "PatientID", "Rows", "Columns", "PixelSpacing", "SliceThickness",
     "InstanceNumber", "Modality", "StudyDate", "PatientAge", "SOPInstanceUID", "ImageType"]
)  # fmt: skip


FACT_FIELDS = ("tags", "values", "uids", "dates", "private_creators", "texts", "person_names")


def _bundled_files() -> list[str]:
    """pydicom's bundled test files only (get_testdata_files would try to download more)."""
    folder = Path(pydicom.data.__file__).parent / "test_files"
    return sorted(str(p) for p in folder.rglob("*.dcm"))


def test_fast_reader_matches_pydicom_on_bundled_files():
    compared = 0
    for name in _bundled_files():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(name, stop_before_pixels=True)
                reference = header_facts.facts_from_dataset(ds, WANTED)
        except Exception:
            continue
        try:
            fast = header_facts.fast_facts(Path(name), WANTED)
        except (Unsupported, ValueError, UnicodeDecodeError):
            continue  # read_facts falls back to pydicom for these
        compared += 1
        for field in FACT_FIELDS:
            assert getattr(fast, field) == getattr(reference, field), (name, field)
    assert compared >= 30


def test_private_elements_and_nested_uids_are_found(tmp_path):
    item = make_instance("p1", "s", "se", 1)
    ds = item.dataset
    block = ds.private_block(0x0011, "ACME PRIVATE", create=True)
    block.add_new(0x01, "LO", "secret")
    nested = pydicom.Dataset()
    nested.ReferencedSOPInstanceUID = "1.2.3.4.5"
    nested.ContentDate = "20990101"
    ds.ReferencedImageSequence = [nested]
    path = write_instance(tmp_path, item)
    facts = header_facts.read_facts(path, WANTED)
    assert facts.private_creators == ["ACME PRIVATE", "ACME PRIVATE"]
    assert (0x00081155, "1.2.3.4.5") in facts.uids
    assert ("ContentDate", "20990101") in facts.dates
    rules = policy.build_policy(ChecksProfile(), None, today=date(2026, 1, 1))
    assert rules.private_elements_not_allowed(facts.private_creators) == 2
    assert rules.uids_outside_root(facts.uids) == 1
    assert rules.dates_outside_policy(facts.dates) == 1
    allowed = policy.build_policy(ChecksProfile(allowed_private_creators=["ACME PRIVATE"]), None)
    assert allowed.private_elements_not_allowed(facts.private_creators) == 0


def test_implicit_vr_file_falls_back_to_pydicom(tmp_path):
    item = make_instance("p1", "s", "se", 1)
    path = write_instance(tmp_path, item)
    ds = pydicom.dcmread(path)
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    ds.save_as(path, enforce_file_format=True)
    facts = header_facts.read_facts(path, WANTED)
    assert facts.readable and facts.values["PatientID"] == item.patient
    assert facts.values["Rows"] == "512"


def test_unreadable_file_is_flagged(tmp_path):
    path = tmp_path / "x.dcm"
    path.write_bytes(b"not dicom at all")
    assert header_facts.read_facts(path, WANTED).readable is False
    # a truncated header (real file cut in the middle) is not readable either way
    real = (Path(pydicom.data.__file__).parent / "test_files" / "CT_small.dcm").read_bytes()
    path.write_bytes(real[:700])
    facts = header_facts.read_facts(path, WANTED)
    assert facts.readable is False or "Rows" not in facts.values


def test_date_policy_precision_range_and_forbidden():
    checks = ChecksProfile(
        dates={"precision": "year", "earliest": "2000-01-01", "latest": "2030-12-31"}
    )
    rules = policy.build_policy(checks, None)
    assert rules.date_allowed("StudyDate", "20200101")
    assert not rules.date_allowed("StudyDate", "20200314")  # finer than the policy
    assert not rules.date_allowed("StudyDate", "19990101")  # before earliest
    assert not rules.date_allowed("PatientBirthDate", "20200101")  # forbidden attribute
    assert not rules.date_allowed("StudyDate", "garbage")


def test_pseudonym_pattern_follows_header_settings():
    class Pseudonyms:
        patient_prefix, length = "X", 8

    class Headers:
        pseudonyms, uid_root = Pseudonyms(), "1.2.3"

    checks = ChecksProfile()
    assert policy.resolve_pseudonym_pattern(checks, Headers()) == r"^X[A-Z2-7]{8}$"
    assert policy.resolve_uid_root(checks, Headers()) == "1.2.3"
    assert policy.resolve_uid_root(checks, None) == "2.25"
    assert policy.resolve_uid_root(ChecksProfile(check_uid_root=False), None) is None


def test_tables_from_staging(tmp_path):
    clean_release(tmp_path, patients=6, instances=3)
    write_instance(tmp_path, make_instance("p0", "s1", "se1", 7, sex="M"))  # gap 4..6
    checks = ChecksProfile()
    built = tables.build_tables(tmp_path, checks, policy.build_policy(checks, None))
    assert len(built.instances) == 19
    assert len(built.patients) == 6 and len(built.studies) == 6
    assert built.series["instance_number_gaps"].sum() == 3
    assert set(built.instances["age_band"]) == {"40-49"}
    assert set(built.instances["region"]) == {"Nord"}
    assert built.instances["folders_match_uids"].all()
    assert built.instances["patient_folder_matches_id"].all()
    # one row per (patient, value) per attribute: counting rows counts patients
    assert built.patient_values["PatientSex"].value_counts().to_dict() == {"M": 3, "F": 3}
    assert built.reports is None and built.clinical is None


def test_patient_with_several_values_gets_their_combination():
    frame = pd.DataFrame(
        {
            "PatientID": ["A", "A", "B"],
            "BodyPartExamined": ["HEAD", "CHEST", "CHEST"],
            "StudyInstanceUID": ["1", "2", "3"],
        }
    )
    patients = tables.build_patients(frame, None, ["BodyPartExamined"])
    assert patients.set_index("PatientID")["BodyPartExamined"].to_dict() == {
        "A": "CHEST+HEAD",
        "B": "CHEST",
    }


def test_age_bands():
    ages = tables.age_in_years(pd.Series(["045Y", "006M", "090Y", "", None, "12Y", "1X"]))
    bands = tables.age_bands(ages, [0, 18, 60, 90])
    assert bands.tolist() == ["18-59", "0-17", "90+", None, None, "0-17", None]


def test_suggestions_name_counts_and_bands_only():
    checks = ChecksProfile(quasi_identifiers=["PatientSex", "age_band", "region"], k=5)
    rows = [("F", "80-89", "Nord")] * 10 + [("F", "90+", "Nord")] * 2 + [("M", "80-89", "Ile")]
    patients = pd.DataFrame(rows, columns=["PatientSex", "age_band", "region"])
    patients.insert(0, "PatientID", [pseudonym(str(i)) for i in range(len(rows))])
    failed = {
        "small_groups.quasi_identifier_combinations_have_k_patients",
        "small_groups.age_band_groups_have_k_patients",
        "small_groups.region_groups_have_k_patients",
    }
    text = suggest(failed, patients, patients, checks)
    assert any("merge age band 90+ (2 patients) with 80-89" in s for s in text)
    assert any(s.startswith("region: 1 value(s)") for s in text)
    assert any("suppress the 3 patient(s)" in s for s in text)
    assert not any("Ile" in s for s in text)


def test_title_check():
    assert count_title_mentions("Examen demandé par le Dr Lefebvre.") == 1
    assert count_title_mentions("M. DUPONT Jean, vu par Mme Martin") == 2
    assert count_title_mentions("Cher Confrère, merci. Dr [PERSON] a vu Mme <NOM>.") == 0
    assert count_title_mentions("Le scanner thoracique est normal.") == 0


def test_suite_files_load_and_expand():
    checks = ChecksProfile(k_by_column={"region": 100})
    params = suite_parameters(checks, policy.build_policy(checks, None))
    specs = [s for f in suites.load_suites(checks.suites) for s in suites.expand_suite(f, params)]
    by_name = {s.name: s for s in specs}
    assert len(by_name) == len(specs)
    assert by_name["small_groups.region_groups_have_k_patients"].kwargs["min_size"] == 100
    assert by_name["small_groups.patient_sex_groups_have_k_patients"].kwargs["min_size"] == 5
    assert not by_name["residual_identifiers.patient_id_is_pseudonym"].overridable
    assert not by_name["data_quality.rows_in_range"].blocking


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"type": "expect_column_distinct_values_to_be_in_set"}, "field 'type'"),
        ({"kwargs": {"column": "$nope"}}, "unknown setting $nope"),
        ({"table": "elsewhere"}, "field 'table'"),
    ],
)
def test_invalid_suite_names_file_and_field(tmp_path, entry, message):
    base = {"name": "one", "table": "instances", "type": "expect_column_values_to_be_unique",
            "kwargs": {"column": "SOPInstanceUID"}}  # fmt: skip
    base.update(entry)
    path = tmp_path / "broken.yaml"
    import yaml

    path.write_text(yaml.safe_dump({"suite": "broken", "version": 1, "expectations": [base]}))
    with pytest.raises(suites.SuiteError) as error:
        loaded = suites.load_suite_file(path)
        suites.expand_suite(loaded, {})
    assert str(path) in str(error.value) and message in str(error.value)


def test_profile_rejects_unknown_columns():
    with pytest.raises(ValueError, match="quasi_identifiers"):
        ChecksProfile(quasi_identifiers=["Sexe"])
    with pytest.raises(ValueError, match="k_by_column"):
        ChecksProfile(k_by_column={"Manufacturer": 3})


def test_parallel_read_matches_serial(tmp_path):
    clean_release(tmp_path, patients=4, instances=3)
    checks = ChecksProfile()
    rules = policy.build_policy(checks, None)
    files = tables.staged_dicom_files(tmp_path)
    serial = tables.build_instances(files, tmp_path / "dicom", checks, rules, workers=1)
    parallel = tables.build_instances(files, tmp_path / "dicom", checks, rules, workers=2)
    pd.testing.assert_frame_equal(serial, parallel)


def test_a_label_on_many_instances_of_one_patient_is_still_rare(tmp_path):
    clean_release(tmp_path, patients=6, instances=1)
    for n in range(1, 40):  # one patient, 39 instances with an odd label
        write_instance(tmp_path, make_instance("odd", "s1", "se1", n, body_part="ODDPART"))
    checks = ChecksProfile()
    built = tables.build_tables(tmp_path, checks, policy.build_policy(checks, None))
    counts = built.patient_values["BodyPartExamined"].value_counts()
    assert counts["ODDPART"] == 1 and counts["CHEST"] == 6


@pytest.mark.parametrize(
    "path",
    sorted((Path(__file__).resolve().parents[2] / "profiles").glob("*.yaml")),
    ids=lambda p: p.stem,
)
def test_shipped_profiles_expand_into_valid_suites(path):
    from tasks.checks.run import build_specs
    from tasks.config.profile import load_profile

    profile = load_profile(path)
    checks = profile.section("checks")
    specs = build_specs(checks, policy.build_policy(checks, profile.section("headers")))
    assert len({s.name for s in specs}) == len(specs) > 20


def test_an_image_is_an_object_with_pixel_data(tmp_path):
    """Rows without pixel data (a header-only export) is no image: BurnedInAnnotation is
    not asked of it; integer, float and double float pixel data are images."""
    staging = tmp_path / "staging"
    header_only = make_instance("p1", "s", "se", 1)
    header_only.dataset.BurnedInAnnotation = "YES"  # irrelevant without pixels
    paths = [write_instance(staging, header_only)]
    for number, keyword in enumerate(("PixelData", "FloatPixelData", "DoubleFloatPixelData"), 2):
        item = make_instance("p1", "s", "se", number)
        del item.dataset.BurnedInAnnotation
        item.dataset.BitsAllocated = 16 if keyword == "PixelData" else 32
        setattr(item.dataset, keyword, b"\x00" * 8)
        paths.append(write_instance(staging, item))
    checks = ChecksProfile()
    rules = policy.build_policy(checks, None, today=date(2026, 1, 1))
    frame = tables.build_instances([str(p) for p in paths], staging, checks, rules, workers=1)
    assert frame["is_image"].tolist() == [False, True, True, True]
    on_image = frame["burned_in_annotation_on_image"].tolist()
    assert pd.isna(on_image[0]) and on_image[1:] == ["ABSENT", "ABSENT", "ABSENT"]
    for path in paths:  # the pydicom path agrees with the fast one
        reference = header_facts.facts_from_dataset(pydicom.dcmread(path), WANTED)
        assert reference.has_pixel_data == header_facts.read_facts(path, WANTED).has_pixel_data


def test_real_header_only_file_is_no_image():
    # presidio's header-only CR: Rows and Columns, no pixel data
    path = (
        Path(__file__).resolve().parents[1]
        / "data"
        / "headers"
        / "presidio"
        / "0_ORIGINAL_no_pixels.dcm"
    )
    facts = header_facts.read_facts(path, WANTED)
    assert facts.values["Rows"] and facts.has_pixel_data is False
