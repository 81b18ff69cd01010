"""Thin Prefect task wrappers around the plain stage functions in ``tasks/``.

Parameters are the request path and batch names; results are counts. Identifying values
never cross these boundaries, so nothing identifying reaches the Prefect database.
"""

from __future__ import annotations

import errno
import functools
import multiprocessing
import os
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import task
from prefect.cache_policies import NO_CACHE

from flows.context import stage_context, workers
from tasks.config.errors import ClearanceError
from tasks.ingest import indexing, recognition
from tasks.publish.assemble import assemble_staging
from tasks.runtime.lifeline import exit_with_parent
from tasks.runtime.stage_contract import (
    FileStage,
    StageContext,
    run_file_stage,
    watchdog_for,
)

P = ParamSpec("P")
R = TypeVar("R")


class StageFailed(Exception):
    """What Prefect records when a stage crashes: the stage and the error class only."""


class TransientStageFailure(StageFailed):
    """A failure worth another attempt: the network, a busy file or service, a timeout."""


# OS-level conditions that a second attempt can outlive; anything else (a bug, bad data, a
# full disk, a refused permission) fails at once: retrying would only repeat it
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)
TRANSIENT_ERRNOS = {
    errno.EAGAIN,
    errno.EBUSY,
    errno.EINTR,
    errno.ETIMEDOUT,
    errno.ENETUNREACH,
    errno.EHOSTUNREACH,
    errno.ECONNABORTED,
    errno.ECONNREFUSED,
    errno.ECONNRESET,
}
TRANSIENT_CLASS_NAMES = {  # httpx (Prefect's client, DICOMweb), by name: no import to classify
    "ConnectError",
    "ConnectTimeout",
    "ReadTimeout",
    "PoolTimeout",
    "RemoteProtocolError",
}


def is_transient(error: BaseException) -> bool:
    if isinstance(error, TRANSIENT_ERRORS):
        return True
    if isinstance(error, OSError) and error.errno in TRANSIENT_ERRNOS:
        return True
    return type(error).__name__ in TRANSIENT_CLASS_NAMES


