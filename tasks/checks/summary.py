"""The result of the checks stage: what the gate needs, as names and counts only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tasks.checks.gx_runner import ExpectationOutcome


@dataclass
class CheckSummary:
    passed: bool  # no blocking expectation failed
    blocking_failed: list[str]  # expectation names
    override_allowed: bool  # the profile lets the DPO release despite blocking_failed
    results: list[dict[str, Any]]  # name, success, blocking, unexpected_count (+ table, error)
    suggestions: list[str]
    markdown: str
    data_docs_index: str | None
    counts: dict[str, int] = field(default_factory=dict)  # instances, series, studies, ...
    modalities: dict[str, int] = field(default_factory=dict)  # modality -> released series


def summarise(
    outcomes: list[ExpectationOutcome],
    suggestions: list[str],
    counts: dict[str, int],
    dpo_may_override: bool,
    data_docs_index: str | None,
    modalities: dict[str, int] | None = None,
) -> CheckSummary:
    results = [
        {
            "name": o.spec.name,
            "success": o.success,
            "blocking": o.spec.blocking,
            "unexpected_count": o.unexpected_count,
            "table": o.spec.table,
            "error": o.error,
        }
        for o in outcomes
    ]
    blocking_failed = [o.spec.name for o in outcomes if o.spec.blocking and not o.success]
    not_overridable = [
        o.spec.name
        for o in outcomes
        if o.spec.blocking and not o.success and not o.spec.overridable
    ]
    override_allowed = dpo_may_override and not not_overridable
    passed = not blocking_failed
    markdown = render_markdown(
        outcomes, suggestions, counts, passed, override_allowed, not_overridable
    )
    return CheckSummary(
        passed=passed,
        blocking_failed=blocking_failed,
        override_allowed=override_allowed,
        results=results,
        suggestions=suggestions,
        markdown=markdown,
        data_docs_index=data_docs_index,
        counts=counts,
        modalities=dict(modalities or {}),
    )


def render_markdown(
    outcomes: list[ExpectationOutcome],
    suggestions: list[str],
    counts: dict[str, int],
    passed: bool,
    override_allowed: bool,
    not_overridable: list[str],
) -> str:
    failed = [o for o in outcomes if not o.success]
    blocking = [o for o in failed if o.spec.blocking]
    if passed:
        verdict = "PASSED" if not failed else "PASSED with warnings"
    else:
        verdict = "BLOCKED"
    lines = [f"## Re-identification and quality checks: {verdict}", ""]
    lines.append(", ".join(f"{value} {name}" for name, value in counts.items()) or "no data")
    lines.append("")
    lines.append(
        f"{len(outcomes)} expectations: {len(outcomes) - len(failed)} passed, "
        f"{len(blocking)} blocking failure(s), {len(failed) - len(blocking)} warning(s)."
    )
    if blocking:
        if override_allowed:
            lines.append("The profile lets the DPO approve despite the blocking failures.")
        elif not_overridable:
            lines.append(f"{len(not_overridable)} failure(s) cannot be overridden: fix and re-run.")
        else:
            lines.append("The profile does not let the DPO override: fix and re-run.")
    # The gate shows what needs the DPO's attention; every expectation, passed ones included,
    # is in the run's `-expectations` table artifact.
    shown = [o for o in outcomes if not o.success or o.error]
    if shown:
        lines += ["", "| expectation | result | blocking | rows failing |", "|---|---|---|---|"]
    for outcome in sorted(shown, key=lambda o: (o.success, not o.spec.blocking, o.spec.name)):
        if outcome.error:
            result = "NOT RUN"
        else:
            result = "pass" if outcome.success else "FAIL"
        count = "" if outcome.unexpected_count is None else str(outcome.unexpected_count)
        lines.append(
            f"| {outcome.spec.name} | {result} | {'yes' if outcome.spec.blocking else 'no'} "
            f"| {count} |"
        )
    lines += ["", "Every expectation, passed ones included: the `-expectations` artifact."]
    if suggestions:
        lines += ["", "### Generalisations that would fix the failures", ""]
        lines += [f"- {text}" for text in suggestions]
    return "\n".join(lines) + "\n"
