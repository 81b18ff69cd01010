"""The DPO gate: the run suspends with the evidence summary; a listed approver decides."""

from __future__ import annotations

from typing import Literal

from prefect.input import RunInput
from pydantic import Field

APPROVE, REJECT = "approve", "reject"


class DPODecision(RunInput):
    """What the DPO fills in the Prefect UI's Resume form (or `clearance approve/reject`).

    ``decision`` has no default: the form cannot be submitted without choosing, so pressing
    Submit never rejects (or approves) by accident. A rejection needs a reason."""

    decision: Literal["approve", "reject"] = Field(
        description="approve: publish exactly this candidate · reject: nothing is written"
    )
    dpo_name: str = Field(description="Your name, exactly as listed in the request's approvers")
    comment: str = Field(default="", description="Required when rejecting: the reason")


def refusal_reason(decision: DPODecision, approvers: list[str]) -> str | None:
    """Why an answer cannot decide the release (a reason code), or None when it can."""
    if listed_approver(decision.dpo_name, approvers) is None:
        return "not_a_listed_approver"
    if decision.decision == REJECT and not decision.comment.strip():
        return "rejection_without_reason"
    return None


def listed_approver(name: str, approvers: list[str]) -> str | None:
    """The request's spelling of ``name`` (case and spacing ignored), or None if unlisted."""
    wanted = " ".join(name.split()).casefold()
    for approver in approvers:
        if " ".join(approver.split()).casefold() == wanted:
            return approver
    return None


def gate_description(
    request_id: str,
    purpose: str,
    counts: dict[str, int],
    stage_counts: dict[str, dict[str, int]],
    checks_markdown: str,
    approvers: list[str],
    gate_id: str = "",
    sealed_digest: str = "",
) -> str:
    """Markdown for the Resume form: counts and check results only, no values."""
    released = counts.get("released", 0)
    quarantined = {k.split(":", 1)[1]: v for k, v in counts.items() if k.startswith("quarantined:")}
    lines = [
        f"## Release `{request_id}` awaits DPO sign-off",
        "",
        "Choose **decision** (approve or reject) and type your name exactly as listed: "
        + "; ".join(approvers)
        + ". A rejection needs a reason in **comment**.",
        "",
        f"Purpose: {purpose}",
        "",
        f"**Released: {released} inputs** · **Quarantined: {sum(quarantined.values())}**",
        "",
    ]
    if gate_id:
        lines += [
            f"Gate opening `{gate_id}`; candidate sealed as SHA-256 `{sealed_digest}` "
            "(the release's MANIFEST.sha256 hashes to it; a candidate changed after this "
            "opening is not published).",
            "",
        ]
    if quarantined:
        lines += ["| quarantine reason | inputs |", "|---|---|"]
        lines += [f"| `{reason}` | {n} |" for reason, n in sorted(quarantined.items())]
        lines.append("")
    if stage_counts:
        lines += ["| stage | counts |", "|---|---|"]
        for stage, numbers in stage_counts.items():
            shown = ", ".join(f"{k}={v}" for k, v in sorted(numbers.items()))
            lines.append(f"| {stage} | {shown} |")
        lines.append("")
    if checks_markdown:
        lines += [checks_markdown, ""]
    lines.append(
        f"Evidence artifacts of this run: keys starting with `{request_id}-` (Artifacts tab)."
    )
    return "\n".join(lines)
