"""Drive the DICOM stages at the domain level (no Prefect), like flows/stages.py does:
index -> recognise -> headers -> pixels -> assemble. Used by the fail-safe tests and by the
crash/resume child process."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tasks.config.keys import key_from_env
from tasks.config.profile import load_profile
from tasks.config.request import load_request
from tasks.ingest import indexing, recognition
from tasks.publish.assemble import assemble_staging
from tasks.rights.registry import OptOutRegistry
from tasks.runtime.stage_contract import (
    FileStage,
    Outcome,
    StageContext,
    run_file_stage,
    watchdog_for,
)
from tasks.runtime.workspace import Workspace


def build_context(request_path: Path) -> StageContext:
    """What flows/context.py builds, minus the Prefect Secret block branch."""
    request = load_request(request_path)
    profile = load_profile(request.profile)
    key = key_from_env(profile.pseudonym_key.env)
    workspace = Workspace(request.workspace, request.request_id)
    return StageContext(workspace=workspace, profile=profile, key=key, request=request)


@dataclass
class Timings:
    """Wall time of every call of a file stage: (stage, item_id) -> seconds."""

    seconds: dict[tuple[str, str], float] = field(default_factory=dict)

    def wrap(self, stage: str, process: FileStage) -> FileStage:
        def timed(src: Path, dst: Path, item_id: str, ctx: StageContext) -> Outcome:
            start = time.monotonic()
            try:
                return process(src, dst, item_id, ctx)
            finally:
                self.seconds[(stage, item_id)] = time.monotonic() - start

        return timed

    def slowest(self) -> tuple[tuple[str, str], float] | None:
        if not self.seconds:
            return None
        return max(self.seconds.items(), key=lambda pair: pair[1])


def run_dicom_stages(
    request_path: Path,
    timings: Timings | None = None,
    after_batch: Callable[[str, str], None] | None = None,
    isolated: bool = False,
) -> dict[str, int]:
    """Run every DICOM stage on every batch; return the manifest counts. ``isolated``: each
    file in the watchdog's child, as the flow does by default."""
    from tasks.headers.header_stage import anonymise_file
    from tasks.pixels.pixel_stage import redact_file

    ctx = build_context(request_path)
    ws = ctx.workspace
    ws.create()
    # like the flow's prepare task, every run (a re-run after a crash too) indexes again:
    # item ids follow the sorted input tree, so they are the same each time
    indexing.index_inputs(ws, ctx.request, ctx.profile.batch_size)
    stages: list[tuple[str, str, FileStage]] = [
        ("headers", "ingest", anonymise_file),
        ("pixels", "headers", redact_file),
    ]
    if timings is not None:
        stages = [(name, prev, timings.wrap(name, fn)) for name, prev, fn in stages]
    for batch in ws.batches("dicom"):
        if isolated:
            recognition.classify_dicom_batch(ws, batch, watchdog=watchdog_for(ctx))
        else:
            recognition.classify_dicom_batch(
                ws, batch, OptOutRegistry(ctx.request.workspace).contains
            )
        for name, previous, process in stages:
            run_file_stage(ctx, name, batch, previous, process, isolated=isolated)
            if after_batch is not None:
                after_batch(name, batch)
    if isolated:
        watchdog_for(ctx).close()
    return assemble_staging(ws, {"dicom": "pixels"})
