"""The contract every processing stage plugs into.

A *file stage* is a plain function ``(src, dst, item_id, ctx) -> Outcome``: it reads one
file, writes its cleaned version to ``dst`` and says whether the file is proven clean.
``run_file_stage`` applies it to one batch, fail-closed: any exception, a missing output
or ``ok=False`` sends the original input to quarantine with a reason code. Reason codes and
counts are the only things that leave a stage; exception messages (which often embed
values) are dropped and only the exception class is kept.
"""

from __future__ import annotations

import atexit
import os
import stat
import threading
import warnings
from pathlib import Path

from tasks.runtime.stage_types import FileStage, Outcome, StageContext
from tasks.runtime.watchdog import FileLimits, Watchdog
from tasks.runtime.workspace import ItemResult

__all__ = [
    "FileStage",
    "Outcome",
    "StageContext",
    "merge_counts",
    "run_file_stage",
    "summarise",
    "watchdog_for",
]


def run_file_stage(
    ctx: StageContext,
    stage: str,
    batch: str,
    previous_stage: str,
    process: FileStage,
    suffix: str = ".dcm",
    isolated: bool = False,
) -> dict[str, int]:
    """Run ``process`` on every item of ``batch`` still alive after ``previous_stage``.

    Idempotent: a batch whose results file exists is not processed again (resume after a
    crash or a retry). ``isolated`` runs each file in a watched child process under the
    profile's ``limits`` (``process`` must then be a module-level function). Returns counts
    only.
    """
    ws = ctx.workspace
    done = ws.read_results(stage, batch)
    if done is not None:
        return summarise(done)
    previous = ws.read_results(previous_stage, batch)
    if previous is None:
        raise RuntimeError(f"stage {stage}: no results from {previous_stage} for batch {batch}")
    items = ws.items_by_id()
    out_dir = ws.stage_dir(stage)
    out_dir.mkdir(parents=True, exist_ok=True)
    results: list[ItemResult] = []
    extra: dict[str, int] = {}
    for prior in previous:
        if not prior.ok:
            results.append(prior)
            continue
        src = ws.absolute(prior.path or "")
        dst = out_dir / f"{prior.item_id}{suffix}"
        if not _still_a_regular_file(src):  # swapped for a link or a device since ingest
            outcome = Outcome(False, f"{stage}.input_changed")
        elif isolated:
            outcome = watchdog_for(ctx).run(stage, process, src, dst, prior.item_id)
        else:
            outcome = _run_here(stage, process, src, dst, prior.item_id, ctx)
        if outcome.ok and not dst.exists():
            outcome = Outcome(False, f"{stage}.no_output")
        for name, value in outcome.counts.items():
            extra[name] = extra.get(name, 0) + value
        if outcome.ok:
            ws.clear_quarantine(prior.item_id)
            release_name = outcome.release_name or prior.release_name
            results.append(
                ItemResult(prior.item_id, True, ws.relative(dst), release_name=release_name)
            )
        else:
            dst.unlink(missing_ok=True)
            reason = outcome.reason or f"{stage}.not_proven_clean"
            ws.quarantine(items[prior.item_id], stage, reason, outcome.counts)
            results.append(ItemResult(prior.item_id, False, reason=reason))
    ws.write_results(stage, batch, results)
    counts = summarise(results)
    counts.update(extra)
    return counts


def _run_here(
    stage: str, process: FileStage, src: Path, dst: Path, item_id: str, ctx: StageContext
) -> Outcome:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # library warnings quote values
            return process(src, dst, item_id, ctx)
    except Exception as error:  # fail closed; the message may hold values: drop it
        return Outcome(False, f"{stage}.error.{type(error).__name__}")


_watchdogs = threading.local()


def watchdog_for(ctx: StageContext) -> Watchdog:
    """This thread's watchdog for ``ctx``: its child (and the models loaded there) is kept
    from one batch to the next of the same request."""
    current: Watchdog | None = getattr(_watchdogs, "current", None)
    if current is not None and current.ctx is ctx:
        return current
    if current is not None:
        current.close()
        atexit.unregister(current.close)  # else every request's watchdog stays referenced
    settings = ctx.profile.limits
    current = Watchdog(ctx, FileLimits(settings.seconds_per_file, settings.memory_mb_per_file))
    _watchdogs.current = current
    atexit.register(current.close)
    return current


def _still_a_regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def summarise(results: list[ItemResult]) -> dict[str, int]:
    counts = {"ok": 0, "quarantined": 0}
    for result in results:
        counts["ok" if result.ok else "quarantined"] += 1
    return counts


def merge_counts(parts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in parts:
        for name, value in part.items():
            total[name] = total.get(name, 0) + value
    return total
