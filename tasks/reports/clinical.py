"""File stage: pseudonymise the clinical CSV (one row per study, keyed by AccessionNumber).

Identifiers become the DICOM pseudonyms, dates are shifted (or removed) per the profile,
ages go to bands, listed identifying columns are dropped, and free-text columns go through
the report engine with the row's study values as exact-match patterns. Rows matching no
study are dropped from the release and kept in quarantine.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tasks.config.phi import PhiRecord
from tasks.reports.known_values import KnownValues
from tasks.reports.replace import age_band, rewrite
from tasks.reports.report_settings import ClinicalSettings, ReportProfile
from tasks.reports.report_stage import clean_text, settings
from tasks.reports.spans import Span
from tasks.reports.studies import known_groups, studies
from tasks.reports.text_io import read_text
from tasks.rights.opted_out_studies import opted_out_accessions
from tasks.runtime import atomic
from tasks.runtime.stage_contract import Outcome, StageContext

RELEASE_NAME = "clinical/clinical.csv"


def column_roles(header: list[str], clinical: ClinicalSettings) -> list[str] | None:
    """A role per column: accession, patient_id, drop, date, age, keep or clean (free text).

    None when a column has no role and the profile says to reject such files.
    """

    def names(values: list[str]) -> set[str]:
        return {v.strip().lower() for v in values}

    drop, dates, ages, keep, texts = (
        names(clinical.drop_columns),
        names(clinical.date_columns),
        names(clinical.age_columns),
        names(clinical.keep_columns),
        names(clinical.text_columns),
    )
    roles = []
    for column in header:
        name = column.strip().lower()
        if name == clinical.accession_column.lower():
            roles.append("accession")
        elif clinical.patient_id_column and name == clinical.patient_id_column.lower():
            roles.append("patient_id")
        elif name in drop:
            roles.append("drop")
        elif name in dates:
            roles.append("date")
        elif name in ages:
            roles.append("age")
        elif name in keep:
            roles.append("keep")
        elif name in texts:
            roles.append("clean")
        elif clinical.other_columns == "reject":
            return None
        else:
            roles.append("drop" if clinical.other_columns == "drop" else "clean")
    return roles


def pseudonymise_clinical(src: Path, dst: Path, item_id: str, ctx: StageContext) -> Outcome:
    profile = settings(ctx)
    clinical = profile.clinical
    try:
        text = read_text(Path(src))
    except (OSError, UnicodeDecodeError):
        return Outcome(False, "reports.clinical_unreadable")
    rows = list(csv.reader(io.StringIO(text), delimiter=clinical.delimiter))
    if not rows:
        return Outcome(False, "reports.clinical_empty")
    header, body = rows[0], [row for row in rows[1:] if any(cell.strip() for cell in row)]
    roles = column_roles(header, clinical)
    if roles is None:
        return Outcome(False, "reports.clinical_unknown_column")
    if "accession" not in roles:
        return Outcome(False, "reports.clinical_no_accession_column")
    index = studies(ctx.workspace, ctx.key)
    released: list[list[str]] = []
    unmatched: list[list[str]] = []
    opted_out = 0
    for row in body:
        if len(row) != len(header):
            return Outcome(False, "reports.clinical_ragged_row")
        accession = row[roles.index("accession")].strip()
        record = index.get(accession)
        if record is None or not record.pseudo_accession:
            if accession in opted_out_accessions(ctx.workspace):
                opted_out += 1  # a person who objected: counted, not kept anywhere
            else:
                unmatched.append(row)
            continue
        cleaned = _clean_row(row, roles, record, profile, ctx)
        if cleaned is None:
            return Outcome(False, "reports.clinical_known_value_remaining")
        released.append(cleaned)
    if unmatched:
        ctx.workspace.quarantine_rows(item_id, header, unmatched, "no_matching_study")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=clinical.delimiter, lineterminator="\n")
    writer.writerow([column for column, role in zip(header, roles, strict=True) if role != "drop"])
    writer.writerows(released)
    atomic.write_text(Path(dst), out.getvalue())
    return Outcome(
        True,
        counts={
            "rows_released": len(released),
            "rows_quarantined": len(unmatched),
            **({"rows_opted_out": opted_out} if opted_out else {}),
        },
        release_name=RELEASE_NAME,
    )


def _clean_row(
    row: list[str], roles: list[str], record: PhiRecord, profile: ReportProfile, ctx: StageContext
) -> list[str] | None:
    groups = known_groups(record)
    known = KnownValues(groups)
    out = []
    for cell, role in zip(row, roles, strict=True):
        if role == "drop":
            continue
        if role == "accession":
            out.append(record.pseudo_accession)
        elif role == "patient_id":
            out.append(record.pseudo_patient_id)
        elif role == "keep":
            out.append(cell)
        elif role == "age":
            out.append(_age(cell, profile))
        elif role == "date":
            out.append(_date(cell, profile, ctx, record))
        else:
            out.append(_free_text(cell, profile, ctx, record, groups))
    if any(
        known.find(cell)
        for cell, role in zip(out, [r for r in roles if r != "drop"], strict=True)
        if role not in ("keep",)
    ):
        return None
    return out


def _age(cell: str, profile: ReportProfile) -> str:
    value = cell.strip()
    if not value:
        return ""
    if profile.ages == "band":
        digits = "".join(ch for ch in value if ch.isdigit())
        if digits:
            unit = " mois" if "m" in value.lower() else " ans"
            band = age_band(digits + unit, "fr", profile.age_bands)
            if band is not None:
                return band.replace(" ans et plus", "+").replace(" ans", "")
    return ""


def _date(cell: str, profile: ReportProfile, ctx: StageContext, record: PhiRecord) -> str:
    value = cell.strip()
    if not value:
        return ""
    spans = [Span(0, len(value), "DATE")]
    result = rewrite(value, spans, "fr", profile, ctx.key, record.date_shift_days)
    return "" if result.text.startswith("[") else result.text


def _free_text(
    cell: str,
    profile: ReportProfile,
    ctx: StageContext,
    record: PhiRecord,
    groups: dict[str, list[str]],
) -> str:
    if not cell.strip():
        return cell
    return clean_text(cell, ctx, profile, record, groups).text
