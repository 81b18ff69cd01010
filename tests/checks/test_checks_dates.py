"""The residual-identifier date check on real files de-identified by the shipped profiles:
dummy date-times are dummies."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pydicom
import pydicom.data
import pytest

from tasks.checks import header_facts, policy
from tasks.headers.header_stage import anonymise_file
from tests.headers.test_headers_support import make_ctx

PYDICOM_FILES = Path(pydicom.data.__file__).parent / "test_files"
WANTED = frozenset({"SOPInstanceUID"})


@pytest.mark.parametrize("name", ["waveform_ecg.dcm", "examples_palette.dcm", "test-SR.dcm"])
def test_basic_profile_dummy_date_times_pass_the_date_check(name: str, tmp_path: Path) -> None:
    """The basic profile replaces a date-time by the dummy 19000101000000: not a date out of
    policy (it failed residual_identifiers.dates_within_policy, not overridable)."""
    ctx = make_ctx(tmp_path, "basic")
    dst = tmp_path / "out.dcm"
    assert anonymise_file(PYDICOM_FILES / name, dst, "item", ctx).ok
    facts = header_facts.read_facts(dst, WANTED)
    date_times = [(n, v) for n, v in facts.dates if len(v) > 8]
    assert date_times, "the file no longer holds the date-time this test is about"
    rules = policy.build_policy(
        ctx.profile.section("checks"), ctx.profile.section("headers"), today=date(2026, 1, 1)
    )
    assert rules.dates_outside_policy(facts.dates) == 0
    assert not rules.date_allowed("AcquisitionDateTime", "19000101000001")  # not a dummy
