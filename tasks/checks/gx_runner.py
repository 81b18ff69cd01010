"""Run expectation specs through Great Expectations 1.x (ValidationDefinition + Checkpoint,
pandas engine) and build Data Docs that hold counts, never values.

``great_expectations`` is imported here only, lazily (~10 s), and one ephemeral context is
shared by the process. Runs are serialised by a lock; each run removes its suites,
validation definitions, checkpoints, stored results and Data Docs site afterwards, so one
run's results never appear in another run's Data Docs.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tasks.checks.suites import ExpectationSpec

# BASIC with no partial list: unexpected counts, no unexpected values or rows anywhere
# (GE's default SUMMARY prints failing values into Data Docs).
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "BASIC",
    "partial_unexpected_count": 0,
    "include_unexpected_rows": False,
    "return_unexpected_index_query": False,
}
DATASOURCE = "clearance"
BATCH_DEFINITION = "whole"
NAME_KEY = "clearance_name"

_lock = threading.Lock()
_context: Any = None


@dataclass(frozen=True)
class ExpectationOutcome:
    spec: ExpectationSpec
    success: bool
    unexpected_count: int | None
    element_count: int | None
    error: bool = False  # the expectation did not execute (counts as failed)


def gx_context() -> Any:
    """The process's GE context (ephemeral, no analytics, no progress bars)."""
    global _context
    if _context is None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        import tasks.checks.custom_expectations  # noqa: F401  (registers the custom types)

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        _drop_default_sites(context)
        context.data_sources.add_pandas(DATASOURCE)
        _context = context
    return _context


def _drop_default_sites(context: Any) -> None:
    """The ephemeral context comes with a site in a fresh temporary folder: never build there
    (Data Docs go to the workspace's evidence folder only); remove the empty folder."""
    for name, config in dict(context.config.data_docs_sites or {}).items():
        folder = Path(config.get("store_backend", {}).get("base_directory", ""))
        context.delete_data_docs_site(name)
        if folder.is_dir() and folder.name.startswith("tmp") and not any(folder.iterdir()):
            folder.rmdir()


def with_conditions(kwargs: dict[str, Any]) -> dict[str, Any]:
    """A suite's ``row_condition: {column: C, equals: V}`` as GE's Condition object (string
    conditions are deprecated in GE)."""
    condition = kwargs.get("row_condition")
    if not isinstance(condition, dict):
        return kwargs
    from great_expectations.expectations.row_conditions import Column

    if set(condition) != {"column", "equals"}:
        raise ValueError("row_condition takes exactly: column, equals")
    return {**kwargs, "row_condition": Column(condition["column"]) == condition["equals"]}


def expectation_class(type_name: str) -> type:
    import great_expectations as gx

    from tasks.checks.custom_expectations import CUSTOM_EXPECTATIONS

    if type_name in CUSTOM_EXPECTATIONS:
        return CUSTOM_EXPECTATIONS[type_name]
    class_name = "".join(part.capitalize() for part in type_name.split("_"))
    found = getattr(gx.expectations, class_name, None)
    if found is None:
        raise ValueError(f"expectation type {type_name} is not known to Great Expectations")
    return found


def run_specs(
    specs: list[ExpectationSpec],
    tables: dict[str, pd.DataFrame],
    docs_dir: Path | None,
    result_format: dict[str, Any] | None = None,
) -> list[ExpectationOutcome]:
    """Validate each spec on its table; specs whose table is absent are not run.

    ``result_format`` exists for tests that prove the default keeps values out of Data Docs.
    """
    with _lock:
        context = gx_context()
        run_tag = uuid.uuid4().hex[:8]
        created: dict[str, list[str]] = {"checkpoints": [], "validations": [], "suites": []}
        site = f"clearance_{run_tag}"
        try:
            outcomes = _run_locked(
                context, specs, tables, run_tag, created, result_format or RESULT_FORMAT
            )
            if docs_dir is not None:
                _build_docs(context, docs_dir, site)
            return outcomes
        finally:
            _cleanup(context, created, site)


