"""Known-region templates: header conditions -> fixed rectangles to redact on every frame."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydicom.dataset import Dataset

from tasks.errors import InvalidProfile, describe_validation_error
from tasks.pixels.boxes import Box


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    manufacturer: str | None = None
    model: str | None = None
    sop_classes: list[str] = Field(default_factory=list)
    rows: int | None = Field(default=None, ge=1)
    columns: int | None = Field(default=None, ge=1)
    regions: list[tuple[int, int, int, int]] = Field(min_length=1)

    @field_validator("manufacturer", "model")
    @classmethod
    def _valid_pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"not a regular expression ({error.msg})") from None
        return value

    def matches(self, ds: Dataset) -> bool:
        checks = (
            (self.manufacturer, str(ds.get("Manufacturer", ""))),
            (self.model, str(ds.get("ManufacturerModelName", ""))),
        )
        if any(p is not None and not re.search(p, v, re.IGNORECASE) for p, v in checks):
            return False
        if self.sop_classes and str(ds.get("SOPClassUID", "")) not in self.sop_classes:
            return False
        if self.rows is not None and int(ds.get("Rows", 0)) != self.rows:
            return False
        return self.columns is None or int(ds.get("Columns", 0)) == self.columns

    def boxes(self, width: int, height: int) -> list[Box]:
        out = []
        for x0, y0, x1, y1 in self.regions:
            box = Box(
                _edge(x0, width, start=True),
                _edge(y0, height, start=True),
                _edge(x1, width, start=False),
                _edge(y1, height, start=False),
            ).clipped(width, height)
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

    templates: list[Template] = Field(default_factory=list)


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


def template_boxes(templates: tuple[Template, ...], ds: Dataset) -> list[Box]:
    width, height = int(ds.Columns), int(ds.Rows)
    return [box for t in templates if t.matches(ds) for box in t.boxes(width, height)]
