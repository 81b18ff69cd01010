"""The Dask path: the candidate subflow on a distributed.LocalCluster of 2 worker processes
(the code path a real cluster uses) produces exactly the staging output of the local
process-pool runner, with every one of its tasks run on the Dask workers (task stream)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tasks.synthetic.demo_inputs import build_demo
from tests.dask_support import CANDIDATE_TASKS, record_task_stream, stages_on_workers
from tests.stack_support import tree_digests

pytestmark = pytest.mark.integration


REQUEST_ID = "dask-equivalence"  # one id: each instance names its release (request id)


def _request(root: Path, name: str) -> Path:
    path = root / f"{name}.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "request_id": REQUEST_ID,
                "purpose": "dask equivalence",
                "requester": "Lab X",
                "approvers": ["DPO"],
                "inputs": {"dicom": "in/dicom", "reports": "in/reports"},
                "profile": "demo",
                "workspace": f"ws-{name}",
                "destination": f"out/{name}",
            }
        )
    )
    return path


def test_dask_cluster_gives_the_same_staging_as_local(tmp_path: Path) -> None:
    from distributed import Client, LocalCluster
    from prefect.testing.utilities import prefect_test_harness
    from prefect_dask import DaskTaskRunner

    from flows.release import build_candidate

    build_demo(tmp_path / "in", patients=2, image_size=192)
    with prefect_test_harness(server_startup_timeout=120):
        local = build_candidate(str(_request(tmp_path, "local-run")))
        with (
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster,
            Client(cluster.scheduler_address) as client,
        ):
            record_task_stream(client)
            runner = DaskTaskRunner(address=cluster.scheduler_address)
            distributed = build_candidate.with_options(task_runner=runner)(
                str(_request(tmp_path, "dask-run"))
            )
            workers = set(client.scheduler_info()["workers"])
            where = stages_on_workers(client)
    assert local["counts"] == distributed["counts"]
    local_tree = tree_digests(tmp_path / "ws-local-run" / REQUEST_ID / "staging")
    dask_tree = tree_digests(tmp_path / "ws-dask-run" / REQUEST_ID / "staging")
    assert len(local_tree) >= 10
    assert local_tree == dask_tree
    # every stage of the candidate ran on the Dask workers, nothing else did
    assert set(where) == set(CANDIDATE_TASKS.values())
    assert set().union(*where.values()) <= workers
    assert len(set().union(*where.values())) == 2
