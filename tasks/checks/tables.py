"""The metadata tables the suites run on, built from the staging area only.

* ``instances``: one row per staged DICOM file (header read without pixel data): the
  released attributes the checks need, derived columns (age band, study year, aliases such
  as region) and per-instance violation counts (attributes outside the allow-list, private
  elements, UIDs outside the root, dates outside policy).
* ``series`` / ``studies``: consistency aggregates.
* ``patients``: one row per pseudonymous patient with its quasi-identifiers (a patient with
  several values, e.g. two body parts, gets their sorted combination "A+B").
* ``patient_values``: for each rare-value attribute, one row per distinct (patient, value):
  counting rows of a value counts the patients who have it.
* ``reports`` / ``clinical``: when staged.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tasks.checks.check_settings import DERIVED_COLUMNS, ChecksProfile
from tasks.checks.header_facts import read_facts
from tasks.checks.policy import ReleasePolicy
from tasks.checks.titles import count_title_mentions
from tasks.headers.study_link import WITHOUT_PATIENT

BASE_ATTRIBUTES = (
    "PatientID",
    "PatientName",
    "PatientSex",
    "PatientAge",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "SOPClassUID",
    "Modality",
    "InstanceNumber",
    "Rows",
    "Columns",
    "PixelSpacing",
    "SliceThickness",
    "StudyDate",
    "BodyPartExamined",
    "Manufacturer",
    "ManufacturerModelName",
    "InstitutionName",
    "PatientIdentityRemoved",
    "BurnedInAnnotation",
)
NUMERIC = ("InstanceNumber", "Rows", "Columns", "SliceThickness")
PATIENT = "PatientID"
MULTI_VALUE_JOIN = "+"


@dataclass
class CheckTables:
    instances: pd.DataFrame
    series: pd.DataFrame
    studies: pd.DataFrame
    patients: pd.DataFrame
    patient_values: pd.DataFrame
    reports: pd.DataFrame | None = None
    clinical: pd.DataFrame | None = None

    def get(self, name: str) -> pd.DataFrame | None:
        return getattr(self, name)


def staged_dicom_files(staging: Path) -> list[str]:
    """Every file under staging/dicom (any name: a stray file fails the checks, not hides)."""
    root = staging / "dicom"
    found: list[str] = []
    if not root.is_dir():
        return found
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        found.extend(os.path.join(folder, name) for name in sorted(files))
    return found


def wanted_attributes(checks: ChecksProfile) -> frozenset[str]:
    names = set(BASE_ATTRIBUTES) | set(checks.required_attributes) | set(checks.aliases.values())
    names |= set(checks.quasi_identifiers) | set(checks.rare_value_attributes)
    return frozenset(names - set(DERIVED_COLUMNS) - set(checks.aliases))


def build_instances(
    files: list[str],
    root: Path,
    checks: ChecksProfile,
    policy: ReleasePolicy,
    workers: int | None = None,
    columns: dict[str, list[object]] | None = None,
) -> pd.DataFrame:
    """One row per file. ``columns``: the files' header columns when already read (in the
    order of ``files``, see tasks/checks/rows.py). Otherwise large releases are read by
    ``workers`` processes (default: see default_workers); if processes cannot start, the
    read is serial."""
    wanted = tuple(sorted(wanted_attributes(checks)))
    prefix = str(root) + os.sep
    if workers is None:
        workers = default_workers(len(files))
    if columns is None and workers > 1:
        columns = _read_parallel(files, wanted, prefix, policy, workers)
    if columns is None:
        columns = instance_columns(files, wanted, prefix, policy)
    return add_derived_columns(pd.DataFrame(columns), checks)


PARALLEL_FROM = 20_000
# forkserver: workers start from a clean process, never from a fork of a threaded one (a
# Prefect worker has threads)
START_METHOD = "forkserver"
CHUNK = 5_000
PATH_COLUMNS = ("patient_folder", "study_folder", "series_folder", "instance_file")


def default_workers(files: int) -> int:
    """Processes for reading ``files`` headers: the idle CPUs, from PARALLEL_FROM files on (on
    a saturated machine extra processes only add start-up and transfer costs)."""
    if files < PARALLEL_FROM:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not available on this platform
        load = 0.0
    return max(1, min(cpus or 1, round((cpus or 1) - load)))


def instance_columns(
    files: list[str], wanted: tuple[str, ...], prefix: str, policy: ReleasePolicy
) -> dict[str, list[object]]:
    """Read the files' headers into columns (attribute values, path parts, violation counts)."""
    wanted_set = frozenset(wanted)
    values: dict[str, list[object]] = {name: [] for name in wanted}
    paths: dict[str, list[object]] = {name: [] for name in PATH_COLUMNS}
    counts: dict[str, list[object]] = {name: [] for name in _COUNT_COLUMNS}
    no_parts = (None, None, None, None)
    for path in files:
        facts = read_facts(path, wanted_set)
        found = facts.values
        for name, column in values.items():
            column.append(found.get(name) or None)  # empty value = missing
        parts = str(path).removeprefix(prefix).split(os.sep)
        for name, part in zip(PATH_COLUMNS, parts if len(parts) == 4 else no_parts, strict=True):
            paths[name].append(part)
        counts["header_readable"].append(facts.readable)
        counts["has_pixel_data"].append(facts.has_pixel_data)
        counts["attributes_outside_allow_list"].append(
            policy.attributes_outside_allow_list(facts.tags)
        )
        counts["private_elements_not_allowed"].append(
            policy.private_elements_not_allowed(facts.private_creators)
            if facts.private_creators
            else 0
        )
        counts["uids_outside_root"].append(policy.uids_outside_root(facts.uids))
        counts["dates_outside_policy"].append(policy.dates_outside_policy(facts.dates))
        counts["other_person_names"].append(policy.other_person_names(facts.person_names))
        counts["text_title_mentions"].append(policy.text_title_mentions(facts.texts))
    return {**values, **paths, **counts}


