"""The Dask path: the candidate subflow on a distributed.LocalCluster of 2 worker processes
(the code path a real cluster uses) produces exactly the staging output of the local
process-pool runner."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from tasks.demo import build_demo

pytestmark = pytest.mark.integration


def _request(root: Path, request_id: str) -> Path:
    path = root / f"{request_id}.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "request_id": request_id,
                "purpose": "dask equivalence",
                "requester": "Lab X",
                "approvers": ["DPO"],
                "inputs": {"dicom": "in/dicom", "reports": "in/reports"},
                "profile": "demo",
                "workspace": "ws",
                "destination": f"out/{request_id}",
            }
        )
    )
    return path


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_dask_cluster_gives_the_same_staging_as_local(tmp_path: Path) -> None:
    from distributed import LocalCluster
    from prefect.testing.utilities import prefect_test_harness
    from prefect_dask import DaskTaskRunner

    from flows.release import build_candidate

    build_demo(tmp_path / "in", patients=2, image_size=192)
    with prefect_test_harness(server_startup_timeout=120):
        local = build_candidate(str(_request(tmp_path, "local-run")))
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster:
            runner = DaskTaskRunner(address=cluster.scheduler_address)
            distributed = build_candidate.with_options(task_runner=runner)(
                str(_request(tmp_path, "dask-run"))
            )
    assert local["counts"] == distributed["counts"]
    local_tree = _tree(tmp_path / "ws" / "local-run" / "staging")
    dask_tree = _tree(tmp_path / "ws" / "dask-run" / "staging")
    assert len(local_tree) >= 10
    assert local_tree == dask_tree
