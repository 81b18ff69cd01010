"""Expectation suites as data: load, validate and expand the YAML files in ``expectations/``.

A suite file names its expectations, the table each one runs on, its GE type and kwargs.
Kwargs may refer to the release profile's settings as ``$name`` (``$name[each]`` for a
per-column setting); ``for_each: $list`` repeats an entry per item (``$each``, ``{each}`` in
the name); ``when: $name`` keeps it only when the setting is set. Errors name the file and
the expectation. No Great Expectations import here: the runner turns specs into GE objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from tasks.config.errors import ClearanceError

SUITES_DIR = Path(__file__).resolve().parents[2] / "expectations"
TABLES = frozenset(
    {"instances", "series", "studies", "patients", "patient_values", "reports", "clinical"}
)
# Expectation types whose results carry counts, never values, with the runner's result
# format (map expectations + table shape). Aggregate expectations that report an observed
# value (distinct values, min/max, most common value...) would print raw values into Data
# Docs, so they are refused here.
ALLOWED_TYPES = frozenset(
    {
        "expect_column_value_group_size_to_be_at_least",
        "expect_multicolumn_group_size_to_be_at_least",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
        "expect_column_to_exist",
        "expect_table_row_count_to_be_between",
    }
)
ENTRY_FIELDS = frozenset(
    {"name", "table", "type", "kwargs", "blocking", "description", "for_each", "when"}
)
NAME = re.compile(r"^[a-z0-9_{}]+$")
REFERENCE = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)(?:\[each\])?$")


class SuiteError(ClearanceError):
    """A suite file is invalid; the message names the file and the expectation (no data)."""


@dataclass(frozen=True)
class ExpectationSpec:
    suite: str
    name: str  # "<suite>.<expectation name>", unique in a run
    table: str
    type: str
    kwargs: dict[str, Any]
    blocking: bool
    overridable: bool
    description: str = ""


@dataclass(frozen=True)
class SuiteFile:
    path: Path
    suite: str
    description: str
    blocking: bool
    overridable: bool
    entries: tuple[dict[str, Any], ...] = field(default_factory=tuple)


@lru_cache(maxsize=32)
def load_suite_file(path: Path) -> SuiteFile:
    """Read and validate one suite file (cached: loaded once per process)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SuiteError(f"{path}: cannot be read ({type(error).__name__})") from None
    if not isinstance(data, dict):
        raise SuiteError(f"{path}: must be a mapping")
    unknown = set(data) - {"suite", "version", "description", "blocking", "overridable",
                           "expectations"}  # fmt: skip
    if unknown:
        raise SuiteError(f"{path}: unknown field(s) {sorted(unknown)}")
    suite = data.get("suite")
    if not isinstance(suite, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", suite):
        raise SuiteError(f"{path}: field 'suite' must be a lower-case name")
    if suite != path.stem:
        raise SuiteError(f"{path}: field 'suite' must equal the file name ('{path.stem}')")
    if not isinstance(data.get("version"), int):
        raise SuiteError(f"{path}: field 'version' must be an integer")
    blocking = _flag(data, "blocking", path, "suite")
    overridable = _flag(data, "overridable", path, "suite")
    entries = data.get("expectations")
    if not isinstance(entries, list) or not entries:
        raise SuiteError(f"{path}: field 'expectations' must be a non-empty list")
    names: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{path}: expectations[{index}]"
        _check_entry(entry, where)
        if entry["name"] in names:
            raise SuiteError(f"{where}: name '{entry['name']}' is used twice")
        names.add(entry["name"])
    return SuiteFile(
        path, suite, str(data.get("description", "")), blocking, overridable, tuple(entries)
    )


def _flag(data: dict[str, Any], key: str, path: Path, where: str) -> bool:
    value = data.get(key, True)
    if not isinstance(value, bool):
        raise SuiteError(f"{path}: {where} field '{key}' must be true or false")
    return value


def _check_entry(entry: Any, where: str) -> None:
    if not isinstance(entry, dict):
        raise SuiteError(f"{where}: must be a mapping")
    unknown = set(entry) - ENTRY_FIELDS
    if unknown:
        raise SuiteError(f"{where}: unknown field(s) {sorted(unknown)}")
    name = entry.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise SuiteError(f"{where}: field 'name' must be lower_snake_case")
    if entry.get("table") not in TABLES:
        raise SuiteError(f"{where} ({name}): field 'table' must be one of {sorted(TABLES)}")
    if entry.get("type") not in ALLOWED_TYPES:
        raise SuiteError(
            f"{where} ({name}): field 'type' must be one of {sorted(ALLOWED_TYPES)} "
            "(other expectation types may print raw values into Data Docs)"
        )
    if not isinstance(entry.get("kwargs"), dict):
        raise SuiteError(f"{where} ({name}): field 'kwargs' must be a mapping")
    if "blocking" in entry and not isinstance(entry["blocking"], bool):
        raise SuiteError(f"{where} ({name}): field 'blocking' must be true or false")
    for key in ("for_each", "when"):
        if key in entry and not (isinstance(entry[key], str) and REFERENCE.match(entry[key])):
            raise SuiteError(f"{where} ({name}): field '{key}' must be a $setting reference")
    if ("{each}" in name) != ("for_each" in entry):
        raise SuiteError(f"{where} ({name}): use '{{each}}' in the name exactly with for_each")


def expand_suite(suite_file: SuiteFile, params: dict[str, Any]) -> list[ExpectationSpec]:
    """Resolve references against ``params`` (the profile's settings) into specs."""
    specs: list[ExpectationSpec] = []
    for index, entry in enumerate(suite_file.entries):
        where = f"{suite_file.path}: expectations[{index}] ({entry['name']})"
        if "when" in entry and not _lookup(entry["when"], params, where, None):
            continue
        items: list[Any] = [None]
        if "for_each" in entry:
            items = _lookup(entry["for_each"], params, where, None)
            if not isinstance(items, list):
                raise SuiteError(f"{where}: for_each must refer to a list setting")
        for item in items:
            name = entry["name"]
            if item is not None:
                name = name.replace("{each}", slug(item))
            kwargs = {
                key: _resolve(value, params, where, item) for key, value in entry["kwargs"].items()
            }
            specs.append(
                ExpectationSpec(
                    suite=suite_file.suite,
                    name=f"{suite_file.suite}.{name}",
                    table=entry["table"],
                    type=entry["type"],
                    kwargs=kwargs,
                    blocking=entry.get("blocking", suite_file.blocking),
                    overridable=suite_file.overridable,
                    description=str(entry.get("description", "")),
                )
            )
    return specs


def slug(item: Any) -> str:
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", str(item))  # SOPClass -> SOP_Class
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", spaced)  # PatientID -> Patient_ID
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def _resolve(value: Any, params: dict[str, Any], where: str, item: Any) -> Any:
    if isinstance(value, list):
        return [_resolve(v, params, where, item) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, params, where, item) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("$"):
        return _lookup(value, params, where, item)
    return value


def _lookup(reference: str, params: dict[str, Any], where: str, item: Any) -> Any:
    match = REFERENCE.match(reference)
    if not match:
        raise SuiteError(f"{where}: '{reference}' is not a valid $setting reference")
    key = match.group(1)
    if key == "each":
        if item is None:
            raise SuiteError(f"{where}: $each is only valid with for_each")
        return item
    if key not in params:
        raise SuiteError(f"{where}: unknown setting ${key} (known: {sorted(params)})")
    value = params[key]
    if reference.endswith("[each]"):
        if item is None or not isinstance(value, dict) or item not in value:
            raise SuiteError(f"{where}: ${key}[each] needs for_each and a per-column setting")
        return value[item]
    return value


def load_suites(names: list[str], folder: Path = SUITES_DIR) -> list[SuiteFile]:
    files = []
    for name in names:
        path = folder / f"{name}.yaml"
        if not path.is_file():
            raise SuiteError(f"checks.suites: no suite file {path}")
        files.append(load_suite_file(path))
    return files
