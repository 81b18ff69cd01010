"""After the DPO's approval: publish exactly the sealed candidate, then record the release.

The release record (destination, counts, retention, pseudonym domain) is what data subjects'
rights later read to find a person in every release; the audit says what was released or
why publishing was refused. Counts only leave this function.
"""

from __future__ import annotations

from tasks.config.pseudonym_domain import domain_of
from tasks.config.request import ReleaseRequest
from tasks.publish.publication import CandidateChanged, publish
from tasks.rights.releases import record_release
from tasks.runtime.workspace import Workspace


def publish_approved(ws: Workspace, request: ReleaseRequest, sealed_digest: str) -> dict[str, int]:
    """Publish the staging area if it still hashes to ``sealed_digest``; record and audit."""
    try:
        counts = publish(ws.staging, request.destination, sealed_digest)
    except CandidateChanged:
        ws.audit("publish_refused", reason="candidate_changed_after_review")
        raise
    retention = (
        request.retention.model_dump(mode="json", exclude_none=True) if request.retention else None
    )
    record_release(
        request.workspace,
        request.request_id,
        request.purpose,
        request.destination,
        counts["files"],
        retention=retention,
        pseudonym_domain=domain_of(request),
    )
    ws.audit("released", **counts)
    return counts