def _run_locked(
    context: Any,
    specs: list[ExpectationSpec],
    tables: dict[str, pd.DataFrame],
    run_tag: str,
    created: dict[str, list[str]],
    result_format: dict[str, Any],
) -> list[ExpectationOutcome]:
    import great_expectations as gx

    by_table: dict[str, dict[str, list[ExpectationSpec]]] = {}
    for spec in specs:
        if spec.table in tables:
            by_table.setdefault(spec.table, {}).setdefault(spec.suite, []).append(spec)
    datasource = context.data_sources.get(DATASOURCE)
    results: dict[str, Any] = {}
    for table, suites in by_table.items():
        batch = _batch_definition(datasource, table)
        definitions = [
            _validation_definition(
                context, batch, f"{suite}.{table}", suite_specs, run_tag, created
            )
            for suite, suite_specs in suites.items()
        ]
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"clearance.{table}.{run_tag}",
                validation_definitions=definitions,
                actions=[],
                result_format=result_format,
            )
        )
        created["checkpoints"].append(checkpoint.name)
        run = checkpoint.run(batch_parameters={"dataframe": tables[table]})
        for validation in run.run_results.values():
            for result in validation.results:
                name = (result.expectation_config.meta or {}).get(NAME_KEY)
                if name:
                    results[name] = result
    return [_outcome(spec, results.get(spec.name)) for spec in specs if spec.table in tables]


def _validation_definition(
    context: Any,
    batch: Any,
    name: str,
    specs: list[ExpectationSpec],
    run_tag: str,
    created: dict[str, list[str]],
) -> Any:
    """A GE suite named ``<suite>.<table>`` holding the specs, bound to the table's batch."""
    import great_expectations as gx

    _quietly(context.suites.delete, name)  # left over by an interrupted run
    suite = context.suites.add(gx.ExpectationSuite(name=name))
    created["suites"].append(name)
    for spec in specs:
        expectation = expectation_class(spec.type)
        suite.add_expectation(
            expectation(
                **with_conditions(spec.kwargs),
                meta={NAME_KEY: spec.name, "blocking": spec.blocking},
            )
        )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{name}.{run_tag}", data=batch, suite=suite)
    )
    created["validations"].append(definition.name)
    return definition


def _batch_definition(datasource: Any, table: str) -> Any:
    if table in datasource.get_asset_names():
        asset = datasource.get_asset(table)
    else:
        asset = datasource.add_dataframe_asset(table)
    if any(d.name == BATCH_DEFINITION for d in asset.batch_definitions):
        return asset.get_batch_definition(BATCH_DEFINITION)
    return asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)


def _outcome(spec: ExpectationSpec, result: Any) -> ExpectationOutcome:
    if result is None:  # GE skipped it: never count a skipped expectation as passed
        return ExpectationOutcome(spec, False, None, None, error=True)
    info = result.exception_info or {}
    raised = bool(info.get("raised_exception")) or any(
        isinstance(v, dict) and v.get("raised_exception") for v in info.values()
    )
    details = result.result or {}
    unexpected = details.get("unexpected_count")
    elements = details.get("element_count")
    return ExpectationOutcome(
        spec,
        bool(result.success) and not raised,
        int(unexpected) if unexpected is not None else None,
        int(elements) if elements is not None else None,
        error=raised,
    )


def _build_docs(context: Any, docs_dir: Path, site: str) -> None:
    if docs_dir.exists():
        shutil.rmtree(docs_dir)  # a re-run must not leave the previous run's pages
    docs_dir.mkdir(parents=True)
    context.add_data_docs_site(
        site,
        {
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    context.build_data_docs(site_names=[site])


def _cleanup(context: Any, created: dict[str, list[str]], site: str) -> None:
    for name in created["checkpoints"]:
        _quietly(context.checkpoints.delete, name)
    for name in created["validations"]:
        _quietly(context.validation_definitions.delete, name)
    for name in created["suites"]:
        _quietly(context.suites.delete, name)
    store = context.validation_results_store
    for key in list(store.list_keys()):
        _quietly(store.remove_key, key)
    sites = context.config.data_docs_sites or {}
    if site in sites:
        _quietly(context.delete_data_docs_site, site)


def _quietly(action: Any, *args: Any) -> None:
    try:
        action(*args)
    except Exception:  # cleanup is best effort; the next run builds its own names
        pass
