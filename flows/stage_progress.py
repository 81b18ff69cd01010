"""Per-stage progress bars in the Prefect UI: one progress artifact per per-batch stage of
the candidate, on the run the DPO opens, moved as each batch finishes.

Totals are fixed when the artifact is created (the number of batches of the stage's kind),
so a bar only moves forward. Keys and percentages only: nothing identifying.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import ArtifactCreate, ArtifactUpdate
from prefect.futures import PrefectFuture, as_completed


def progress_key(request_id: str, stage: str) -> str:
    return f"{request_id}-progress-{stage}"


def follow(
    request_id: str,
    futures_by_stage: Mapping[str, Sequence[PrefectFuture[Any]]],
    on_run: str | None,
) -> None:
    """Wait for every future, moving each stage's bar as its batches end (failed ones too:
    their errors are raised where the results are read). ``on_run`` is the flow run the
    bars belong to (the release run when this runs in its candidate subflow); without it,
    the caller's own run."""
    stages = {stage: list(futures) for stage, futures in futures_by_stage.items() if futures}
    stage_of = {f.task_run_id: stage for stage, futures in stages.items() for f in futures}
    with get_client(sync_client=True) as client:
        bars = {
            stage: client.create_artifact(
                ArtifactCreate(
                    key=progress_key(request_id, stage),
                    type="progress",
                    data=0.0,
                    description=f"{stage}: batches done, in percent",
                    flow_run_id=UUID(on_run) if on_run else _current_run(),
                )
            ).id
            for stage in stages
        }
        done: Counter[str] = Counter()
        for future in as_completed([f for futures in stages.values() for f in futures]):
            stage = stage_of[future.task_run_id]
            done[stage] += 1
            client.update_artifact(
                bars[stage], ArtifactUpdate(data=round(100 * done[stage] / len(stages[stage]), 1))
            )


def _current_run() -> UUID | None:
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    return context.flow_run.id if context and context.flow_run else None
