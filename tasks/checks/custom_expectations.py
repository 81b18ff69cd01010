"""Custom Great Expectations for group sizes (k-anonymity and rare values), pandas engine.

Importing this module registers them with GE; ``tasks.checks.gx_runner`` imports it before any
suite is built, and the suite loader refuses expectation types GE would not know (GE itself
only logs and skips an unknown expectation).

* ``expect_column_value_group_size_to_be_at_least``: every non-null value of the column occurs
  in at least ``min_size`` rows (rows are patients in the tables the checks build).
* ``expect_multicolumn_group_size_to_be_at_least``: every combination of the columns' values
  (missing values included) occurs in at least ``min_size`` rows.

Both are map expectations: a failure reports how many rows sit in too-small groups; with the
result format the runner uses, never which values.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    MulticolumnMapExpectation,
)
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    MulticolumnMapMetricProvider,
    column_condition_partial,
    multicolumn_condition_partial,
)
from pydantic import Field

COLUMN_METRIC = "column_values.clearance_group_size_at_least"
MULTICOLUMN_METRIC = "multicolumn_values.clearance_group_size_at_least"


class ColumnValueGroupSizeAtLeast(ColumnMapMetricProvider):
    condition_metric_name = COLUMN_METRIC
    condition_value_keys = ("min_size",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, min_size: int, **kwargs: Any) -> pd.Series:
        sizes = column.map(column.value_counts(dropna=False))
        return sizes >= min_size


class MulticolumnGroupSizeAtLeast(MulticolumnMapMetricProvider):
    condition_metric_name = MULTICOLUMN_METRIC
    condition_domain_keys = (
        "batch_id",
        "table",
        "column_list",
        "row_condition",
        "condition_parser",
        "ignore_row_if",
    )
    condition_value_keys = ("min_size",)

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, min_size: int, **kwargs: Any) -> pd.Series:
        columns = list(column_list.columns)
        sizes = column_list.groupby(columns, dropna=False, sort=False)[columns[0]].transform("size")
        return sizes >= min_size


class ExpectColumnValueGroupSizeToBeAtLeast(ColumnMapExpectation):
    """Every value of the column is shared by at least ``min_size`` rows."""

    min_size: int = Field(ge=1)
    map_metric: ClassVar[str] = COLUMN_METRIC
    success_keys: ClassVar[tuple[str, ...]] = ("min_size", "mostly")


class ExpectMulticolumnGroupSizeToBeAtLeast(MulticolumnMapExpectation):
    """Every combination of the columns' values is shared by at least ``min_size`` rows."""

    min_size: int = Field(ge=1)
    map_metric: ClassVar[str] = MULTICOLUMN_METRIC
    success_keys: ClassVar[tuple[str, ...]] = ("min_size", "mostly")


CUSTOM_EXPECTATIONS = {
    "expect_column_value_group_size_to_be_at_least": ExpectColumnValueGroupSizeToBeAtLeast,
    "expect_multicolumn_group_size_to_be_at_least": ExpectMulticolumnGroupSizeToBeAtLeast,
}
