"""The rights commands as a DPO types them: a typo is an error, never a silent success."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.rights.registry import OptOutRegistry
from tests.rights.test_rights_support import KEY, build_cohort, snapshot

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("rights-cli")
    return build_cohort(root), root / "profile.yaml"


def _rights(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CLEARANCE_PSEUDONYM_KEY": KEY.decode()}  # the cohort's key
    return subprocess.run(
        [sys.executable, "-m", "flows.cli.main", *args], capture_output=True, text=True,
        cwd=PROJECT, timeout=300, env=env,
    )  # fmt: skip


def test_an_unknown_person_is_an_error_and_changes_nothing(cohort) -> None:
    data, profile = cohort
    target = ["--workspace", str(data.base), "--profile", str(profile)]
    before = snapshot([data.base.parent])
    for command in ("access", "erase"):
        result = _rights(command, "--patient-id", "NO-SUCH-ID-404", *target)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "no such person" in result.stdout
    known = data.patients[0]
    wrong_issuer = _rights("access", "--patient-id", known.patient_id, "--issuer", "ELSEWHERE",
                           *target)  # fmt: skip
    assert wrong_issuer.returncode == 1
    after = snapshot([data.base.parent])
    audit_files = {data.base / "rights-audit.jsonl", data.base / "rights-audit.jsonl.head"}
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    assert changed <= audit_files  # every request is audited; nothing else changes
    assert not (data.base / "optout-registry.csv").exists()  # the typo is not opted out
    assert not OptOutRegistry(data.base).contains("NO-SUCH-ID-404", "")


def test_blank_ids_and_missing_secure_zones_are_refused_without_a_traceback(cohort) -> None:
    data, profile = cohort
    blank = _rights("optout", "add", "--patient-id", "  ", "--workspace", str(data.base))
    assert blank.returncode == 2 and "must not be blank" in blank.stderr
    assert "Traceback" not in blank.stderr
    missing = _rights("optout", "list", "--workspace", str(data.base / "nowhere"))
    assert missing.returncode != 0 and "no such folder" in missing.stderr


def test_an_objection_can_be_withdrawn_and_is_audited(cohort) -> None:
    data, _ = cohort
    target = ["--workspace", str(data.base)]
    assert (
        _rights("optout", "add", "--patient-id", "IPP-77", "--issuer", "CHU", *target).returncode
        == 0
    )
    removed = _rights("optout", "remove", "--patient-id", "IPP-77", "--issuer", "CHU", *target)
    assert removed.returncode == 0 and "withdrawn" in removed.stdout
    assert not OptOutRegistry(data.base).contains("IPP-77", "CHU")
    again = _rights("optout", "remove", "--patient-id", "IPP-77", "--issuer", "CHU", *target)
    assert again.returncode == 1
    assert "rights.optout_removed" in (data.base / "rights-audit.jsonl").read_text()


def test_a_publication_needs_a_known_release_and_a_past_date(cohort) -> None:
    data, _ = cohort
    target = ["--workspace", str(data.base)]
    assert _rights("published", "rel-zzz", "--on", "2026-01-02", *target).returncode == 1
    assert _rights("published", "rel-a", "--on", "2099-01-01", *target).returncode == 1
    assert _rights("published", "rel-a", "--on", "2026-02-01", *target).returncode == 0