def retry_transient_only(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect's retry condition: stages are idempotent, so a retry is safe, but only a
    transient failure is worth one."""
    error = state.data
    return isinstance(error, TransientStageFailure) or getattr(error, "transient", False) is True


RETRY_DELAYS_VARIABLE = "CLEARANCE_RETRY_DELAYS"
DEFAULT_RETRY_DELAYS = (5.0, 30.0)


def stage_retry_delays(value: str | None = None) -> list[float]:
    """Seconds to wait before each retry of a stage task, one number per retry: from
    ``$CLEARANCE_RETRY_DELAYS`` (comma-separated, e.g. ``5,30``; read when this module is
    imported), else 5 s then 30 s. A value that is not a list of non-negative numbers fails
    the import: retries must not silently become immediate or endless."""
    if value is None:
        value = os.environ.get(RETRY_DELAYS_VARIABLE, "")
    if not value.strip():
        return list(DEFAULT_RETRY_DELAYS)
    try:
        delays = [float(part) for part in value.split(",")]
    except ValueError:
        delays = []
    if not delays or len(delays) > 10 or any(not 0 <= d <= 3600 for d in delays):
        raise ValueError(
            f"{RETRY_DELAYS_VARIABLE} must list 1 to 10 delays in seconds (0 to 3600), "
            "separated by commas, e.g. 5,30"
        )
    return delays


# Per-batch tasks take ``of``, the number of batches of their kind, only to carry it in the
# task run's name (``headers-dicom-0003-of-12``): progress shows real totals from the start.
_DELAYS = stage_retry_delays()
STAGE_TASK: dict[str, Any] = {
    "cache_policy": NO_CACHE,
    "retries": len(_DELAYS),
    "retry_delay_seconds": _DELAYS,
    "retry_condition_fn": retry_transient_only,
}


def values_stay_inside(function: Callable[P, R]) -> Callable[P, R]:
    """Library exceptions often quote the values they choked on; Prefect would store the
    message and traceback in its database. Re-raise with the error class only (our own
    ClearanceError messages are written to be safe and pass through)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if multiprocessing.parent_process() is not None:  # a task-pool worker (local or Dask)
            exit_with_parent()  # before the task's imports: a killed flow run takes it along
        try:
            return function(*args, **kwargs)
        except ClearanceError as error:  # a safe message; what it was raised from may not be
            error.__cause__ = error.__context__ = None
            raise
        except Exception as error:
            failure = TransientStageFailure if is_transient(error) else StageFailed
            name = type(error).__name__
            del error
        # raised outside the handler: ``from None`` only hides the original as __context__,
        # and tblib (which Dask installs) pickles __context__ with the exception
        raise failure(f"{function.__name__} failed: {name}")

    return wrapper


def _run_isolated(
    request_path: str,
    stage: str,
    batch: str,
    previous: str,
    process: FileStage,
    suffix: str = ".dcm",
) -> dict[str, int]:
    """Each file under the profile's per-file time and memory limits (a watched child)."""
    ctx = stage_context(request_path)
    isolated = ctx.profile.limits.isolate
    return run_file_stage(ctx, stage, batch, previous, process, suffix, isolated=isolated)


@task(name="prepare", **STAGE_TASK)
@values_stay_inside
def prepare(request_path: str) -> dict[str, list[str]]:
    """Validate request, profile and key; create the workspace; index every input."""
    from tasks.config import pseudonym_domain

    ctx = stage_context(request_path)
    ws = ctx.workspace
    ws.create()
    pseudonym_domain.record(ws.root, pseudonym_domain.domain_of(ctx.release_request))
    counts = indexing.index_inputs(ws, ctx.release_request, ctx.profile.batch_size, workers())
    ws.audit("inputs_indexed", **counts)
    return {kind: ws.batches(kind) for kind in ("dicom", "report", "clinical")}


@task(name="retrieve", **STAGE_TASK)
@values_stay_inside
def retrieve_from_pacs(request_path: str) -> dict[str, int]:
    """Query the source PACS again and fetch the requested studies into the workspace
    (counts of what changed since an earlier retrieval are audited and returned)."""
    from tasks.pacs.retrieved import fetch
    from tasks.pacs.spec import PacsSource

    ctx = stage_context(request_path)
    source = ctx.release_request.inputs.dicom
    if not isinstance(source, PacsSource):
        raise ClearanceError("the request's DICOM input is a folder: nothing to retrieve")
    return fetch(ctx.workspace, source)


@task(name="ingest", task_run_name="ingest-{batch}-of-{of}", **STAGE_TASK)
@values_stay_inside
def recognise(request_path: str, batch: str, of: int = 0) -> dict[str, int]:
    from tasks.rights.registry import OptOutRegistry

    ctx = stage_context(request_path)
    if ctx.profile.limits.isolate:  # each file read under the per-file limits
        return recognition.classify_dicom_batch(ctx.workspace, batch, watchdog=watchdog_for(ctx))
    registry = OptOutRegistry(ctx.release_request.workspace)
    return recognition.classify_dicom_batch(ctx.workspace, batch, registry.contains)


@task(name="headers", task_run_name="headers-{batch}-of-{of}", **STAGE_TASK)
@values_stay_inside
def anonymise_headers(request_path: str, batch: str, upstream: dict, of: int = 0) -> dict[str, int]:
    from tasks.headers.header_stage import anonymise_file

    return _run_isolated(request_path, "headers", batch, "ingest", anonymise_file)


@task(name="pixels", task_run_name="pixels-{batch}-of-{of}", **STAGE_TASK)
@values_stay_inside
def redact_pixels(request_path: str, batch: str, upstream: dict, of: int = 0) -> dict[str, int]:
    from tasks.pixels.pixel_stage import redact_file

    return _run_isolated(request_path, "pixels", batch, "headers", redact_file)


@task(name="reports", task_run_name="reports-{batch}-of-{of}", **STAGE_TASK)
@values_stay_inside
def anonymise_reports(request_path: str, batch: str, of: int = 0) -> dict[str, int]:
    from tasks.reports.report_stage import anonymise_report

    return _run_isolated(request_path, "reports", batch, "ingest", anonymise_report, ".txt")


@task(name="clinical", task_run_name="clinical-{batch}-of-{of}", **STAGE_TASK)
@values_stay_inside
def pseudonymise_clinical(request_path: str, batch: str, of: int = 0) -> dict[str, int]:
    from tasks.reports.clinical import pseudonymise_clinical as clean_csv

    return _run_isolated(request_path, "clinical", batch, "ingest", clean_csv, ".csv")


@task(name="assemble", **STAGE_TASK)
@values_stay_inside
def assemble(request_path: str) -> dict[str, int]:
    from tasks.headers.pseudonyms import write_pseudonym_map
    from tasks.publish.release_mark import mark_release

    ctx = stage_context(request_path)
    ws = ctx.workspace
    write_pseudonym_map(ws, ctx.key)  # audit/pseudonyms.csv (sealed), for data subjects' rights
    counts = assemble_staging(ws, {"dicom": "pixels", "report": "reports", "clinical": "clinical"})
    marked = mark_release(ws.staging / "dicom", ctx.release_request.request_id)  # names the release
    ws.audit("staging_assembled", files_marked=marked["files_marked"], **counts)
    return counts


@task(name="conformance", task_run_name="conformance-{batch}-of-{of}", **STAGE_TASK)
@values_stay_inside
def check_conformance(request_path: str, batch: str, of: int = 0) -> dict[str, int]:
    """dciodvfy on this batch's share of the sample of released files and their inputs:
    counts of new errors (record_conformance audits the sum of every batch's)."""
    from tasks.conformance.dciodvfy import check_release

    ctx = stage_context(request_path)
    batches = ctx.workspace.batches("dicom")
    part, parts = batches.index(batch), len(batches)
    return check_release(ctx.workspace, ctx.profile.conformance_sample, part=part, parts=parts)


def record_conformance(request_path: str, parts: list[dict[str, int]]) -> dict[str, int]:
    """The whole sample's counts, audited once (in the orchestrating process: counts only)."""
    from tasks.conformance.dciodvfy import merge_parts

    counts = merge_parts(parts)
    stage_context(request_path).workspace.audit("conformance_checked", **counts)
    return counts


@task(name="release-rules", **STAGE_TASK)
@values_stay_inside
def apply_release_rules(request_path: str) -> dict[str, int]:
    from tasks.headers.generalise import apply_release_rules as apply_rules
    from tasks.headers.study_crosscheck import crosscheck_studies
    from tasks.headers.table import compile_plan
    from tasks.publish.release_description import write_data_dictionary

    ctx = stage_context(request_path)
    section = ctx.profile.section("headers")
    counts: dict[str, int] = {}
    if section.cross_check:  # a value of one file of a study, kept in another of its files
        counts.update(crosscheck_studies(ctx.workspace, compile_plan(section), ctx.key))
    counts.update(apply_rules(ctx.workspace.staging / "dicom", section))
    # how to read what the rules generalised (age bands, groups): part of the sealed release
    write_data_dictionary(ctx.workspace.staging, ctx.profile)
    ctx.workspace.audit("release_rules_applied", **counts)
    return counts


@task(name="check-rows", task_run_name="check-rows-{batch}-of-{of}", **STAGE_TASK)
@values_stay_inside
def read_check_rows(request_path: str, batch: str, of: int = 0) -> dict[str, int]:
    """The quality checks' per-file part: this batch's share of the staged files' headers
    read into table columns (kept in the workspace; only the count is returned)."""
    from tasks.checks.rows import read_part

    ctx = stage_context(request_path)
    return {"files": read_part(ctx.workspace, ctx.profile, batch, ctx.workspace.batches("dicom"))}


@task(name="quality-checks", **STAGE_TASK)
@values_stay_inside
def quality_checks(request_path: str) -> dict:
    """Run the expectation suites on the tables joined from the check-rows parts (the last
    step of the candidate: raw studies retrieved from a PACS are removed after it); returns
    pass/fail, names and counts (no values)."""
    from tasks.checks.rows import joined
    from tasks.checks.run import run_checks
    from tasks.pacs.retrieved import remove_for_request

    ctx = stage_context(request_path)
    columns = joined(ctx.workspace, ctx.workspace.batches("dicom"))
    summary = run_checks(ctx.workspace, ctx.profile, columns)
    remove_for_request(ctx.release_request)  # the candidate is built: raw retrieved studies go
    ctx.workspace.audit(
        "checks_run", passed=summary.passed, blocking_failed=summary.blocking_failed
    )
    return {
        "passed": summary.passed,
        "blocking_failed": list(summary.blocking_failed),
        "override_allowed": summary.override_allowed,
        "markdown": summary.markdown,
        "counts": dict(summary.counts),  # instances, series, studies, patients, reports...
        "modalities": dict(summary.modalities),  # modality code -> series
        "results": [  # failed expectations first; names and counts only
            {
                "expectation": r["name"],
                "passed": r["success"],
                "blocking": r["blocking"],
                "unexpected": r["unexpected_count"],
            }
            for r in sorted(summary.results, key=lambda r: (r["success"], not r["blocking"]))
        ],
    }


@task(name="pixel-evidence", **STAGE_TASK)
@values_stay_inside
def pixel_evidence(request_path: str) -> str:
    from tasks.pixels.evidence import evidence_markdown

    ctx = stage_context(request_path)
    settings = ctx.profile.section("pixels")
    return evidence_markdown(
        ctx.workspace, settings.evidence_thumbnails, settings.thumbnails_shown_in
    )


@task(name="publish", **STAGE_TASK)
@values_stay_inside
def publish_release(request_path: str, sealed_digest: str) -> dict[str, int]:
    """Publish the candidate the DPO approved (``sealed_digest``), and only that."""
    from tasks.publish.approved import publish_approved

    ctx = stage_context(request_path)
    counts = publish_approved(ctx.workspace, ctx.release_request, sealed_digest)
    if ctx.release_request.push:
        counts.update(_push(ctx))
    return counts


def _push(ctx: StageContext) -> dict[str, int]:
    """Send the approved release to the research PACS (what it lacks; the code of
    ``clearance push``); fail the run, released but push incomplete, if it is not complete."""
    from prefect.artifacts import create_markdown_artifact
    from prefect.context import TaskRunContext

    from tasks.publish.push_release import (
        describe,
        incomplete_error,
        push_approved_release,
    )

    state = push_approved_release(ctx.workspace, ctx.release_request, by="flow")
    if TaskRunContext.get() is not None:  # the UI's Artifacts tab: counts only
        key = f"{ctx.release_request.request_id}-push"
        create_markdown_artifact(describe(state), key=key, description="Push")
    if state["state"] != "complete":
        raise incomplete_error(state, ctx.release_request.request_id)
    return {"pushed": state["sent"], "push_failed": state["failed"]}
