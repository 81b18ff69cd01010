"""The ``reports:`` section of a release profile."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tasks.reports.config import DATA_DIR


class ClinicalSettings(BaseModel):
    """How the clinical CSV's columns are treated (column names compared case-insensitively)."""

    model_config = ConfigDict(extra="forbid")

    accession_column: str = "AccessionNumber"
    patient_id_column: str | None = "PatientID"
    drop_columns: list[str] = Field(
        default_factory=lambda: [
            "PatientName",
            "patient_name",
            "PatientBirthDate",
            "BirthDate",
            "birth_date",
            "NIR",
            "SSN",
            "Address",
            "PatientAddress",
            "Phone",
            "PatientTelephoneNumbers",
            "Email",
            "OtherPatientIDs",
            "ReferringPhysicianName",
            "InstitutionName",
        ]
    )
    date_columns: list[str] = Field(
        default_factory=lambda: [
            "StudyDate",
            "study_date",
            "AdmissionDate",
            "admission_date",
            "DischargeDate",
            "discharge_date",
            "DiagnosisDate",
            "diagnosis_date",
            "DeathDate",
            "death_date",
        ]
    )
    age_columns: list[str] = Field(default_factory=lambda: ["Age", "PatientAge", "age_years"])
    # free text, cleaned by the report engine with the row's study values
    text_columns: list[str] = Field(
        default_factory=lambda: [
            "Diagnosis",
            "Comment",
            "Comments",
            "Notes",
            "Indication",
            "Conclusion",
            "Outcome",
        ]
    )
    keep_columns: list[str] = Field(default_factory=lambda: ["Sex", "PatientSex"])
    # columns named nowhere above: "clean" = like text_columns,
    # "drop" = removed, "reject" = the whole file goes to quarantine
    other_columns: Literal["clean", "drop", "reject"] = "clean"
    delimiter: str = Field(default=",", min_length=1, max_length=1)


class ReportProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # placeholder: typed placeholders ([NOM], [DATE]...); surrogate: consistent fake values
    strategy: Literal["placeholder", "surrogate"] = "placeholder"
    # shift: by the patient's DICOM date offset (placeholder when the offset is 0);
    # year: keep the year only; placeholder: [DATE]
    dates: Literal["shift", "year", "placeholder"] = "shift"
    # band: ages generalised to the bands below; placeholder: [AGE]
    ages: Literal["band", "placeholder"] = "band"
    # a date introduced as a birth date ("né le", "DOB"): age_band = the patient's age band
    # at the study date (as the headers treat PatientBirthDate); shift: like other dates;
    # placeholder: [DATE]. A shifted birth date next to shifted exam dates gives the exact age
    birth_dates: Literal["age_band", "shift", "placeholder"] = "age_band"
    age_bands: list[int] = Field(default_factory=lambda: [0, 18, 30, 45, 60, 75, 90])
    # recognizer configuration: a file name under tasks/reports/data/ or an absolute path
    recognizers: str = "recognizers.yaml"
    language: Literal["auto", "fr", "en"] = "auto"  # the request's language wins when set
    default_language: Literal["fr", "en"] = "fr"  # when detection is undecided
    # run the spaCy statistical NER (French) besides the rules; off = about 2x faster, rules
    # and gazetteers only
    statistical_ner: bool = True
    title_gate: bool = True  # FIDAC check: a title followed by a capitalised word -> quarantine
    clinical: ClinicalSettings = ClinicalSettings()

    @field_validator("age_bands")
    @classmethod
    def _increasing(cls, value: list[int]) -> list[int]:
        if (
            not value
            or value[0] != 0
            or any(b <= a for a, b in zip(value, value[1:], strict=False))
        ):
            raise ValueError("age_bands must start at 0 and increase strictly")
        return value

    @model_validator(mode="after")
    def _recognizers_exist(self) -> ReportProfile:
        if not self.recognizers_path().is_file():
            raise ValueError(f"recognizers: file {self.recognizers} not found")
        return self

    def recognizers_path(self) -> Path:
        path = Path(self.recognizers)
        return path if path.is_absolute() else DATA_DIR / path
