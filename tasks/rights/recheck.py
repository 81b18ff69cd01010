"""After an erasure, the release-level checks again on every release it changed.

Removing a person can push a published release below the profile's own thresholds (a region
falls to 9 patients where the minimum is 10; a value now seen in fewer than m patients). The
checks stage's tables and suites run again on the release as it now is on disk (no Data Docs:
the release folder is not the place for them) and every expectation that fails is reported by
name, with the generalisation suggestions and what the DPO may do. Names and counts only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tasks.config.profile import ReleaseProfile

DPO_OPTIONS = (
    "The release as published no longer meets the rules above. The DPO may:",
    "(1) withdraw it (the recipients delete their copy) and release again with coarser",
    "    categories (suggestions below) or without the affected groups, or",
    "(2) keep it and record why in the release's file: an erasure does not change the",
    "    profile's thresholds, so a new release of the same data would stop at the gate.",
)


@dataclass(frozen=True)
class Recheck:
    request_id: str
    failed: tuple[str, ...]  # expectation names failing now
    suggestions: tuple[str, ...]
    error: str | None = None  # the checks could not run (a class name, no values)

    def text(self) -> str:
        if self.error:
            return f"  release {self.request_id}: checks could not run again ({self.error})"
        if not self.failed:
            return f"  release {self.request_id}: every release-level check still passes"
        lines = [f"  release {self.request_id}: now failing:"]
        lines += [f"    - {name}" for name in self.failed]
        lines += [f"    {line}" for line in DPO_OPTIONS]
        lines += [f"    suggestion: {s}" for s in self.suggestions]
        return "\n".join(lines)


def recheck_release(request_id: str, root: Path, profile: ReleaseProfile) -> Recheck:
    from tasks.checks.run import check_settings, check_tables
    from tasks.checks.tables import build_tables

    try:
        checks, policy = check_settings(profile)
        tables = build_tables(Path(root), checks, policy)
        summary = check_tables(tables, checks, policy, None)
    except Exception as error:  # noqa: BLE001 - reported to the DPO; the erasure stands
        return Recheck(request_id, (), (), type(error).__name__)
    failed = tuple(r["name"] for r in summary.results if not r["success"])
    return Recheck(request_id, failed, tuple(summary.suggestions) if failed else ())
