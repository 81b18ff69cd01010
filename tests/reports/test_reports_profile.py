"""The `reports:` section of release profiles."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tasks.config.errors import InvalidProfile
from tasks.config.profile import load_profile
from tasks.reports.report_settings import ReportProfile

PROFILES = Path(__file__).resolve().parents[2] / "profiles"


@pytest.mark.parametrize("path", sorted(PROFILES.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_profiles_reports_sections_validate(path):
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    section = ReportProfile.model_validate(raw.get("reports") or {})
    assert section.recognizers_path().is_file()


def test_defaults_are_fail_safe():
    profile = ReportProfile()
    assert profile.strategy == "placeholder" and profile.title_gate and profile.statistical_ner
    assert profile.dates == "shift" and profile.ages == "band"


def test_unknown_or_invalid_fields_name_the_field(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: t\nreports:\n  stratgy: surrogate\n", encoding="utf-8")
    with pytest.raises(InvalidProfile) as error:
        load_profile(path)
    assert "reports" in str(error.value) and "stratgy" in str(error.value)
    path.write_text("name: t\nreports:\n  age_bands: [10, 5]\n", encoding="utf-8")
    with pytest.raises(InvalidProfile) as error:
        load_profile(path)
    assert "age_bands" in str(error.value)
    path.write_text("name: t\nreports:\n  recognizers: missing.yaml\n", encoding="utf-8")
    with pytest.raises(InvalidProfile):
        load_profile(path)


def test_section_is_loaded_through_the_release_profile(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: t\nreports:\n  strategy: surrogate\n  dates: year\n", encoding="utf-8")
    section = load_profile(path).section("reports")
    assert (section.strategy, section.dates) == ("surrogate", "year")
