"""What a release keeps and at which granularity, read from its profile: one description for
the DPO's release card and for the recipient's data dictionary (``DATA_DICTIONARY.md`` at the
release root), so the two never disagree.

The dictionary is what lets a recipient read coded values right: Patient's Age under age bands
holds the band's lower edge as a DICOM age string (``018Y`` is the band 18–29, not "18 years
old"), dates are shifted per patient, body parts and institutions are grouped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tasks.runtime import atomic

DICTIONARY = "DATA_DICTIONARY.md"


def date_text(headers: Any) -> str:
    dates = headers.dates
    if dates.mode == "shift":
        return f"shifted per patient by {-dates.shift_max_days}–{-dates.shift_min_days} days" + (
            ", times of day kept" if dates.keep_time_of_day else ", times shifted too"
        )
    return {"remove": "removed", "keep": "kept as acquired"}[dates.mode]


def age_bands(headers: Any) -> list[tuple[str, str]]:
    """(Patient's Age as released, the band it stands for), youngest first; empty when ages
    are released as acquired."""
    if not headers.age_bands:
        return []
    edges = headers.age_bands.edges
    lowers = ([0] if edges[0] > 0 else []) + list(edges)
    rows = []
    for lower in lowers:
        edge, label = headers.age_bands.band(lower)
        shown = f"{label.removesuffix('+')} and over" if label.endswith("+") else label
        rows.append((f"{edge:03d}Y", shown.replace("-", "–") + " years"))
    return rows


def granularity(profile: Any) -> list[tuple[str, str]]:
    """(what, how it is released) for the attributes a recipient could link or single out by."""
    headers, reports = profile.section("headers"), profile.section("reports")
    bands = age_bands(headers)
    return [
        ("dates", date_text(headers)),
        (
            "ages",
            "bands " + ", ".join(str(edge) for edge in headers.age_bands.edges)
            if bands
            else "as acquired (PatientAge)",
        ),
        ("body parts", "grouped" if headers.body_part_groups else "as acquired"),
        (
            "institutions",
            "kept"
            if headers.retain_institution_identity
            else ("regions (rare ones → Other)" if headers.regions else "removed"),
        ),
        (
            "devices",
            "kept" if headers.keep_device_description else "manufacturer and model removed",
        ),
        ("UIDs", f"regenerated under {headers.uid_root}" if not headers.retain_uids else "kept"),
        (
            "reports",
            f"{reports.strategy}s for identifiers, dates {reports.dates}, ages {reports.ages}, "
            f"birth dates → {reports.birth_dates.replace('_', ' ')}",
        ),
    ]


def data_dictionary(profile: Any) -> str:
    """Markdown for the release root: how to read what was generalised. Settings only."""
    headers = profile.section("headers")
    lines = [
        "# How to read this release",
        "",
        f"Made under the release profile `{profile.name}`. Patients are pseudonymous: Patient ID "
        "and Patient's Name hold the same keyed pseudonym; instance, series and study UIDs are "
        "new. Every file is listed with its SHA-256 in `MANIFEST.sha256`.",
        "",
        "| attribute | released as |",
        "|---|---|",
        *(f"| {what} | {how} |" for what, how in granularity(profile)),
    ]
    bands = age_bands(headers)
    if bands:
        lines += [
            "",
            "## Patient's Age (0010,1010) holds an age band",
            "",
            "The value is the band's lower edge, written as a DICOM age string: read it as the "
            "band, never as the patient's age.",
            "",
            "| Patient's Age | band |",
            "|---|---|",
            *(f"| `{code}` | {band} |" for code, band in bands),
        ]
    if headers.body_part_groups:
        groups = headers.body_part_groups
        lines += [
            "",
            "## Body Part Examined (0018,0015) holds a group",
            "",
            "| group | body parts in it |",
            "|---|---|",
            *(f"| `{name}` | {', '.join(values)} |" for name, values in groups.groups.items()),
            f"| `{groups.other}` | any other |",
        ]
    return "\n".join(lines) + "\n"


def write_data_dictionary(staging: Path, profile: Any) -> Path:
    path = staging / DICTIONARY
    atomic.write_text(path, data_dictionary(profile))
    return path
