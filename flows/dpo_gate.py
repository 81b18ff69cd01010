"""The DPO gate: the run suspends with the evidence summary; a listed approver decides."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from prefect.input import RunInput
from pydantic import Field

from tasks.publish.release_description import granularity
from tasks.signoff.approvers import check_code

APPROVE, REJECT = "approve", "reject"


class DPODecision(RunInput):
    """What the DPO fills in the Prefect UI's Resume form (or `clearance approve/reject`).

    ``decision`` has no default: the form cannot be submitted without choosing, so pressing
    Submit never rejects (or approves) by accident. A rejection needs a reason."""

    decision: Literal["approve", "reject"] = Field(
        description="approve: publish exactly this candidate · reject: nothing is written"
    )
    dpo_name: str = Field(description="Your name, exactly as listed in the request's approvers")
    code: str = Field(
        default="",
        description="The 6-digit code your authenticator app shows now (enrolled with "
        "`clearance approver enrol`); a code decides once",
    )
    comment: str = Field(default="", description="Required when rejecting: the reason")


def refusal_reason(
    decision: DPODecision,
    approvers: list[str],
    identity: str = "totp",
    approvers_file: Path | None = None,
    answered_at: float | None = None,
) -> str | None:
    """Why an answer cannot decide the release (a reason code), or None when it can.

    Under ``totp`` the answer's code must be the listed approver's one-time code at the
    moment the answer was given (``answered_at``, the server's record; now when unknown),
    unused (checking it spends it); a refused answer leaves the run waiting."""
    listed = listed_approver(decision.dpo_name, approvers)
    if listed is None:
        return "not_a_listed_approver"
    if decision.decision == REJECT and not decision.comment.strip():
        return "rejection_without_reason"
    if identity == "totp":
        return check_code(listed, decision.code, approvers_file, now=answered_at)
    return None


def listed_approver(name: str, approvers: list[str]) -> str | None:
    """The request's spelling of ``name`` (case and spacing ignored), or None if unlisted."""
    wanted = " ".join(name.split()).casefold()
    for approver in approvers:
        if " ".join(approver.split()).casefold() == wanted:
            return approver
    return None


def release_card(
    request: Any,
    profile: Any,
    counts: dict[str, int],
    modalities: dict[str, int] | None = None,
) -> str:
    """What the DPO decides on, on one screen: who asks for what, what is released and at
    which granularity. Names and settings only: no path but the destination's last folder."""
    identity = {
        "totp": "listed name + the approver's one-time code (enrolled authenticator)",
        "sso-header": "listed name, behind the site's single sign-on",
        "name-only": "LISTED NAME ONLY (demo setting: anyone who reaches this UI can approve)",
    }[profile.gate.identity]
    rows = [
        ("purpose", request.purpose),
        ("requester", request.requester),
        ("approvers", "; ".join(request.approvers)),
        ("approver identity", identity),
        ("pseudonym domain", request.pseudonym_domain or f"{request.requester} (the requester)"),
        ("destination folder", Path(request.destination).name),
        ("profile", f"{profile.name} (SHA-256 {profile_digest(profile)[:16]})"),
        (
            "released",
            ", ".join(f"{n} {what}" for what, n in counts.items()) or "nothing counted",
        ),
        (
            "modalities",
            ", ".join(f"{code} {n} series" for code, n in (modalities or {}).items())
            or "not counted",
        ),
        *granularity(profile),
    ]
    lines = ["| release card | |", "|---|---|"]
    lines += [f"| {name} | {_cell(value)} |" for name, value in rows]
    return "\n".join(lines)


def profile_digest(profile: Any) -> str:
    """SHA-256 of the profile as loaded (after `extends`), so the card names exactly it."""
    data = profile.model_dump(mode="json") if hasattr(profile, "model_dump") else str(profile)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def gate_description(
    request_id: str,
    purpose: str,
    counts: dict[str, int],
    stage_counts: dict[str, dict[str, int]],
    checks_markdown: str,
    approvers: list[str],
    gate_id: str = "",
    sealed_digest: str = "",
    card: str = "",
    identity: str = "totp",
) -> str:
    """Markdown for the Resume form: counts and check results only, no values."""
    released = counts.get("released", 0)
    quarantined = {k.split(":", 1)[1]: v for k, v in counts.items() if k.startswith("quarantined:")}
    lines = [
        f"## Release `{request_id}` awaits DPO sign-off",
        "",
        "Choose **decision** (approve or reject) and type your name exactly as listed: "
        + "; ".join(approvers)
        + (
            ", and in **code** the 6 digits your authenticator app shows now"
            if identity == "totp"
            else ""
        )
        + ". A rejection needs a reason in **comment**.",
        "",
        f"Purpose: {purpose}",
        "",
        *([card, ""] if card else []),
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
            shown = ", ".join(
                f"{k}={v}" for k, v in sorted(_counted_once(stage, numbers, quarantined).items())
            )
            lines.append(f"| {stage} | {shown} |")
        lines.append("")
    if checks_markdown:
        lines += [checks_markdown, ""]
    lines.append(
        f"Evidence artifacts of this run: keys starting with `{request_id}-` (Artifacts tab). "
        "Great Expectations Data Docs: `clearance docs REQUEST.yaml` on the release machine."
    )
    return "\n".join(lines)


def _counted_once(
    stage: str, numbers: dict[str, int], quarantined: dict[str, int]
) -> dict[str, int]:
    """A stage's counts with each quarantined input counted at the stage that quarantined it:
    a stage's own ``quarantined`` also counts the inputs earlier stages set aside, which
    reads as more files than there are. The reasons table above is the one total."""
    if "quarantined" not in numbers:
        return numbers
    shown = {k: v for k, v in numbers.items() if k != "quarantined"}
    shown["quarantined_here"] = sum(
        n for reason, n in quarantined.items() if reason.split(".", 1)[0] == stage
    )
    return shown
