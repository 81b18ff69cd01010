"""The release DAG, top to bottom:

build_candidate (subflow, parallel task runner):
    prepare (validate + index) → ingest (recognise DICOM) → headers → pixels ┐
                                   └→ reports, clinical (after headers)     ┴→ assemble
    → release-level rules → conformance, check rows (per batch), pixel evidence
    → quality checks

Every step of the candidate is a task on the task runner (the local process pool, or the
Dask cluster's workers): the flow process only orchestrates and adds up counts.
release: candidate → blocking checks? → DPO gate (suspend) → publish (subflow, task runner).

The gate suspends the run: no process waits for the DPO. The answer re-enters the flow from
the top; the opening kept in the workspace (tasks/signoff/gate_opening.py) sends it straight back to
the same gate over the same sealed candidate, so nothing is rebuilt and nobody signs twice.

Tasks exchange the request path, batch names and counts only.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.context import FlowRunContext
from prefect.flow_runs import suspend_flow_run
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner

from flows import stage_progress
from flows.context import stage_context, workers
from flows.dpo_gate import (
    DPODecision,
    gate_description,
    listed_approver,
    refusal_reason,
    release_card,
)
from flows.orphans import close_descendants
from flows.retrieved_hook import drop_retrieved
from flows.stages import (
    anonymise_headers,
    anonymise_reports,
    apply_release_rules,
    assemble,
    check_conformance,
    pixel_evidence,
    prepare,
    pseudonymise_clinical,
    publish_release,
    quality_checks,
    read_check_rows,
    recognise,
    record_conformance,
    redact_pixels,
    retrieve_from_pacs,
)
from tasks.config.keys import key_fingerprint
from tasks.config.request import release_blockers
from tasks.publish.publication import candidate_digest
from tasks.runtime.stage_contract import merge_counts
from tasks.runtime.workspace import open_to_others
from tasks.signoff import gate_opening
from tasks.signoff.gate_opening import GateOpening

FLOW_NAME = "clearance-release"
DEPLOYMENT_NAME = "release"


class ReleaseRefused(Exception):
    """The run ends without a release (rejected, blocked by checks, inputs unaccounted)."""


def task_runner() -> TaskRunner[Any]:
    """Processes on this machine by default; a Dask cluster when CLEARANCE_DASK_ADDRESS is
    set (the scheduler address of an existing cluster, e.g. tcp://10.0.0.5:8786)."""
    address = os.environ.get("CLEARANCE_DASK_ADDRESS")
    if address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=address)
    return ProcessPoolTaskRunner(max_workers=workers())


@flow(name="clearance-candidate", task_runner=task_runner())
def build_candidate(request_path: str, progress_on: str | None = None) -> dict:
    """Everything before the gate: the candidate release in staging, its manifest, checks.
    Per-stage progress bars go on flow run ``progress_on`` (the release run), else on this one."""
    request = stage_context(request_path).release_request
    fetched = {}
    if not isinstance(request.inputs.dicom, Path):  # a PACS source: fetch before indexing
        fetched = retrieve_from_pacs.submit(request_path).result()
    batches = prepare.submit(request_path).result()
    of = {kind: unmapped(len(names)) for kind, names in batches.items()}  # shown as totals
    recognised = recognise.map(unmapped(request_path), batches["dicom"], of=of["dicom"])
    headers = anonymise_headers.map(
        unmapped(request_path), batches["dicom"], recognised, of=of["dicom"]
    )
    pixels = redact_pixels.map(unmapped(request_path), batches["dicom"], headers, of=of["dicom"])
    reports = anonymise_reports.map(
        unmapped(request_path), batches["report"], of=of["report"], wait_for=headers
    )
    clinical = pseudonymise_clinical.map(
        unmapped(request_path), batches["clinical"], of=of["clinical"], wait_for=headers
    )
    per_batch = {"ingest": recognised, "headers": headers, "pixels": pixels}
    per_batch |= {"reports": reports, "clinical": clinical}
    stage_progress.follow(request.request_id, per_batch, progress_on)
    stage_counts = {
        **({"retrieve": fetched} if fetched else {}),
        "ingest": merge_counts([f.result() for f in recognised]),
        "headers": merge_counts([f.result() for f in headers]),
        "pixels": merge_counts([f.result() for f in pixels]),
        "reports": merge_counts([f.result() for f in reports]),
        "clinical": merge_counts([f.result() for f in clinical]),
    }
    # (prefect's type stubs accept wait_for only beside an explicit return_state)
    after = [*pixels, *reports, *clinical]
    counts = assemble.submit(request_path, return_state=False, wait_for=after).result()
    if counts.get("lost", 0):
        raise ReleaseRefused(f"{counts['lost']} inputs are not accounted for: no release")
    rules = apply_release_rules.submit(request_path)
    # after the release rules (they rewrite staged files): every batch's share of the
    # conformance sample and of the checks' header reads, and the evidence, all at once
    conformance = check_conformance.map(
        unmapped(request_path), batches["dicom"], of=of["dicom"], wait_for=[rules]
    )
    rows = read_check_rows.map(
        unmapped(request_path), batches["dicom"], of=of["dicom"], wait_for=[rules]
    )
    evidence = pixel_evidence.submit(request_path)
    checked = {"conformance": conformance, "check-rows": rows}
    stage_progress.follow(request.request_id, checked, progress_on)
    # last: it removes raw studies retrieved from a PACS, the inputs conformance reads
    suites = quality_checks.submit(request_path, return_state=False, wait_for=[*rows, *conformance])
    stage_counts["release-rules"] = rules.result()
    stage_counts["conformance"] = record_conformance(request_path, conformance.result())
    checks = suites.result()
    return {
        "counts": counts,
        "stage_counts": stage_counts,
        "checks": checks,
        "evidence": evidence.result(),
    }