def _read_parallel(
    files: list[str], wanted: tuple[str, ...], prefix: str, policy: ReleasePolicy, workers: int
) -> dict[str, list[object]] | None:
    chunks = [files[i : i + CHUNK] for i in range(0, len(files), CHUNK)]
    try:
        context = multiprocessing.get_context(START_METHOD)
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            parts = list(
                pool.map(
                    instance_columns,
                    chunks,
                    [wanted] * len(chunks),
                    [prefix] * len(chunks),
                    [policy] * len(chunks),
                )
            )
    except Exception:  # e.g. no process start method here, a daemonic parent: read serially
        return None
    merged: dict[str, list[object]] = {name: [] for name in parts[0]} if parts else {}
    for part in parts:
        for name, column in part.items():
            merged[name].extend(column)
    return merged


_COUNT_COLUMNS = (
    "header_readable",
    "has_pixel_data",
    "attributes_outside_allow_list",
    "private_elements_not_allowed",
    "uids_outside_root",
    "dates_outside_policy",
    "other_person_names",
    "text_title_mentions",
)


def add_derived_columns(frame: pd.DataFrame, checks: ChecksProfile) -> pd.DataFrame:
    """Typed numbers, age band, study year, aliases, path checks (computed per distinct value:
    headers repeat the same few values across thousands of instances)."""
    for column in frame.columns:
        if frame[column].dtype != object and column not in _COUNT_COLUMNS:
            frame[column] = frame[column].astype(object)
    for column in NUMERIC:
        if column in frame:
            frame[column] = map_distinct(frame[column], _number_of).astype(float)
    frame["pixel_spacing_row"] = map_distinct(frame["PixelSpacing"], _spacing(0)).astype(float)
    frame["pixel_spacing_column"] = map_distinct(frame["PixelSpacing"], _spacing(1)).astype(float)
    frame["age_years"] = map_distinct(frame["PatientAge"], years_of_age).astype(float)
    edges, labels = np.asarray(checks.age_band_edges), band_labels(checks.age_band_edges)
    frame["age_band"] = map_distinct(frame["age_years"], lambda y: _band(y, edges, labels))
    frame["study_year"] = map_distinct(frame["StudyDate"], lambda d: d[:4] if len(d) >= 4 else None)
    frame["study_season"] = map_distinct(frame["StudyDate"], season_of)
    for alias, keyword in checks.aliases.items():
        frame[alias] = frame[keyword]
    dummies = set(checks.dummy_values)
    for column in {*checks.quasi_identifiers, *checks.rare_value_attributes}:
        if column in frame and dummies:
            frame[column] = frame[column].where(~frame[column].isin(dummies), None)
    frame["is_image"] = frame["has_pixel_data"].astype(bool)  # Rows alone is no image
    # objects whose IOD has no patient, study or series (colour palettes...): the attributes
    # those modules require (Modality...) are not asked of them
    frame["in_patient_iod"] = ~frame["SOPClassUID"].isin(WITHOUT_PATIENT)
    frame["patient_folder_matches_id"] = frame["patient_folder"] == frame[PATIENT]
    frame["folders_match_uids"] = (
        (frame["study_folder"] == frame["StudyInstanceUID"])
        & (frame["series_folder"] == frame["SeriesInstanceUID"])
        & (frame["instance_file"] == frame["SOPInstanceUID"] + ".dcm")
    ).fillna(False)
    frame["burned_in_annotation_on_image"] = np.where(  # type: ignore[call-overload]
        frame["is_image"],
        frame["BurnedInAnnotation"].fillna("ABSENT"),
        None,  # (object array)
    )
    return frame


