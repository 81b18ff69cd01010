"""The release DAG, top to bottom:

build_candidate (subflow, parallel task runner):
    prepare (validate + index) → ingest (recognise DICOM) → headers → pixels ┐
                                   └→ reports, clinical (after headers)     ┴→ assemble
    → release-level rules → pixel evidence → quality checks
release: candidate → blocking checks? → DPO gate (pause) → publish.

Tasks exchange the request path, batch names and counts only.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from prefect import flow, get_run_logger, unmapped
from prefect.artifacts import create_markdown_artifact
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.task_runners import ProcessPoolTaskRunner

from flows.context import stage_context, workers
from flows.gate import DPOApproval, gate_description, listed_approver
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
    recognise,
    redact_pixels,
    retrieve_from_pacs,
)
from tasks.keys import key_fingerprint
from tasks.publish import candidate_digest
from tasks.stage import merge_counts

FLOW_NAME = "clearance-release"
DEPLOYMENT_NAME = "release"


class ReleaseRefused(Exception):
    """The run ends without a release (rejected, blocked by checks, inputs unaccounted)."""


def task_runner():
    """Processes on this machine by default; a Dask cluster when CLEARANCE_DASK_ADDRESS is
    set (the scheduler address of an existing cluster, e.g. tcp://10.0.0.5:8786)."""
    address = os.environ.get("CLEARANCE_DASK_ADDRESS")
    if address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=address)
    return ProcessPoolTaskRunner(max_workers=workers())


@flow(name="clearance-candidate", task_runner=task_runner())
def build_candidate(request_path: str) -> dict:
    """Everything before the gate: the candidate release in staging, its manifest, checks."""
    request = stage_context(request_path).request
    request_id = request.request_id
    fetched = {}
    if not isinstance(request.inputs.dicom, Path):  # a PACS source: fetch before indexing
        fetched = retrieve_from_pacs(request_path)
    batches = prepare(request_path)
    recognised = recognise.map(unmapped(request_path), batches["dicom"])
    headers = anonymise_headers.map(unmapped(request_path), batches["dicom"], recognised)
    pixels = redact_pixels.map(unmapped(request_path), batches["dicom"], headers)
    reports = anonymise_reports.map(unmapped(request_path), batches["report"], wait_for=headers)
    clinical = pseudonymise_clinical.map(
        unmapped(request_path), batches["clinical"], wait_for=headers
    )
    stage_counts = {
        **({"retrieve": fetched} if fetched else {}),
        "ingest": merge_counts([f.result() for f in recognised]),
        "headers": merge_counts([f.result() for f in headers]),
        "pixels": merge_counts([f.result() for f in pixels]),
        "reports": merge_counts([f.result() for f in reports]),
        "clinical": merge_counts([f.result() for f in clinical]),
    }
    counts = assemble(request_path, wait_for=[pixels, reports, clinical])
    if counts.get("lost", 0):
        raise ReleaseRefused(f"{counts['lost']} inputs are not accounted for: no release")
    stage_counts["release-rules"] = apply_release_rules(request_path)
    stage_counts["conformance"] = check_conformance(request_path)

    evidence = pixel_evidence(request_path)
    create_markdown_artifact(evidence, key=f"{request_id}-pixels", description="Pixels")
    checks = quality_checks(request_path)
    create_markdown_artifact(
        checks["markdown"], key=f"{request_id}-checks", description="Quality checks"
    )
    return {"counts": counts, "stage_counts": stage_counts, "checks": checks}


@flow(
    name=FLOW_NAME,
    on_crashed=[close_descendants, drop_retrieved],
    on_failure=[close_descendants, drop_retrieved],
)
def release(request_path: str) -> dict[str, int]:
    logger = get_run_logger()
    ctx = stage_context(request_path)  # fails fast: bad request, bad profile, no key
    request, ws = ctx.request, ctx.workspace
    run_lock = ws.hold_run_lock()  # noqa: F841 - held until this run ends
    ws.create()
    ws.audit("run_started", key=key_fingerprint(ctx.key), profile=ctx.profile.name)

    candidate = build_candidate(request_path)
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
    )
    create_markdown_artifact(description, key=f"{request.request_id}-summary", description="Gate")
    ws.audit("gate_opened", gate=gate_id, digest=sealed, approvers=len(request.approvers))
    decision = _dpo_gate(ctx, description, gate_id)
    if not decision.approved:
        ws.audit("rejected", gate=gate_id, dpo=decision.dpo_name, comment=decision.comment)
        raise ReleaseRefused(f"rejected by DPO {decision.dpo_name}: {decision.comment}")
    ws.audit(
        "approved", gate=gate_id, digest=sealed, dpo=decision.dpo_name, comment=decision.comment
    )
    published = publish_release(request_path, sealed)
    logger.info("released %d files", published["files"])
    return published


def _dpo_gate(ctx, description: str, gate_id: str) -> DPOApproval:
    """Pause until a listed approver answers; other names are refused and audited.

    Every pause of this opening has its own input key (``<gate_id>-<attempt>``). Prefect keys
    a pause's input by a counter that restarts with each attempt of the flow run, so with
    the default key a retried or re-run flow run is handed the input of its earlier attempt
    at once: a replay of an old approval. A fresh key per opening leaves nothing to replay.
    """
    ws, request = ctx.workspace, ctx.request
    deadline = time.monotonic() + ctx.profile.gate.timeout_minutes * 60
    attempt = 0
    while True:
        remaining = int(deadline - time.monotonic())
        if remaining <= 0:
            ws.audit("gate_timeout", gate=gate_id)
            raise ReleaseRefused("DPO gate timed out: nothing released")
        attempt += 1
        try:
            decision = pause_flow_run(
                wait_for_input=DPOApproval.with_initial_data(
                    description=description, approved=False, comment=""
                ),
                timeout=max(remaining, 1),
                key=f"{gate_id}-{attempt}",
            )
        except FlowPauseTimeout:
            ws.audit("gate_timeout", gate=gate_id)
            raise ReleaseRefused("DPO gate timed out: nothing released") from None
        approver = listed_approver(decision.dpo_name, request.approvers)
        if approver:
            return decision.model_copy(update={"dpo_name": approver})
        ws.audit("approval_refused", gate=gate_id, reason="not_a_listed_approver")