@flow(name="clearance-publish", task_runner=task_runner())
def publish_candidate(request_path: str, sealed_digest: str) -> dict[str, int]:
    """After the approval: publishing (and the push to a research PACS) on the task runner
    like every other heavy step, so a site's flow process only orchestrates."""
    return publish_release.submit(request_path, sealed_digest).result()


def _evidence_artifacts(request_id: str, candidate: dict[str, Any]) -> None:
    """The evidence on the run that waits at the gate (the one the DPO opens): pixels,
    checks as text and as a table, failed expectations first. Names and counts only."""
    checks = candidate["checks"]
    create_markdown_artifact(
        candidate["evidence"], key=f"{request_id}-pixels", description="Pixels"
    )
    create_markdown_artifact(
        checks["markdown"], key=f"{request_id}-checks", description="Quality checks"
    )
    if checks.get("results"):
        create_table_artifact(
            checks["results"], key=f"{request_id}-expectations", description="Expectations"
        )


@flow(
    name=FLOW_NAME,
    on_crashed=[close_descendants, drop_retrieved],
    on_failure=[close_descendants, drop_retrieved],
)
def release(request_path: str) -> dict[str, int]:
    logger = get_run_logger()
    ctx = stage_context(request_path)  # fails fast: bad request, bad profile, no key
    ws = ctx.workspace
    for folder in (ws.root.parent, ws.root):
        if open_to_others(folder):
            raise ReleaseRefused(
                "the workspace folder is open to other users of this machine "
                "(chmod o-rwx it): it holds clear identifying values"
            )
    run_lock = ws.hold_run_lock()  # noqa: F841 - held until this run ends or suspends
    ws.create()
    flow_run_id = _flow_run_id()
    opening = gate_opening.open_for(ws, flow_run_id)
    if opening is None:
        ws.audit("run_started", key=key_fingerprint(ctx.key), profile=ctx.profile.name)
        if problems := release_blockers(ctx.release_request):
            ws.audit("run_refused", problems=len(problems))
            raise ReleaseRefused("nothing to release: " + "; ".join(problems))
        opening = _open_gate(ctx, request_path, flow_run_id)
    else:
        ws.audit("run_resumed", gate=opening.gate_id)

    decision = _dpo_gate(ctx, opening)
    if decision.decision != "approve":
        ws.audit("rejected", gate=opening.gate_id, dpo=decision.dpo_name, comment=decision.comment)
        raise ReleaseRefused(f"rejected by DPO {decision.dpo_name}: {decision.comment}")
    ws.audit(
        "approved",
        gate=opening.gate_id,
        digest=opening.digest,
        dpo=decision.dpo_name,
        comment=decision.comment,
    )
    published = publish_candidate(request_path, opening.digest)
    logger.info("released %d files", published["files"])
    return published


def _answer_given(key: str) -> DPODecision | None:
    """The answer recorded for question ``key`` of this flow run's gate, if any."""
    from prefect.input.run_input import keyset_from_base_key

    try:
        # (prefect's sync/async dispatch: called from sync code, it returns the answer)
        return DPODecision.load(keyset_from_base_key(f"suspended-{key}"))  # type: ignore[return-value]
    except Exception:  # noqa: BLE001 - no answer stored under that key
        return None