def map_distinct(column: pd.Series, function: Callable[[Any], Any]) -> pd.Series:
    """``function`` applied once per distinct non-missing value; missing stays None."""
    mapping = {value: function(value) for value in column.dropna().unique()}
    return column.map(mapping).astype(object).where(column.notna(), None)


def _number_of(text: str) -> float | None:
    try:
        return float(text.split("\\", 1)[0])
    except ValueError:
        return None


def _spacing(index: int) -> Callable[[str], float | None]:
    def pick(text: str) -> float | None:
        parts = text.split("\\")
        try:
            return float(parts[index]) if index < len(parts) else None
        except ValueError:
            return None

    return pick


SEASONS = {
    month: season
    for season, months in (
        ("winter", (12, 1, 2)),
        ("spring", (3, 4, 5)),
        ("summer", (6, 7, 8)),
        ("autumn", (9, 10, 11)),
    )
    for month in months
}


def season_of(date_text: str) -> str | None:
    """Meteorological season (northern hemisphere) of a DA value; None when unreadable."""
    month = date_text[4:6]
    return SEASONS.get(int(month)) if month.isdigit() else None


AGE_UNITS = {"Y": 1.0, "M": 1 / 12, "W": 7 / 365.25, "D": 1 / 365.25}


def years_of_age(text: str) -> float | None:
    """DICOM AS ("045Y", "006M", "002W", "010D") -> years; anything else -> None."""
    text = text.strip()
    if 2 <= len(text) <= 4 and text[:-1].isdigit() and text[-1] in AGE_UNITS:
        return int(text[:-1]) * AGE_UNITS[text[-1]]
    return None


def age_in_years(ages: pd.Series) -> pd.Series:
    return map_distinct(ages, years_of_age).astype(float)


def _band(years: float, edges: np.ndarray, labels: list[str]) -> str | None:
    if years is None or np.isnan(years):
        return None
    index = int(np.searchsorted(edges, years, side="right")) - 1
    return labels[index] if index >= 0 else None


def band_labels(edges: list[int]) -> list[str]:
    labels = [f"{low}-{high - 1}" for low, high in zip(edges, edges[1:], strict=False)]
    return [*labels, f"{edges[-1]}+"]


def age_bands(years: pd.Series, edges: list[int]) -> pd.Series:
    labels = band_labels(edges)
    return map_distinct(years, lambda y: _band(y, np.asarray(edges), labels))


# --- aggregates --------------------------------------------------------------------------------
def build_series(instances: pd.DataFrame) -> pd.DataFrame:
    images = instances[instances["is_image"]]
    geometry = (
        images["Rows"].astype("string")
        + "x"
        + images["Columns"].astype("string")
        + "@"
        + images["PixelSpacing"].astype("string")
    )
    key = instances["SeriesInstanceUID"]
    grouped = instances.groupby(key, dropna=False, sort=False)
    numbers = instances.dropna(subset=["InstanceNumber"]).groupby(
        "SeriesInstanceUID", dropna=False, sort=False
    )["InstanceNumber"]
    series = pd.DataFrame(
        {
            "instances": grouped.size(),
            "modalities": grouped["Modality"].nunique(dropna=False),
            "studies": grouped["StudyInstanceUID"].nunique(dropna=False),
            "patients": grouped[PATIENT].nunique(dropna=False),
            "instance_numbers_absent": grouped.size() - grouped["InstanceNumber"].count(),
        }
    )
    series["geometries"] = (
        geometry.groupby(images["SeriesInstanceUID"], dropna=False).nunique(dropna=False)
    ).reindex(series.index, fill_value=0)
    count, distinct = numbers.size(), numbers.nunique()
    span = numbers.max() - numbers.min() + 1
    series["duplicate_instance_numbers"] = (count - distinct).reindex(series.index, fill_value=0)
    series["instance_number_gaps"] = (span - distinct).reindex(series.index, fill_value=0)
    return series.reset_index(drop=True)


def build_studies(instances: pd.DataFrame) -> pd.DataFrame:
    grouped = instances.groupby("StudyInstanceUID", dropna=False, sort=False)
    return pd.DataFrame(
        {
            "patients": grouped[PATIENT].nunique(dropna=False),
            "series": grouped["SeriesInstanceUID"].nunique(dropna=False),
            "instances": grouped.size(),
        }
    ).reset_index(drop=True)


