"""The ``checks:`` section of a release profile (validated once, when the profile loads).

It says which columns are quasi-identifiers, how many patients each group needs (k), how
often each released categorical value must occur (m), what the release may contain
(attributes, dates, UIDs, private tags, pseudonym format), which suites run, which failures
block the release and whether the DPO may override a blocking failure.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydicom.datadict import tag_for_keyword

COLUMN_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
UID_ROOT = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")
DERIVED_COLUMNS = ("age_band", "age_years", "study_year", "study_season")
DEFAULT_SUITES = ["small_groups", "rare_values", "residual_identifiers", "data_quality"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatesPolicy(_Strict):
    """What a released date (DA, DT, at any depth of the header) may look like."""

    allowed_attributes: list[str] | Literal["any"] = "any"  # keywords allowed to hold a date
    forbidden_attributes: list[str] = Field(default_factory=lambda: ["PatientBirthDate"])
    # the header stage's dummy date (PS3.15 action D): no information, allowed anywhere
    dummy_values: list[str] = Field(default_factory=lambda: ["19000101"])
    earliest: date = date(1900, 1, 1)
    latest: date | None = None  # None: today (no date in the future)
    precision: Literal["day", "month", "year"] = "day"  # month: YYYYMM01, year: YYYY0101


class ClinicalColumns(_Strict):
    """The clinical CSV in staging: its patient column and its quasi-identifying columns."""

    patient_column: str = "PatientID"  # the clinical stage keeps the input column names
    quasi_identifiers: list[str] = Field(default_factory=list)


class ChecksProfile(_Strict):
    # --- re-identification risk --------------------------------------------------------------
    # columns of the patient table (DICOM keywords, derived columns age_band / study_year, the
    # aliases below, clinical quasi-identifiers) whose combination must group >= k patients
    quasi_identifiers: list[str] = Field(
        default_factory=lambda: ["PatientSex", "age_band", "region", "Modality"]
    )
    k: int = Field(default=5, ge=1)
    k_by_column: dict[str, int] = Field(default_factory=dict)  # e.g. region: 100 (one column)
    # released categorical attributes whose every value must be seen in >= m patients
    rare_value_attributes: list[str] = Field(
        default_factory=lambda: [
            "PatientSex",
            "age_band",
            "region",
            "Modality",
            "BodyPartExamined",
            "Manufacturer",
            "ManufacturerModelName",
        ]
    )
    m: int = Field(default=5, ge=1)
    # derived column -> DICOM keyword it is read from (the header stage writes the region into
    # InstitutionName when it generalises institutions to regions)
    aliases: dict[str, str] = Field(default_factory=lambda: {"region": "InstitutionName"})
    # dummy values the header stage writes instead of removing (PS3.15 action D): they say
    # nothing about the patient, so quasi-identifier and rare-value checks treat them as missing
    dummy_values: list[str] = Field(default_factory=lambda: ["ANONYMOUS"])
    # lower edges of the age bands used for the age_band column (PatientAge -> band label)
    age_band_edges: list[int] = Field(default_factory=lambda: [0, 18, 30, 40, 50, 60, 70, 80, 90])
    clinical: ClinicalColumns = ClinicalColumns()

    # --- residual identifiers ----------------------------------------------------------------
    released_attributes: list[str] | Literal["any"] = "any"  # top-level keyword allow-list
    # PatientID / PatientName / patient folder / clinical patient ids; None: derived from the
    # header stage's pseudonym settings (prefix + base32 code of the configured length)
    pseudonym_pattern: str | None = None
    # every UID not defined by DICOM itself must be under this root; None: the header stage's
    # uid_root (2.25 by default)
    uid_root: str | None = None
    check_uid_root: bool = True  # false when the profile retains original UIDs
    allowed_private_creators: list[str] = Field(default_factory=list)
    dates: DatesPolicy = DatesPolicy()
    # "title + capitalised word" in a report fails (FIDAC); None: on, unless the report stage
    # writes realistic surrogate names (reports.strategy: surrogate) instead of placeholders
    report_title_check: bool | None = None

    # --- data quality ------------------------------------------------------------------------
    required_attributes: list[str] = Field(
        default_factory=lambda: [
            "PatientID",
            "StudyInstanceUID",
            "SeriesInstanceUID",
            "SOPInstanceUID",
            "SOPClassUID",
            "Modality",
        ]
    )

    # --- what runs and what blocks -------------------------------------------------------------
    suites: list[str] = Field(default_factory=lambda: list(DEFAULT_SUITES))
    # expectation names (fnmatch patterns, e.g. "data_quality.*") forced blocking / non-blocking
    blocking: list[str] = Field(default_factory=list)
    non_blocking: list[str] = Field(default_factory=list)
    dpo_may_override: bool = False

    @field_validator("quasi_identifiers", "rare_value_attributes")
    @classmethod
    def _column_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not COLUMN_NAME.match(name):
                raise ValueError(f"'{name}' is not a valid column name")
        if len(set(value)) != len(value):
            raise ValueError("names must not repeat")
        return value

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, value: dict[str, str]) -> dict[str, str]:
        for alias, keyword in value.items():
            if not COLUMN_NAME.match(alias) or not COLUMN_NAME.match(keyword):
                raise ValueError(f"alias '{alias}' -> '{keyword}': not valid column names")
        return value

    @field_validator("age_band_edges")
    @classmethod
    def _edges(cls, value: list[int]) -> list[int]:
        if not value or value[0] != 0:
            raise ValueError("age_band_edges must start at 0")
        if any(b <= a for a, b in zip(value, value[1:], strict=False)):
            raise ValueError("age_band_edges must be strictly ascending")
        return value

    @field_validator("pseudonym_pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            re.compile(value)
        except re.error:
            raise ValueError("pseudonym_pattern is not a valid regular expression") from None
        if not (value.startswith("^") and value.endswith("$")):
            raise ValueError("pseudonym_pattern must be anchored (^...$)")
        return value

    @field_validator("uid_root")
    @classmethod
    def _uid_root(cls, value: str | None) -> str | None:
        if value is None:
            return value
        value = value.rstrip(".")
        if not UID_ROOT.match(value):
            raise ValueError("uid_root must be dot-separated numbers without leading zeros")
        return value

    @field_validator("k_by_column")
    @classmethod
    def _k_values(cls, value: dict[str, int]) -> dict[str, int]:
        if any(k < 1 for k in value.values()):
            raise ValueError("every k must be at least 1")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ChecksProfile:
        if len(set(self.suites)) != len(self.suites):
            raise ValueError("suites: names must not repeat")
        known = set(DERIVED_COLUMNS) | set(self.aliases) | set(self.clinical.quasi_identifiers)
        for field_name in ("quasi_identifiers", "rare_value_attributes", "required_attributes"):
            for name in getattr(self, field_name):
                if name not in known and tag_for_keyword(name) is None:
                    raise ValueError(
                        f"{field_name}: '{name}' is neither a DICOM keyword, a derived column "
                        f"({', '.join(DERIVED_COLUMNS)}), an alias nor a clinical column"
                    )
        for name in self.k_by_column:
            if name not in self.quasi_identifiers:
                raise ValueError(f"k_by_column: '{name}' is not one of the quasi_identifiers")
        for name in self.aliases.values():
            if tag_for_keyword(name) is None:
                raise ValueError(f"aliases: '{name}' is not a DICOM keyword")
        return self

    def k_for(self, column: str) -> int:
        return self.k_by_column.get(column, self.k)