def _answered_at(key: str) -> float | None:
    """When the server stored the answer to question ``key`` (its own clock): a one-time code
    is checked at the moment the DPO gave it, not when a busy worker re-entered the flow."""
    from prefect.client.orchestration import get_client
    from prefect.input.run_input import keyset_from_base_key

    response_key = keyset_from_base_key(f"suspended-{key}")["response"]
    with get_client(sync_client=True) as client:
        stored = client.filter_flow_run_input(
            UUID(_flow_run_id()), key_prefix=response_key, limit=1, exclude_keys=set()
        )
    return stored[0].created.timestamp() if stored and stored[0].created else None


def _flow_run_id() -> str:
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        raise RuntimeError("the release flow runs only as a Prefect flow run")
    return str(context.flow_run.id)


def _open_gate(ctx: Any, request_path: str, flow_run_id: str) -> GateOpening:
    """Build (or finish building) the candidate, seal it and open a new gate over it."""
    request, ws = ctx.release_request, ctx.workspace
    candidate = build_candidate(request_path, progress_on=flow_run_id)
    checks = candidate["checks"]
    if checks["blocking_failed"] and not checks["override_allowed"]:
        ws.audit("release_blocked", failed=checks["blocking_failed"])
        raise ReleaseRefused("blocking checks failed: " + ", ".join(checks["blocking_failed"]))
    gate_id = secrets.token_hex(8)  # this opening only: an earlier decision never opens it
    sealed = candidate_digest(ws.staging)
    description = gate_description(
        request.request_id,
        request.purpose,
        candidate["counts"],
        candidate["stage_counts"],
        checks["markdown"],
        request.approvers,
        gate_id=gate_id,
        sealed_digest=sealed,
        card=release_card(
            request, ctx.profile, checks.get("counts", {}), checks.get("modalities", {})
        ),
        identity=ctx.profile.gate.identity,
    )
    _evidence_artifacts(request.request_id, candidate)
    create_markdown_artifact(description, key=f"{request.request_id}-summary", description="Gate")
    opening = GateOpening(
        gate_id=gate_id,
        flow_run_id=flow_run_id,
        digest=sealed,
        deadline=time.time() + ctx.profile.gate.timeout_minutes * 60,
        description=description,
    )
    gate_opening.save(ws, opening)
    ws.audit("gate_opened", gate=gate_id, digest=sealed, approvers=len(request.approvers))
    return opening


def _dpo_gate(ctx: Any, opening: GateOpening) -> DPODecision:
    """Suspend until a listed approver decides; refused answers are audited (once each) and
    the question is asked again.

    Every question of an opening has its own input key (``<gate_id>-<n>``). Prefect keys an
    input by a counter that restarts with each attempt of a flow run, so with its default
    key a retried run would be handed the answer given to an earlier attempt at once: a
    replay of an old approval. Keys of a new opening have never been answered. A re-entry
    of the same opening asks the same questions in the same order and gets their recorded
    answers back from Prefect, up to the first question not answered yet.
    """
    ws, request = ctx.workspace, ctx.release_request
    attempt = 0
    while True:
        attempt += 1
        key = opening.pause_key(attempt)
        remaining = opening.seconds_left()
        decision: DPODecision | None
        if remaining > 0:
            decision = suspend_flow_run(
                wait_for_input=DPODecision.with_initial_data(
                    description=opening.description, comment=""
                ),
                timeout=remaining,
                key=key,
            )
        else:  # past the deadline: only an answer given in time (re-entry after it) counts
            decision = _answer_given(key)
            if decision is None:
                ws.audit("gate_timeout", gate=opening.gate_id)
                raise ReleaseRefused("DPO gate timed out: nothing released")
        if decision is None:  # resumed without an answer
            continue
        if gate_opening.already_audited(ws, "answer_verified", key):
            reason = None  # a re-entry replays an answer whose one-time code was checked
        else:
            reason = refusal_reason(
                decision,
                request.approvers,
                ctx.profile.gate.identity,
                answered_at=_answered_at(key),
            )
        if reason is None:
            if not gate_opening.already_audited(ws, "answer_verified", key):
                ws.audit("answer_verified", gate=opening.gate_id, pause=key,
                         identity=ctx.profile.gate.identity)  # fmt: skip
            listed = listed_approver(decision.dpo_name, request.approvers)
            return decision.model_copy(update={"dpo_name": listed})
        if not gate_opening.already_audited(ws, "approval_refused", key):
            ws.audit("approval_refused", gate=opening.gate_id, pause=key, reason=reason)
