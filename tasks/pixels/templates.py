"""Known-region templates: header conditions -> fixed rectangles to redact on every frame.

A template matches a dataset when every condition it lists holds (see templates.yaml for the
format). Regions are in pixels (negative values count from the right/bottom edge) or, with
``units: fraction``, in fractions of the frame's width and height, so one entry covers every
frame size a scanner exports.
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from tasks.config.errors import InvalidProfile, describe_validation_error
from tasks.pixels.boxes import Box

Region = tuple[float, float, float, float]


def _check_pattern(value: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise ValueError(f"not a regular expression ({error.msg})") from None
    return value


def _header_text(ds: Dataset, keyword: str) -> str:
    """An element's value as text; multi-valued elements joined with a backslash."""
    value = ds.get(keyword, "")
    if value is None:
        return ""
    if isinstance(value, MultiValue | list | tuple):
        return "\\".join(str(v) for v in value)
    return str(value)


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    manufacturer: str | None = None  # regex searched in Manufacturer
    model: str | None = None  # regex searched in ManufacturerModelName
    sop_classes: list[str] = Field(default_factory=list)
    rows: int | None = Field(default=None, ge=1)
    columns: int | None = Field(default=None, ge=1)
    header: dict[str, str] = Field(default_factory=dict)  # DICOM keyword -> regex
    units: Literal["px", "fraction"] = "px"
    regions: list[Region] = Field(min_length=1)
    example: dict[str, str | int] = Field(default_factory=dict)  # a header it is meant for

    @field_validator("manufacturer", "model")
    @classmethod
    def _valid_pattern(cls, value: str | None) -> str | None:
        return None if value is None else _check_pattern(value)

    @field_validator("header")
    @classmethod
    def _valid_header(cls, value: dict[str, str]) -> dict[str, str]:
        for keyword, pattern in value.items():
            if tag_for_keyword(keyword) is None:
                raise ValueError(f"{keyword!r} is not a DICOM keyword")
            _check_pattern(pattern)
        return value

    @field_validator("example")
    @classmethod
    def _valid_example(cls, value: dict[str, str | int]) -> dict[str, str | int]:
        unknown = [k for k in value if tag_for_keyword(k) is None]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a DICOM keyword")
        return value

    @model_validator(mode="after")
    def _valid_regions(self) -> Template:
        for index, region in enumerate(self.regions):
            if self.units == "fraction":
                if not all(0.0 <= v <= 1.0 for v in region):
                    raise ValueError(f"regions[{index}]: fractions must lie in [0, 1]")
                if region[0] >= region[2] or region[1] >= region[3]:
                    raise ValueError(f"regions[{index}]: x0 < x1 and y0 < y1 are required")
                continue
            if not all(float(v).is_integer() for v in region):
                raise ValueError(f"regions[{index}]: pixel edges must be integers")
            x0, y0, x1, y1 = region
            if (x0 >= 0 and x1 >= 0 and x0 >= x1) or (y0 >= 0 and y1 >= 0 and y0 >= y1):
                raise ValueError(f"regions[{index}]: x0 < x1 and y0 < y1 are required")
        return self

    def matches(self, ds: Dataset) -> bool:
        conditions = [(p, _header_text(ds, k)) for k, p in self.header.items()]
        if self.manufacturer is not None:
            conditions.append((self.manufacturer, _header_text(ds, "Manufacturer")))
        if self.model is not None:
            conditions.append((self.model, _header_text(ds, "ManufacturerModelName")))
        if any(not re.search(p, v, re.IGNORECASE) for p, v in conditions):
            return False
        if self.sop_classes and str(ds.get("SOPClassUID", "")) not in self.sop_classes:
            return False
        if self.rows is not None and int(ds.get("Rows", 0)) != self.rows:
            return False
        return self.columns is None or int(ds.get("Columns", 0)) == self.columns

    def boxes(self, width: int, height: int) -> list[Box]:
        out = []
        for region in self.regions:
            if self.units == "fraction":
                x0, y0, x1, y1 = region
                box = Box(
                    math.floor(x0 * width),
                    math.floor(y0 * height),
                    math.ceil(x1 * width),
                    math.ceil(y1 * height),
                )
            else:
                x0, y0, x1, y1 = (int(v) for v in region)
                box = Box(
                    _edge(x0, width, start=True),
                    _edge(y0, height, start=True),
                    _edge(x1, width, start=False),
                    _edge(y1, height, start=False),
                )
            box = box.clipped(width, height)
            if box.area > 0:
                out.append(box)
        return out


def _edge(value: int, size: int, start: bool) -> int:
    if value >= 0:
        return value
    if not start and value == -1:
        return size
    return size + value


class TemplateFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    definitions: dict[str, list[str]] = Field(default_factory=dict)  # YAML anchors reused
    templates: list[Template] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> TemplateFile:
        names = [t.name for t in self.templates]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"template names must be unique ({', '.join(duplicates)})")
        return self


@cache
def load_templates(path: Path) -> tuple[Template, ...]:
    """Load and validate a templates file once per process; errors name file and field."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidProfile(
            f"pixel templates {path} cannot be read ({type(error).__name__})"
        ) from None
    try:
        return tuple(TemplateFile.model_validate(raw or {}).templates)
    except ValidationError as error:
        raise InvalidProfile(describe_validation_error(f"pixel templates {path}", error)) from None


def matching_templates(templates: tuple[Template, ...], ds: Dataset) -> list[Template]:
    return [t for t in templates if t.matches(ds)]


def template_boxes(templates: tuple[Template, ...], ds: Dataset) -> list[Box]:
    width, height = int(ds.Columns), int(ds.Rows)
    return [box for t in matching_templates(templates, ds) for box in t.boxes(width, height)]
