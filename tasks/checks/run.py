"""Entry point of the checks stage: staging area -> tables -> suites -> CheckSummary."""

from __future__ import annotations

from dataclasses import replace
from fnmatch import fnmatchcase
from typing import Any

from tasks.checks.check_settings import ChecksProfile
from tasks.checks.gx_runner import run_specs
from tasks.checks.policy import ReleasePolicy, build_policy
from tasks.checks.suggestions import suggest
from tasks.checks.suites import TABLES, ExpectationSpec, expand_suite, load_suites
from tasks.checks.summary import CheckSummary, summarise
from tasks.checks.tables import CheckTables, build_tables
from tasks.config.profile import ReleaseProfile
from tasks.runtime.workspace import Workspace

DATA_DOCS = "data_docs"


def run_checks(
    workspace: Workspace,
    profile: ReleaseProfile,
    columns: dict[str, list[object]] | None = None,
) -> CheckSummary:
    """Check the candidate release in ``workspace.staging``; Data Docs go to evidence/.
    ``columns``: the staged files' header columns when read beforehand (tasks/checks/rows.py)."""
    checks, policy = check_settings(profile)
    tables = build_tables(workspace.staging, checks, policy, columns=columns)
    return check_tables(tables, checks, policy, workspace.evidence / DATA_DOCS)


def check_settings(profile: ReleaseProfile) -> tuple[ChecksProfile, ReleasePolicy]:
    """The profile's checks settings (report titles checked unless reports get surrogates)
    and the release policy they imply."""
    checks: ChecksProfile = profile.section("checks")
    if checks.report_title_check is None:
        strategy = getattr(stage_settings(profile, "reports"), "strategy", None)
        checks = checks.model_copy(update={"report_title_check": strategy != "surrogate"})
    return checks, build_policy(checks, stage_settings(profile, "headers"))


def check_tables(
    tables: CheckTables, checks: ChecksProfile, policy: ReleasePolicy, docs_dir: Any
) -> CheckSummary:
    specs = build_specs(checks, policy)
    frames = {name: frame for name in TABLES if (frame := tables.get(name)) is not None}
    outcomes = run_specs(specs, frames, docs_dir)
    failed = {o.spec.name for o in outcomes if not o.success}
    suggestions = suggest(failed, tables.patients, tables.patient_values, checks)
    index = docs_dir / "index.html" if docs_dir is not None else None
    return summarise(
        outcomes,
        suggestions,
        table_counts(tables),
        checks.dpo_may_override,
        str(index) if index is not None and index.is_file() else None,
        modalities=series_per_modality(tables),
    )


def build_specs(checks: ChecksProfile, policy: ReleasePolicy) -> list[ExpectationSpec]:
    params = suite_parameters(checks, policy)
    specs = [spec for suite in load_suites(checks.suites) for spec in expand_suite(suite, params)]
    return [apply_blocking(spec, checks) for spec in specs]


def suite_parameters(checks: ChecksProfile, policy: ReleasePolicy) -> dict[str, Any]:
    """The settings suites may refer to as ``$name``."""
    return {
        "k": checks.k,
        "m": checks.m,
        "k_by_column": {c: checks.k_for(c) for c in checks.quasi_identifiers},
        "quasi_identifiers": list(checks.quasi_identifiers),
        "has_combination": len(checks.quasi_identifiers) >= 2,
        "rare_value_attributes": list(checks.rare_value_attributes),
        "required_attributes": list(checks.required_attributes),
        "pseudonym_pattern": policy.pseudonym_pattern,
        "uid_root": policy.uid_root,
        "report_title_check": checks.report_title_check is not False,
    }


def apply_blocking(spec: ExpectationSpec, checks: ChecksProfile) -> ExpectationSpec:
    if any(fnmatchcase(spec.name, pattern) for pattern in checks.non_blocking):
        return replace(spec, blocking=False)
    if any(fnmatchcase(spec.name, pattern) for pattern in checks.blocking):
        return replace(spec, blocking=True)
    return spec


def table_counts(tables: CheckTables) -> dict[str, int]:
    counts = {
        "instances": len(tables.instances),
        "series": len(tables.series),
        "studies": len(tables.studies),
        "patients": len(tables.patients),
    }
    if tables.reports is not None:
        counts["reports"] = len(tables.reports)
    if tables.clinical is not None:
        counts["clinical rows"] = len(tables.clinical)
    return counts


def series_per_modality(tables: CheckTables) -> dict[str, int]:
    """Modality code -> number of released series (codes only: CT, MR...)."""
    instances = tables.instances
    if instances is None or instances.empty or "Modality" not in instances:
        return {}
    grouped = instances.groupby(instances["Modality"].fillna("none").astype(str))
    return {str(k): int(v) for k, v in sorted(grouped["SeriesInstanceUID"].nunique().items())}


def stage_settings(profile: ReleaseProfile, section: str) -> object | None:
    """Another stage's settings (headers: pseudonym format, UID root; reports: strategy)."""
    try:
        return profile.section(section)
    except Exception:  # that stage is not installed: the checks profile's own defaults apply
        return None
