"""Where the candidate's tasks ran, read from a Dask scheduler's task stream.

prefect-dask submits each Prefect task run as one Dask task keyed by the task function's
name (``check_conformance-<token>``): the stream names the stage and the worker that ran it.
A task run in the flow process never appears there.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from dask.utils import key_split

# every task of the candidate subflow (clinical runs only when a clinical CSV is given)
CANDIDATE_TASKS = {
    "prepare": "prepare",
    "recognise": "ingest",
    "anonymise_headers": "headers",
    "redact_pixels": "pixels",
    "anonymise_reports": "reports",
    "assemble": "assemble",
    "apply_release_rules": "release-rules",
    "check_conformance": "conformance",
    "read_check_rows": "check-rows",
    "pixel_evidence": "pixel-evidence",
    "quality_checks": "quality-checks",
}

# every task of a release run: the candidate's, and publishing after the gate
RELEASE_TASKS = {**CANDIDATE_TASKS, "publish_release": "publish"}


def record_task_stream(client: Any) -> None:
    """The scheduler records its task stream from the first request for it on."""
    client.get_task_stream()


def stream_entries(client: Any) -> list[tuple[str, str]]:
    """(Prefect stage name, Dask worker address) of every task the scheduler recorded."""
    return [
        (RELEASE_TASKS.get(name := key_split(entry["key"]), name), entry["worker"])
        for entry in client.get_task_stream()
    ]


def stages_on_workers(client: Any) -> dict[str, set[str]]:
    """Prefect stage name -> the Dask workers (addresses) that ran its tasks."""
    where: dict[str, set[str]] = defaultdict(set)
    for stage, worker in stream_entries(client):
        where[stage].add(worker)
    return dict(where)
