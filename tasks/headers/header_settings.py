"""The ``headers:`` section of a release profile (validated once, when the profile loads).

Defaults are the safe choice: PS3.15 basic profile + Clean Descriptors + dates shifted per
patient, identifiers replaced by keyed pseudonyms, device description removed, no private
attribute kept. Every PS3.15 option is a switch; generalisations (age bands, body-part groups,
institution -> region) are off unless configured.
"""

from __future__ import annotations

import csv
import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydicom.datadict import dictionary_VR, tag_for_keyword

PROFILES_DIR = Path(__file__).resolve().parents[2] / "profiles"

ActionCode = Literal["X", "Z", "D", "K", "C", "U"]
Importance = Literal["principal", "secondary", "useless", "technically_required"]
UID_ROOT = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")
CS_VALUE = re.compile(r"^[A-Z0-9_ ]{1,16}$")


def parse_tag(name: str) -> int:
    """A keyword (``PatientName``) or a tag (``(0010,0010)``, ``00100010``) -> tag int."""
    text = name.strip()
    compact = text.strip("()").replace(",", "").replace(" ", "")
    if re.fullmatch(r"[0-9A-Fa-f]{8}", compact):
        return int(compact, 16)
    tag = tag_for_keyword(text)
    if tag is None:
        raise ValueError(f"unknown attribute '{name}' (not a DICOM keyword or tag)")
    return tag


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AttributeRule(_Strict):
    action: ActionCode
    importance: Importance | None = None  # documentation of the purpose-driven choice


class DatePolicy(_Strict):
    """remove = basic profile; shift = Retain Longitudinal Temporal Information with Modified
    Dates (one keyed offset per patient); keep = ... with Full Dates.

    Under ``shift`` the offset is a keyed number of whole days in [shift_min_days,
    shift_max_days] plus a keyed part of a day (1 s to 23 h 59 min 59 s), so times of day
    move with dates; ``keep_time_of_day: true`` shifts whole days only (times kept)."""

    mode: Literal["remove", "shift", "keep"] = "shift"
    shift_min_days: int = Field(default=-730, ge=-36500, le=36500)
    shift_max_days: int = Field(default=-1, ge=-36500, le=36500)
    keep_time_of_day: bool = False

    @model_validator(mode="after")
    def _range(self) -> DatePolicy:
        if self.shift_min_days > self.shift_max_days:
            raise ValueError("shift_min_days must not exceed shift_max_days")
        if self.shift_min_days == self.shift_max_days == 0:
            raise ValueError("a shift range of exactly 0 days does not modify dates")
        return self


class AgeBands(_Strict):
    """Patient's Age -> the lower edge of its band (as AS, e.g. ``018Y``); ages below the first
    edge go to a band starting at 0, ages at or above the last edge to ``<last>+``."""

    edges: list[int] = Field(min_length=1)

    @field_validator("edges")
    @classmethod
    def _ascending(cls, value: list[int]) -> list[int]:
        if any(b <= a for a, b in zip(value, value[1:], strict=False)) or value[0] < 0:
            raise ValueError("edges must be non-negative and strictly ascending")
        if value[-1] > 999:
            raise ValueError("edges must be below 1000 years")
        return value

    def band(self, years: float) -> tuple[int, str]:
        """(lower edge, label) of the band holding ``years``."""
        lower, upper = 0, self.edges[0]
        if years >= self.edges[-1]:
            return self.edges[-1], f"{self.edges[-1]}+"
        for edge in self.edges:
            if years < edge:
                upper = edge
                break
            lower = edge
        return lower, f"{lower}-{upper - 1}"


class BodyPartGroups(_Strict):
    """Body Part Examined -> one of a few groups; unmapped values -> ``other``."""

    groups: dict[str, list[str]] = Field(min_length=1)
    other: str = "OTHER"

    @model_validator(mode="after")
    def _cs_values(self) -> BodyPartGroups:
        for name in [*self.groups, self.other]:
            if not CS_VALUE.match(name):
                raise ValueError(f"group '{name}' is not a valid CS value (A-Z, 0-9, _, <=16)")
        seen: dict[str, str] = {}
        for group, values in self.groups.items():
            for value in values:
                if value.upper() in seen and seen[value.upper()] != group:
                    raise ValueError(f"body part '{value}' is in two groups")
                seen[value.upper()] = group
        return self

    @cached_property
    def lookup(self) -> dict[str, str]:
        return {v.strip().upper(): g for g, values in self.groups.items() for v in values}

    def group_of(self, value: str) -> str:
        return self.lookup.get(value.strip().upper(), self.other)


def normalise_institution(name: str) -> str:
    return " ".join(name.replace("^", " ").split()).casefold()


