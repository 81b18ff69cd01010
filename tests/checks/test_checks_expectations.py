"""Custom and built-in expectations through real Great Expectations on crafted tables."""

from __future__ import annotations

import pandas as pd
import pytest

from tasks.checks.gx_runner import _outcome, run_specs
from tasks.checks.suites import ExpectationSpec


def spec(name: str, type_: str, table: str = "patients", **kwargs) -> ExpectationSpec:
    return ExpectationSpec("t", f"t.{name}", table, type_, kwargs, True, True)


def many_patients(groups: dict[tuple[str, str], int]) -> pd.DataFrame:
    rows = []
    for (sex, region), size in groups.items():
        rows += [(sex, region)] * size
    frame = pd.DataFrame(rows, columns=["PatientSex", "region"])
    frame.insert(0, "PatientID", [f"P{i:012d}" for i in range(len(frame))])
    return frame


COMBINATION = "expect_multicolumn_group_size_to_be_at_least"
SINGLE = "expect_column_value_group_size_to_be_at_least"


def test_group_of_three_among_thousands_fails():
    patients = many_patients({("F", "Nord"): 1500, ("M", "Nord"): 1497, ("M", "Sud"): 3})
    outcomes = run_specs(
        [
            spec("combo", COMBINATION, column_list=["PatientSex", "region"], min_size=5),
            spec("region", SINGLE, column="region", min_size=5),
            spec("sex", SINGLE, column="PatientSex", min_size=5),
        ],
        {"patients": patients},
        None,
    )
    by_name = {o.spec.name: o for o in outcomes}
    assert not by_name["t.combo"].success and by_name["t.combo"].unexpected_count == 3
    assert not by_name["t.region"].success and by_name["t.region"].unexpected_count == 3
    assert by_name["t.sex"].success and by_name["t.sex"].unexpected_count == 0
    assert not any(o.error for o in outcomes)


def test_custom_expectation_really_executes():
    """A suite whose only expectation is the custom one fails on bad data, passes on good."""
    only = [spec("only", SINGLE, column="region", min_size=2)]
    bad = many_patients({("F", "Nord"): 5, ("F", "Sud"): 1})
    good = many_patients({("F", "Nord"): 5, ("F", "Sud"): 2})
    [failed] = run_specs(only, {"patients": bad}, None)
    [passed] = run_specs(only, {"patients": good}, None)
    assert (failed.success, failed.unexpected_count, failed.error) == (False, 1, False)
    assert (passed.success, passed.unexpected_count) == (True, 0)
    combo = [spec("combo", COMBINATION, column_list=["PatientSex", "region"], min_size=2)]
    [failed_combo] = run_specs(combo, {"patients": bad}, None)
    assert failed_combo.unexpected_count == 1 and not failed_combo.error


def test_label_used_once_fails_rare_values():
    values = pd.DataFrame({"BodyPartExamined": ["CHEST"] * 40 + ["HEAD"] * 12 + ["KNEEZ"]})
    [outcome] = run_specs(
        [spec("rare", SINGLE, table="patient_values", column="BodyPartExamined", min_size=5)],
        {"patient_values": values},
        None,
    )
    assert not outcome.success and outcome.unexpected_count == 1


def test_missing_values_form_their_own_group_in_combinations():
    patients = many_patients({("F", "Nord"): 6})
    patients.loc[0, "region"] = None
    [combo] = run_specs(
        [
            spec(
                "combo",
                COMBINATION,
                column_list=["PatientSex", "region"],
                min_size=2,
                ignore_row_if="never",
            )
        ],
        {"patients": patients},
        None,
    )
    assert combo.unexpected_count == 1


def test_skipped_or_failing_expectation_never_counts_as_passed():
    # what GE does with an expectation it could not run: no result, or an exception
    assert _outcome(spec("x", SINGLE, column="c", min_size=1), None).success is False
    [outcome] = run_specs(
        [spec("missing_column", SINGLE, column="no_such_column", min_size=1)],
        {"patients": many_patients({("F", "Nord"): 3})},
        None,
    )
    assert outcome.success is False and outcome.error is True


def test_unknown_expectation_type_is_refused():
    with pytest.raises(ValueError):
        run_specs(
            [spec("x", "expect_column_values_to_be_magic", column="region")],
            {"patients": many_patients({("F", "Nord"): 3})},
            None,
        )


def test_custom_types_are_registered_with_great_expectations():
    from great_expectations.expectations.registry import get_expectation_impl

    from tasks.checks.gx_runner import gx_context

    gx_context()
    assert get_expectation_impl(SINGLE).__name__ == "ExpectColumnValueGroupSizeToBeAtLeast"
    assert get_expectation_impl(COMBINATION).__name__ == "ExpectMulticolumnGroupSizeToBeAtLeast"


def test_data_docs_hold_counts_only_while_summary_format_would_leak(tmp_path):
    """The planted name reaches Data Docs with GE's SUMMARY format, never with ours."""
    planted = "PLANTEDSURNAME^ALICIA"
    names = pd.DataFrame({"PatientName": [f"P{i:012d}" for i in range(30)] + [planted]})
    check = [spec("pn", "expect_column_values_to_match_regex", table="instances",
                  column="PatientName", regex=r"^P[0-9]{12}$")]  # fmt: skip

    def docs_bytes(folder):
        return b"".join(p.read_bytes() for p in folder.rglob("*.html"))

    [ours] = run_specs(check, {"instances": names}, tmp_path / "ours")
    [leaky] = run_specs(
        check, {"instances": names}, tmp_path / "summary", {"result_format": "SUMMARY"}
    )
    assert not ours.success and ours.unexpected_count == 1 and not leaky.success
    assert planted.encode() in docs_bytes(tmp_path / "summary")  # the measured pitfall
    assert b"PLANTEDSURNAME" not in docs_bytes(tmp_path / "ours")
    assert len(docs_bytes(tmp_path / "ours")) > 5_000
