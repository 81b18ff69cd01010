"""After an erasure the release-level checks run again on the release as it now is: a group
pushed below the profile's threshold is reported by name, with what the DPO may do."""

from __future__ import annotations

import shutil
from pathlib import Path

from tasks.checks.check_settings import ChecksProfile
from tasks.config.profile import ReleaseProfile
from tasks.rights.recheck import recheck_release
from tests.checks_support import clean_release, pseudonym


def test_a_group_pushed_below_k_by_an_erasure_is_reported(tmp_path: Path) -> None:
    release = tmp_path / "released" / "rel-x"
    clean_release(release, patients=12)  # 6 women, 6 men, one band, one region
    profile = ReleaseProfile(name="t", sections={"checks": ChecksProfile(k=6, m=6)})
    before = recheck_release("rel-x", release, profile)
    assert before.failed == () and before.error is None
    assert "every release-level check still passes" in before.text()

    shutil.rmtree(release / "dicom" / pseudonym("p1"))  # an erased woman: 5 women left
    after = recheck_release("rel-x", release, profile)
    assert after.error is None
    assert "small_groups.patient_sex_groups_have_k_patients" in after.failed
    assert all(name.startswith(("small_groups.", "rare_values.")) for name in after.failed)
    text = after.text()
    assert "now failing" in text and "withdraw" in text and "suggestion:" in text
    assert pseudonym("p3") not in text  # names of rules and categories, never a patient
    assert not (release / "data_docs").exists() and not list(release.rglob("*.html"))
