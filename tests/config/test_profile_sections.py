"""Profile sections are the stages' own models, and the gate's digest covers their values."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from flows.dpo_gate import profile_digest
from tasks.checks.check_settings import ChecksProfile
from tasks.config.profile import SECTION_MODELS, ReleaseProfile, load_profile
from tasks.headers.header_settings import HeaderProfile
from tasks.pixels.pixel_settings import PixelProfile
from tasks.reports.report_settings import ReportProfile

ROOT = Path(__file__).resolve().parents[2]


def test_each_section_is_its_stage_model_whether_written_or_defaulted() -> None:
    written = load_profile(ROOT / "profiles" / "fidac.yaml")
    defaulted = ReleaseProfile(name="bare")
    for profile in (written, defaulted):
        assert isinstance(profile.section("headers"), HeaderProfile)
        assert isinstance(profile.section("pixels"), PixelProfile)
        assert isinstance(profile.section("reports"), ReportProfile)
        assert isinstance(profile.section("checks"), ChecksProfile)
    assert set(SECTION_MODELS) == {"headers", "pixels", "reports", "checks"}


def test_a_section_given_as_a_mapping_is_validated_into_its_model() -> None:
    profile = ReleaseProfile(name="t", sections={"checks": {"k": 7}})
    assert isinstance(profile.section("checks"), ChecksProfile)
    assert profile.section("checks").k == 7
    with pytest.raises(ValidationError):
        ReleaseProfile(name="t", sections={"checks": {"k": "seven"}})


def test_a_section_of_another_stage_or_an_unknown_one_is_refused() -> None:
    with pytest.raises(ValidationError):
        ReleaseProfile(name="t", sections={"headers": PixelProfile()})
    with pytest.raises(ValidationError):
        ReleaseProfile(name="t", sections={"billing": {}})
    with pytest.raises(KeyError):
        ReleaseProfile(name="t").section("billing")


def test_the_digest_the_dpo_signs_changes_with_a_value_inside_a_section() -> None:
    base = ReleaseProfile(name="t", sections={"checks": ChecksProfile(k=5)})
    other = ReleaseProfile(name="t", sections={"checks": ChecksProfile(k=6)})
    assert base.model_dump(mode="json")["sections"]["checks"]["k"] == 5
    assert profile_digest(base) != profile_digest(other)
