"""Per-stage progress of a release run, from its task runs (and its subflow's)."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterParentFlowRunId,
)

BATCH_SUFFIX = re.compile(r"-((dicom|report|clinical)-\d+(-of-\d+)?|[0-9a-f]{3})$")
DECLARED_TOTAL = re.compile(r"-of-(\d+)$")  # per-batch task runs carry their kind's total


def task_runs(run_id: str) -> list[Any]:
    """Task runs of the flow run and of its subflows (paged: the API caps a page at 200)."""
    runs: list[Any] = []
    with get_client(sync_client=True) as client:
        children = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[UUID(run_id)])
            )
        )
        ids = [UUID(run_id), *(child.id for child in children)]
        while True:
            page = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)),
                limit=200,
                offset=len(runs),
            )
            runs += page
            if len(page) < 200:
                break
    # (a subflow is also recorded as a task run of its parent, named after the subflow)
    return [r for r in runs if not r.name.startswith(("clearance-candidate", "clearance-publish"))]


def stage_summary(run_id: str) -> dict[str, dict[str, float]]:
    """stage -> {done, total, seconds (first start to last end)}, in start order. The total
    of a per-batch stage is its kind's number of batches from its first task run on (runs are
    created as they start: counting them alone made totals grow while a stage ran)."""
    stages: dict[str, dict[str, float]] = {}
    for run in sorted(task_runs(run_id), key=lambda r: r.expected_start_time or r.created):
        numbers = stages.setdefault(
            BATCH_SUFFIX.sub("", run.name), {"done": 0, "total": 0, "start": 0.0, "end": 0.0}
        )
        numbers["total"] += 1
        numbers["declared"] = max(numbers.get("declared", 0), _declared_total(run.name))
        numbers["done"] += bool(run.state and run.state.is_final())
        if run.start_time and run.end_time:
            start, end = run.start_time.timestamp(), run.end_time.timestamp()
            numbers["start"] = min(numbers["start"] or start, start)
            numbers["end"] = max(numbers["end"], end)
    for numbers in stages.values():
        numbers["seconds"] = max(0.0, numbers.pop("end") - numbers.pop("start"))
        numbers["total"] = max(numbers["total"], numbers.pop("declared", 0))
    return stages


def _declared_total(name: str) -> int:
    found = DECLARED_TOTAL.search(name)
    return int(found.group(1)) if found else 0