class Regions(_Strict):
    """Institution Name -> region (CSV with columns ``institution,region``); unknown
    institutions and (release-wide) regions with fewer than ``min_patients`` -> ``other``."""

    mapping_csv: Path  # relative paths resolve against profiles/
    min_patients: int = Field(default=1, ge=1)
    other: str = Field(default="Other", min_length=1, max_length=64)

    @field_validator("mapping_csv")
    @classmethod
    def _readable(cls, value: Path) -> Path:
        path = value if value.is_absolute() else PROFILES_DIR / value
        load_regions(path)  # raises ValueError naming the file and the problem
        return path

    @cached_property
    def mapping(self) -> dict[str, str]:
        return load_regions(self.mapping_csv)

    def region_of(self, institution: str) -> str:
        return self.mapping.get(normalise_institution(institution), self.other)


def load_regions(path: Path) -> dict[str, str]:
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"institution", "region"} <= set(reader.fieldnames):
                raise ValueError(f"{path}: needs the columns 'institution' and 'region'")
            mapping = {}
            for line, row in enumerate(reader, start=2):
                institution, region = (row["institution"] or "").strip(), (row["region"] or "")
                if not institution or not region.strip() or len(region.strip()) > 64:
                    raise ValueError(f"{path} line {line}: empty institution or bad region")
                mapping[normalise_institution(institution)] = region.strip()
    except OSError:
        raise ValueError(f"region mapping {path} cannot be read") from None
    return mapping


class SafePrivate(_Strict):
    """One private attribute declared safe (PS3.15 E.3.10): creator + group + element byte."""

    creator: str = Field(min_length=1)
    group: int = Field(ge=0x0009, le=0xFFFF)
    element: int = Field(ge=0x00, le=0xFF, description="low byte of the element number")

    @field_validator("group")
    @classmethod
    def _odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError("a private group is odd")
        return value


class Pseudonyms(_Strict):
    """Keyed pseudonyms replacing Patient ID/Name, Accession Number and Study ID."""

    enabled: bool = True
    patient_prefix: str = Field(default="P", pattern=r"^[A-Z0-9]{0,8}$")
    accession_prefix: str = Field(default="A", pattern=r"^[A-Z0-9]{0,3}$")
    study_id_prefix: str = Field(default="S", pattern=r"^[A-Z0-9]{0,3}$")
    length: int = Field(default=12, ge=8, le=12)


class HeaderProfile(_Strict):
    # PS3.15 Annex E options (basic profile always applies)
    retain_safe_private: bool = False
    safe_private: list[SafePrivate] = Field(default_factory=list)
    retain_uids: bool = False
    retain_device_identity: bool = False
    retain_institution_identity: bool = False
    retain_patient_characteristics: bool = False
    dates: DatePolicy = DatePolicy()
    clean_descriptors: bool = True  # also text attributes the table does not list
    # every kept text value is searched for the file's own identifying values (crosscheck.py)
    cross_check: bool = True
    # also drop what the report stage's recognisers find in descriptors (spaCy + rules)
    descriptor_recognisers: bool = True
    clean_structured_content: bool = False
    clean_graphics: bool = False
    clean_pixel_data: bool = True  # declared here (code sequence); done by the pixel stage
    uid_root: str = Field(default="2.25", max_length=40)
    pseudonyms: Pseudonyms = Pseudonyms()
    # purpose-driven minimisation
    keep_device_description: bool = False  # Manufacturer, model name, software versions
    age_bands: AgeBands | None = None
    body_part_groups: BodyPartGroups | None = None
    regions: Regions | None = None
    overrides: dict[str, ActionCode | AttributeRule] = Field(default_factory=dict)

    @field_validator("uid_root")
    @classmethod
    def _uid_root(cls, value: str) -> str:
        value = value.rstrip(".")
        if not UID_ROOT.match(value):
            raise ValueError("uid_root must be dot-separated numbers without leading zeros")
        return value

    @field_validator("overrides")
    @classmethod
    def _known_attributes(cls, value: dict) -> dict:
        for name, rule in value.items():
            tag = parse_tag(name)
            action = rule if isinstance(rule, str) else rule.action
            if action == "U" and _vr(tag) not in ("UI", "SQ"):
                raise ValueError(f"'{name}': action U applies to UIDs (and sequences) only")
        return value

    @cached_property
    def override_actions(self) -> dict[int, str]:
        return {
            parse_tag(name): rule if isinstance(rule, str) else rule.action
            for name, rule in self.overrides.items()
        }


def _vr(tag: int) -> str:
    try:
        return dictionary_VR(tag)
    except KeyError:
        return "UN"
