"""`clearance doctor` names the process that lacks something: key, code, folders, API."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.cli import doctor
from tests.conftest import TEST_KEY


def _failed(findings: list[doctor.Finding]) -> list[str]:
    return [finding.line() for finding in findings if not finding.ok]


def test_a_process_without_the_key_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    here = doctor.probe([str(tmp_path)])
    monkeypatch.delenv("CLEARANCE_PSEUDONYM_KEY")
    there = doctor.probe([str(tmp_path)])
    failed = _failed(doctor.process_findings("Dask worker tcp://w1", there, here))
    assert len(failed) == 1 and "Dask worker tcp://w1" in failed[0]
    assert "CLEARANCE_PSEUDONYM_KEY is not in this process's environment" in failed[0]
    assert TEST_KEY not in " ".join(failed)


def test_another_key_another_version_or_a_missing_folder_fail(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    here = doctor.probe([str(tmp_path)])
    monkeypatch.setenv("CLEARANCE_PSEUDONYM_KEY", TEST_KEY + "-other")
    there = {**doctor.probe([str(tmp_path / "absent")]), "code": "0" * 16}
    there["paths"] = {str(tmp_path): False}
    failed = " ".join(_failed(doctor.process_findings("worker", there, here)))
    assert "a different key than here" in failed
    assert "deploy the same version" in failed
    assert "not visible or not writable" in failed


def test_a_dask_cluster_of_this_project_passes(tmp_path: Path) -> None:
    from distributed import LocalCluster

    here = doctor.probe([str(tmp_path)])
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster:
        findings = doctor.dask_findings(cluster.scheduler_address, [str(tmp_path)], here)
    assert _failed(findings) == [line for line in _failed(findings) if "PREFECT_API_URL" in line]
    assert sum("Dask worker" in f.what and f.what.endswith("key") for f in findings) >= 4
    assert any(f.what == "Dask workers" and f.message == "2 connected" for f in findings)


def test_an_unreachable_scheduler_is_reported(tmp_path: Path) -> None:
    findings = doctor.dask_findings("tcp://127.0.0.1:9", [], doctor.probe([]))
    assert _failed(findings) and "unreachable" in _failed(findings)[0]
