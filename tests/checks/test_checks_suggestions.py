"""Generalisation suggestions that do not contradict themselves: each pair of age bands merged
once, no "from 20 to 20", no "map them to 'Other'" for the 'Other' group itself."""

from __future__ import annotations

import pandas as pd

from tasks.checks.check_settings import ChecksProfile
from tasks.checks.suggestions import suggest
from tests.checks_support import pseudonym

EDGES = [0, 18, 30, 40, 50, 60, 70, 80, 90]


def _patients(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["PatientSex", "age_band", "region"])
    frame.insert(0, "PatientID", [pseudonym(f"s{i}") for i in range(len(rows))])
    return frame


def test_two_small_neighbouring_bands_are_merged_once() -> None:
    checks = ChecksProfile(quasi_identifiers=["age_band"], k=10, age_band_edges=EDGES)
    rows = [("F", "18-29", "Nord")] * 3 + [("F", "30-39", "Nord")] * 2
    rows += [("F", "40-49", "Nord")] * 20 + [("F", "0-17", "Nord")] * 30
    text = suggest({"small_groups.age_band_groups_have_k_patients"}, _patients(rows),
                   _patients(rows), checks)  # fmt: skip
    merges = [s for s in text if s.startswith("merge age band")]
    assert len(merges) == 1, text
    assert "18-29" in merges[0] and "30-39" in merges[0]


def test_a_drop_that_does_not_help_is_not_suggested() -> None:
    # every patient is alone in their combination whatever single column is dropped
    checks = ChecksProfile(quasi_identifiers=["PatientSex", "age_band", "region"], k=10)
    rows = [("F" if i % 2 else "M", f"{i}", f"R{i}") for i in range(20)]
    failed = {"small_groups.quasi_identifier_combinations_have_k_patients"}
    text = suggest(failed, _patients(rows), _patients(rows), checks)
    assert not any("go from 20 to 20" in s for s in text)
    assert not any(s.startswith("generalise or drop") for s in text)
    assert any("suppress the 20 patient(s)" in s for s in text)
    assert any("no single quasi-identifier" in s for s in text)


def test_the_other_group_is_not_told_to_map_to_other() -> None:
    checks = ChecksProfile(quasi_identifiers=["region"], k=10)
    rows = [("F", "40-49", "Nord")] * 12 + [("F", "40-49", "Other")] * 4
    text = suggest({"small_groups.region_groups_have_k_patients"}, _patients(rows),
                   _patients(rows), checks)  # fmt: skip
    assert any("the 'Other' group itself holds fewer than 10 patients (4)" in s for s in text)
    assert not any("map them to the 'Other' region" in s for s in text), text
    rows += [("F", "40-49", "Sud")] * 2
    text = suggest({"small_groups.region_groups_have_k_patients"}, _patients(rows),
                   _patients(rows), checks)  # fmt: skip
    assert any(s.startswith("region: 1 value(s)") and "'Other' region" in s for s in text)
    assert not any("Sud" in s or "Nord" in s for s in text)
