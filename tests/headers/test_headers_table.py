"""The PS3.15 table data file, the compiled plan per option, and profile validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasks.config.errors import InvalidProfile
from tasks.config.profile import load_profile
from tasks.headers import build_data
from tasks.headers.header_settings import HeaderProfile
from tasks.headers.table import (
    TABLE_PATH,
    compile_plan,
    load_table,
    resolve_combined,
    row_action,
    supported_sop_classes,
)
from tests.headers.test_headers_support import ROOT

STUDY_UID, STUDY_DESC, STUDY_DATE, STUDY_TIME = 0x0020000D, 0x00081030, 0x00080020, 0x00080030
INSTITUTION, SERIAL, PATIENT_SEX, PATIENT_AGE = 0x00080080, 0x00181000, 0x00100040, 0x00101010
CONTENT_SEQ, ACQ_CONTEXT = 0x0040A730, 0x00400555


def test_table_has_every_row_of_the_standard_with_attribution() -> None:
    rows = load_table()
    assert len(rows) == 621
    assert {r.basic for r in rows} == {"X", "Z", "D", "U", "X/Z", "X/D", "X/Z/D", "Z/D", "X/Z/U*"}
    data = json.loads(TABLE_PATH.read_text())
    assert "NEMA" in data["attribution"] and "Innolitics" in data["attribution"]
    assert (TABLE_PATH.parent / "LICENSE-innolitics.txt").read_text().startswith("Copyright")
    by_keyword = {r.keyword: r for r in rows}
    assert by_keyword["PatientName"].basic == "Z"
    assert by_keyword["StudyInstanceUID"].basic == "U"
    assert by_keyword["InstitutionName"].options["retain_institution_identity"] == "K"
    assert {r.tag for r in rows} >= {"50XXXXXX", "60XX3000", "60XX4000", "private"}


def test_regeneration_script_reproduces_the_data_file() -> None:
    """The shipped table is exactly what the script builds from the shipped source."""
    assert build_data.SOURCE_FILE.is_relative_to(ROOT / "tasks" / "headers" / "data")
    rebuilt = build_data.build_table(build_data.SOURCE_FILE)
    assert rebuilt == json.loads(TABLE_PATH.read_text())["rows"]
    assert build_data.build_sop_classes() == json.loads(build_data.SOP_FILE.read_text())


def test_supported_sop_classes_are_data() -> None:
    classes = supported_sop_classes()
    assert "1.2.840.10008.5.1.4.1.1.2" in classes  # CT Image Storage
    assert "1.2.840.10008.5.1.4.1.1.88.33" in classes  # Comprehensive SR
    assert "1.2.840.10008.5.1.4.1.1.104.1" not in classes  # Encapsulated PDF
    assert "1.2.840.10008.5.1.4.1.1.9.1.1" not in classes  # 12-lead ECG


def _plan(**settings):
    return compile_plan(HeaderProfile(**settings))


def test_default_plan_is_basic_plus_clean_descriptors_and_shifted_dates() -> None:
    actions = _plan().actions
    assert actions[STUDY_UID] == "U"
    assert actions[STUDY_DESC] == "C"
    assert actions[STUDY_DATE] == "C"  # shifted
    assert actions[STUDY_TIME] == "C"  # kept by the shift (whole days)
    assert actions[0x00100020] == "P" and actions[0x00100010] == "P"  # pseudonyms
    assert actions[0x00080050] == "A" and actions[0x00200010] == "S"
    assert actions[PATIENT_SEX] == "Z" and actions[PATIENT_AGE] == "X"
    assert actions[0x00080070] == "D" and actions[0x00081090] == "X"  # device description


@pytest.mark.parametrize(
    ("settings", "tag", "expected"),
    [
        ({"retain_uids": True}, STUDY_UID, "K"),
        ({"retain_device_identity": True}, SERIAL, "T"),  # kept text: cross-checked
        ({"retain_institution_identity": True}, INSTITUTION, "T"),
        ({"retain_patient_characteristics": True}, PATIENT_SEX, "T"),
        ({"retain_patient_characteristics": True}, PATIENT_AGE, "K"),
        ({"clean_descriptors": False}, STUDY_DESC, "X"),
        ({"dates": {"mode": "keep"}}, STUDY_DATE, "K"),
        ({"dates": {"mode": "remove"}}, STUDY_DATE, "Z"),
        ({"dates": {"mode": "remove"}}, 0x00080021, "D"),  # Series Date X/D -> D
        ({"clean_structured_content": True}, CONTENT_SEQ, "C"),
        ({"clean_structured_content": False}, CONTENT_SEQ, "D"),
        ({"clean_structured_content": True}, ACQ_CONTEXT, "C"),
        ({"clean_graphics": True}, 0x00700001, "C"),
        ({"keep_device_description": True}, 0x00081090, "T"),  # unlisted, coded
        ({"pseudonyms": {"enabled": False}}, 0x00080050, "Z"),
        ({"overrides": {"PatientSex": "K"}}, PATIENT_SEX, "T"),
        ({"overrides": {"PatientSex": "K"}, "cross_check": False}, PATIENT_SEX, "K"),
        ({}, 0x00181160, "T"),  # FilterType: coded, the table does not list it
        ({}, 0x00187006, "C"),  # DetectorDescription: free text the table does not list
        ({"clean_descriptors": False}, 0x00187006, "T"),
        ({}, 0x30020020, "D"),  # RadiationMachineName: device identity, like StationName
        ({"retain_device_identity": True}, 0x30020020, "T"),
        ({"overrides": {"(0018,1000)": {"action": "X", "importance": "useless"}}}, SERIAL, "X"),
        ({"age_bands": {"edges": [18, 65]}}, PATIENT_AGE, "G"),
    ],
)
def test_each_option_changes_its_attributes(settings: dict, tag: int, expected: str) -> None:
    assert _plan(**settings).actions.get(tag) == expected


def test_combined_codes_resolve_to_an_iod_safe_action() -> None:
    rows = {r.keyword: r for r in load_table()}
    none = {name: False for name in ("retain_full_dates", "retain_modified_dates")}
    assert row_action(rows["InstitutionName"], none, False) == "D"  # X/Z/D
    assert row_action(rows["AcquisitionDate"], none, False) == "Z"  # X/Z
    assert row_action(rows["PatientID"], none, False) == "D"  # Z/D
    assert row_action(rows["ReferencedImageSequence"], none, True) == "U"  # X/Z/U*
    assert row_action(rows["OperatorIdentificationSequence"], none, True) == "X"  # X/D on SQ
    assert row_action(rows["InstitutionCodeSequence"], none, True) == "X"  # X/Z/D on SQ
    assert row_action(rows["ReferencedStudySequence"], none, True) == "X"  # X/Z on SQ


def test_date_rows_follow_the_date_policy_not_other_retain_options() -> None:
    plan = _plan(retain_device_identity=True, dates={"mode": "shift"})
    assert plan.actions[0x0018700C] == "C"  # Date of Last Detector Calibration: shifted


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"overrides": {"PatientNam": "X"}}, "PatientNam"),
        ({"overrides": {"PatientName": "Q"}}, "overrides.PatientName"),
        ({"overrides": {"PatientName": "U"}}, "action U"),
        ({"uid_root": "1.02.3"}, "uid_root"),
        ({"dates": {"mode": "blur"}}, "dates.mode"),
        ({"age_bands": {"edges": [30, 18]}}, "ascending"),
        ({"body_part_groups": {"groups": {"chest!": ["CHEST"]}}}, "CS value"),
        ({"regions": {"mapping_csv": "nowhere.csv"}}, "cannot be read"),
        ({"safe_private": [{"creator": "X", "group": 8, "element": 1}]}, "safe_private"),
        ({"unknown_switch": True}, "unknown_switch"),
    ],
)
def test_invalid_profile_sections_are_rejected_naming_the_field(
    tmp_path: Path, settings: dict, message: str
) -> None:
    import yaml

    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"name": "bad", "headers": settings}), encoding="utf-8")
    with pytest.raises(InvalidProfile) as caught:
        load_profile(path)
    assert message in str(caught.value)
    assert "[headers]" in str(caught.value)


@pytest.mark.parametrize("name", ["default", "basic", "fidac"])
def test_shipped_profiles_load(name: str) -> None:
    profile = load_profile(ROOT / "profiles" / f"{name}.yaml")
    section = profile.section("headers")
    assert isinstance(section, HeaderProfile)
    compile_plan(section)


def test_basic_profile_has_no_option_and_fidac_generalises() -> None:
    basic = load_profile(ROOT / "profiles" / "basic.yaml").section("headers")
    assert compile_plan(basic).options_used == ()
    fidac = load_profile(ROOT / "profiles" / "fidac.yaml").section("headers")
    assert fidac.age_bands.band(95) == (90, "90+")
    assert fidac.age_bands.band(18) == (18, "18-29")
    assert fidac.age_bands.band(5) == (0, "0-17")
    assert fidac.body_part_groups.group_of("lung") == "CHEST"
    assert fidac.body_part_groups.group_of("KNEE") == "OTHER"
    assert fidac.regions.region_of("chu  de LILLE") == "Hauts-de-France"
    assert fidac.regions.region_of("Clinique inconnue") == "Other"


def test_combined_codes_follow_the_type_the_iod_gives() -> None:
    plan = compile_plan(HeaderProfile())
    sr = plan.actions_for("1.2.840.10008.5.1.4.1.1.88.33")  # Comprehensive SR
    ct = plan.actions_for("1.2.840.10008.5.1.4.1.1.2")  # CT Image
    assert sr[0x00081111] == "Z"  # Referenced PPS Sequence: Type 2 in SR Document Series
    assert ct[0x00081111] == "X"  # Type 3 in General Series
    assert ct[ACQ_CONTEXT] == sr[ACQ_CONTEXT] == "Z"  # Type 2 in its module
    assert ct[INSTITUTION] == "D"  # Type unknown here: a dummy keeps any Type valid
    overridden = compile_plan(HeaderProfile(overrides={"ReferencedStudySequence": "K"}))
    assert overridden.actions_for("1.2.840.10008.5.1.4.1.1.88.33")[0x00081110] == "K"


@pytest.mark.parametrize(
    ("code", "type_", "expected"),
    [
        ("X/Z/D", 1, "D"),
        ("X/Z/D", 2, "Z"),
        ("X/Z/D", 3, "X"),
        ("X/D", 2, "D"),
        ("Z/D", 3, "Z"),
        ("X/Z", 1, "Z"),
        ("X/Z/U*", 3, "X"),
    ],
)
def test_resolve_combined_by_type(code: str, type_: int, expected: str) -> None:
    assert resolve_combined(code, type_, False) == expected


def test_plans_are_compiled_once_per_profile_content() -> None:
    assert compile_plan(HeaderProfile()) is compile_plan(HeaderProfile())
    assert compile_plan(HeaderProfile(retain_uids=True)) is not compile_plan(HeaderProfile())
