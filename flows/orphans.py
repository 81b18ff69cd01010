"""Close what a crashed or failed run leaves open in Prefect.

When the flow-run process is killed, Prefect marks that run Crashed, but its candidate
subflow and the task runs a killed worker held stay Running for ever: a DPO looking at the
UI would see work in progress that no process is doing. This hook (on_crashed, run by the
serving process; on_failure, run by the flow itself) marks every unfinished descendant
Crashed. It never raises: the run's own outcome must not be hidden by a cleanup error.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterParentFlowRunId,
    TaskRunFilter,
    TaskRunFilterState,
    TaskRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.states import Crashed

OPEN = [StateType.RUNNING, StateType.PENDING, StateType.SCHEDULED, StateType.PAUSED]
MESSAGE = "its parent flow run ended ({}) while this was still open"


def close_descendants(flow: Any, flow_run: Any, state: Any) -> None:
    try:
        closed = _close(flow_run.id, MESSAGE.format(state.type.value.lower()))
    except Exception as error:  # cleanup only: report the class, keep the run's own outcome
        logging.getLogger("clearance").warning("orphan cleanup failed: %s", type(error).__name__)
        return
    if closed:
        logging.getLogger("clearance").info("marked %d orphaned runs crashed", closed)


def _close(root: UUID, message: str) -> int:
    closed = 0
    with get_client(sync_client=True) as client:
        pending = [root]
        while pending:
            parent = pending.pop()
            open_tasks = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[parent])),
                task_run_filter=TaskRunFilter(
                    state=TaskRunFilterState(type=TaskRunFilterStateType(any_=OPEN))
                ),
            )
            for task_run in open_tasks:
                client.set_task_run_state(task_run.id, Crashed(message=message), force=True)
                closed += 1
            children = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent])
                )
            )
            for child in children:
                pending.append(child.id)
                if child.state is not None and not child.state.is_final():
                    client.set_flow_run_state(child.id, Crashed(message=message), force=True)
                    closed += 1
    return closed
