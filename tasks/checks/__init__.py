"""Checks stage: re-identification risk and data quality of the candidate release, proved
with Great Expectations on metadata tables built from the staging area.

Entry point: ``tasks.checks.run.run_checks(workspace, profile) -> CheckSummary``.
"""
