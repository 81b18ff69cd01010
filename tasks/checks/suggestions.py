"""Generalisations that would fix small-group and rare-value failures, for the DPO to choose.

Each suggestion names a column and counts (values, patients), never a raw value; age bands
are named because their labels are the profile's own generalised categories.
"""

from __future__ import annotations

import pandas as pd

from tasks.checks.check_settings import ChecksProfile
from tasks.checks.suites import slug
from tasks.checks.tables import MULTI_VALUE_JOIN, PATIENT, band_labels

HINTS = {
    "region": "map them to the 'Other' region (headers.regions.min_patients)",
    "InstitutionName": "map them to the 'Other' region (headers.regions)",
    "BodyPartExamined": "group them into broader body-part groups (headers.body_part_groups)",
    "Manufacturer": "remove device identity or group manufacturers into 'Other'",
    "ManufacturerModelName": "remove the model name (headers.keep_device_description: false)",
    "StationName": "remove it",
}
DEFAULT_HINT = "map them to a broader label or 'Other'"
OTHER_LABELS = frozenset({"other", "autre"})  # the catch-all groups profiles map values to


def suggest(
    failed: set[str], patients: pd.DataFrame, patient_values: pd.DataFrame, checks: ChecksProfile
) -> list[str]:
    suggestions: list[str] = []
    quasi = [c for c in checks.quasi_identifiers if c in patients.columns]
    if "small_groups.quasi_identifier_combinations_have_k_patients" in failed and quasi:
        suggestions.extend(_combination(patients, quasi, checks.k))
    for column in quasi:
        if f"small_groups.{slug(column)}_groups_have_k_patients" in failed:
            counts = patients[column].dropna().value_counts()
            suggestions.extend(_small_values(column, counts, checks.k_for(column), checks))
    for column in checks.rare_value_attributes:
        if f"rare_values.{slug(column)}_values_seen_in_m_patients" in failed:
            if column in patient_values.columns:
                counts = patient_values[column].dropna().value_counts()
                suggestions.extend(_small_values(column, counts, checks.m, checks))
    return list(dict.fromkeys(suggestions))


def _small_values(column: str, counts: pd.Series, minimum: int, checks: ChecksProfile) -> list[str]:
    small = counts[counts < minimum]
    if small.empty:
        return []
    if column == "age_band":
        return _age_bands(counts, minimum, checks)
    out = []
    other = [v for v in small.index if str(v).strip().lower() in OTHER_LABELS]
    if other:  # mapping to 'Other' cannot help the 'Other' group itself
        held = int(sum(small[v] for v in other))
        out.append(
            f"{column}: the 'Other' group itself holds fewer than {minimum} patients "
            f"({held}); merge it with the smallest named group, or suppress those patients"
        )
        small = small.drop(other)
        if small.empty:
            return out
    patients = int(small.sum())
    combined = sum(1 for value in small.index if MULTI_VALUE_JOIN in str(value))
    text = (
        f"{column}: {len(small)} value(s) held by fewer than {minimum} patients "
        f"({patients} patient(s) in all); {HINTS.get(column, DEFAULT_HINT)}"
    )
    if combined:
        text += f" ({combined} of them are patients' combinations of several values)"
    return [*out, text]


def _age_bands(counts: pd.Series, minimum: int, checks: ChecksProfile) -> list[str]:
    labels = band_labels(checks.age_band_edges)
    sizes = {label: int(counts.get(label, 0)) for label in labels}
    out = []
    merged: set[frozenset[str]] = set()  # each pair once: never "A with B" and "B with A"
    for position, label in enumerate(labels):
        if 0 < sizes[label] < minimum:
            neighbours = [labels[i] for i in (position - 1, position + 1) if 0 <= i < len(labels)]
            if not neighbours:
                continue
            partner = min(neighbours, key=lambda n: sizes[n])
            if frozenset((label, partner)) in merged:
                continue
            merged.add(frozenset((label, partner)))
            out.append(
                f"merge age band {label} ({sizes[label]} patients) with {partner} "
                f"({sizes[partner]} patients; remove the edge between them in the age band edges)"
            )
    others = [v for v in counts.index if v not in sizes and counts[v] < minimum]
    if others:
        held = int(sum(counts[v] for v in others))
        out.append(
            f"age_band: {len(others)} combination(s) of several bands held by fewer than "
            f"{minimum} patients ({held} patients); use wider bands"
        )
    return out


def _combination(patients: pd.DataFrame, quasi: list[str], k: int) -> list[str]:
    in_small = _patients_in_small_groups(patients, quasi, k)
    if in_small == 0:
        return []
    out = [f"suppress the {in_small} patient(s) in quasi-identifier groups smaller than {k}"]
    if len(quasi) > 1:
        options = []
        for column in quasi:
            rest = [c for c in quasi if c != column]
            options.append((_patients_in_small_groups(patients, rest, k), column))
        remaining, column = min(options)
        if remaining < in_small:  # only a change that helps is suggested
            out.append(
                f"generalise or drop {column}: patients in groups smaller than {k} go from "
                f"{in_small} to {remaining}"
            )
        else:
            out.append(
                f"no single quasi-identifier dropped brings these patients into groups of {k}: "
                "generalise several, or suppress them"
            )
    return out


def _patients_in_small_groups(patients: pd.DataFrame, columns: list[str], k: int) -> int:
    if not columns:
        return 0 if len(patients) >= k else len(patients)
    sizes = patients.groupby(columns, dropna=False, sort=False)[PATIENT].transform("size")
    return int((sizes < k).sum())