def combine_values(values: pd.Series) -> str | None:
    distinct = sorted({str(v) for v in values if v is not None and not pd.isna(v)})
    return MULTI_VALUE_JOIN.join(distinct) if distinct else None


def build_patients(
    instances: pd.DataFrame, clinical: pd.DataFrame | None, columns: list[str]
) -> pd.DataFrame:
    """One row per patient; each quasi-identifier is the patient's sorted value combination."""
    sources: list[pd.DataFrame] = []
    dicom_columns = [c for c in columns if c in instances.columns]
    pairs = instances[[PATIENT, *dicom_columns]].drop_duplicates()
    sources.append(pairs)
    if clinical is not None:
        clinical_columns = [c for c in columns if c in clinical.columns and c not in dicom_columns]
        if clinical_columns:
            sources.append(clinical[[PATIENT, *clinical_columns]].drop_duplicates())
    patients = pd.DataFrame({PATIENT: pd.unique(instances[PATIENT])})
    for source in sources:
        for column in source.columns.drop(PATIENT):
            combined = source.groupby(PATIENT, dropna=False, sort=False)[column].agg(combine_values)
            patients[column] = patients[PATIENT].map(combined)
    for column in columns:
        if column not in patients:
            patients[column] = None
    patients["studies"] = patients[PATIENT].map(
        instances.groupby(PATIENT, dropna=False)["StudyInstanceUID"].nunique()
    )
    return patients


def build_patient_values(
    instances: pd.DataFrame, clinical: pd.DataFrame | None, attributes: list[str]
) -> pd.DataFrame:
    """Per attribute, distinct (patient, value) rows; other attribute columns stay empty."""
    blocks: list[pd.DataFrame] = []
    for attribute in attributes:
        source = instances if attribute in instances.columns else clinical
        if source is None or attribute not in source.columns:
            continue
        pairs = source[[PATIENT, attribute]].dropna().drop_duplicates()
        blocks.append(pairs)
    frame = pd.concat(blocks, ignore_index=True) if blocks else pd.DataFrame({PATIENT: []})
    for attribute in attributes:
        if attribute not in frame:
            frame[attribute] = None
    return frame.astype(object).where(frame.notna(), None)


# --- reports and clinical ----------------------------------------------------------------------
def build_reports(staging: Path) -> pd.DataFrame | None:
    folder = staging / "reports"
    if not folder.is_dir():
        return None
    rows = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            text = path.read_text(encoding="utf-8")
            rows.append({"readable": True, "title_mentions": count_title_mentions(text)})
        except (OSError, UnicodeDecodeError):
            rows.append({"readable": False, "title_mentions": 0})
    return pd.DataFrame(rows, columns=["readable", "title_mentions"])


def read_clinical(staging: Path, checks: ChecksProfile) -> pd.DataFrame | None:
    path = staging / "clinical" / "clinical.csv"
    if not path.is_file():
        return None
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception:  # unreadable: fails clinical_has_patient_column (never its message)
        return pd.DataFrame({PATIENT: [None], "patient_column_present": [False]})
    source = checks.clinical.patient_column
    patient = frame[source] if source in frame.columns else pd.Series([None] * len(frame))
    keep = [c for c in checks.clinical.quasi_identifiers if c in frame.columns]
    clinical = frame[keep].copy()
    clinical.insert(0, PATIENT, patient.to_numpy())
    clinical = clinical.astype(object).where(clinical != "", None)
    clinical["patient_column_present"] = source in frame.columns
    return clinical


def mark_clinical_released(clinical: pd.DataFrame, instances: pd.DataFrame) -> pd.DataFrame:
    clinical["patient_released"] = clinical[PATIENT].isin(set(instances[PATIENT].dropna()))
    return clinical


def build_tables(
    staging: Path,
    checks: ChecksProfile,
    policy: ReleasePolicy,
    workers: int | None = None,
    columns: dict[str, list[object]] | None = None,
) -> CheckTables:
    files = staged_dicom_files(staging)
    instances = build_instances(files, staging / "dicom", checks, policy, workers, columns)
    clinical = read_clinical(staging, checks)
    if clinical is not None:
        clinical = mark_clinical_released(clinical, instances)
    return CheckTables(
        instances=instances,
        series=build_series(instances),
        studies=build_studies(instances),
        patients=build_patients(instances, clinical, checks.quasi_identifiers),
        patient_values=build_patient_values(instances, clinical, checks.rare_value_attributes),
        reports=build_reports(staging),
        clinical=clinical,
    )
