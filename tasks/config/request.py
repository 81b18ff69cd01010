"""Release request: the YAML a requester submits, validated with pydantic."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from tasks.config.errors import InvalidRequest, describe_validation_error
from tasks.pacs.spec import PacsDestination, PacsSource
from tasks.publish.publication import destination_in_use

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Inputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dicom: Path | PacsSource  # a folder, or a PACS to retrieve from (C-GET/C-MOVE/DICOMweb)
    reports: Path | None = None
    clinical: Path | None = None


class Retention(BaseModel):
    """How long the release (and its workspace) may be kept: a fixed date, or N years after
    the last publication that used it (recorded with `clearance published`)."""

    model_config = ConfigDict(extra="forbid")

    until: date | None = None
    years_after_last_publication: int | None = Field(default=None, ge=0, le=50)

    @model_validator(mode="after")
    def _exactly_one(self) -> Retention:
        if (self.until is None) == (self.years_after_last_publication is None):
            raise ValueError("give exactly one of 'until' or 'years_after_last_publication'")
        return self


class ReleaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    purpose: str = Field(min_length=3)
    requester: str = Field(min_length=1)
    approvers: list[str] = Field(min_length=1)
    inputs: Inputs
    profile: Path
    workspace: Path
    destination: Path
    language: str | None = Field(default=None, pattern=r"^(fr|en)$")
    retention: Retention | None = None
    push: PacsDestination | None = None  # also send the approved release to a research PACS
    # the recipient or project whose identifiers this release shares (default: requester);
    # releases to different domains share no pseudonym, UID or accession number
    pseudonym_domain: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("approvers")
    @classmethod
    def _approvers_not_blank(cls, value: list[str]) -> list[str]:
        if any(not name.strip() for name in value):
            raise ValueError("approver names must not be blank")
        return value

    @field_validator("pseudonym_domain")
    @classmethod
    def _domain_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("pseudonym_domain must not be blank")
        return value


def load_request(path: Path | str) -> ReleaseRequest:
    """Load and validate a request; relative paths resolve against the request's folder."""
    path = Path(path)
    if not path.is_file():
        raise InvalidRequest(f"release request {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise InvalidRequest(f"{path} is not valid YAML ({type(error).__name__})") from None
    if not isinstance(raw, dict):
        raise InvalidRequest(f"{path} must be a YAML mapping of request fields")
    try:
        request = ReleaseRequest.model_validate(raw)
    except ValidationError as error:
        raise InvalidRequest(describe_validation_error(str(path), error)) from None
    base = path.resolve().parent
    inputs = request.inputs
    resolved = request.model_copy(
        update={
            "inputs": inputs.model_copy(
                update={
                    "dicom": _resolve(base, inputs.dicom)
                    if isinstance(inputs.dicom, Path)
                    else inputs.dicom,
                    "reports": _resolve(base, inputs.reports) if inputs.reports else None,
                    "clinical": _resolve(base, inputs.clinical) if inputs.clinical else None,
                }
            ),
            "profile": resolve_profile_path(base, request.profile),
            "workspace": _resolve(base, request.workspace),
            "destination": _resolve(base, request.destination),
        }
    )
    _check_paths(path, resolved)
    return resolved


def _resolve(base: Path, value: Path) -> Path:
    value = value.expanduser()
    return value if value.is_absolute() else (base / value).resolve()


def resolve_profile_path(base: Path, value: Path) -> Path:
    """A profile is a path (relative to the request) or a shipped profile's name."""
    candidate = _resolve(base, value)
    if candidate.is_file():
        return candidate
    shipped = PROJECT_ROOT / "profiles" / value
    for option in (shipped, shipped.with_suffix(".yaml")):
        if option.is_file():
            return option
    return candidate


def _check_paths(source: Path, request: ReleaseRequest) -> None:
    problems = []
    dicom = request.inputs.dicom if isinstance(request.inputs.dicom, Path) else None
    if dicom is not None and not dicom.is_dir():
        problems.append("inputs.dicom: folder does not exist")
    if request.inputs.reports and not request.inputs.reports.is_dir():
        problems.append("inputs.reports: folder does not exist")
    if request.inputs.clinical and not request.inputs.clinical.is_file():
        problems.append("inputs.clinical: file does not exist")
    if not request.profile.is_file():
        problems.append("profile: file does not exist (give a path or a name in profiles/)")
    destination = request.destination
    folders = [("workspace", request.workspace)]
    if dicom is not None:
        folders.append(("inputs.dicom", dicom))
        if request.workspace == dicom or dicom in request.workspace.parents:
            problems.append("workspace: must not be inside inputs.dicom")
    for label, folder in folders:
        if destination == folder or folder in destination.parents:
            problems.append(f"destination: must not be inside {label}")
    if problems:
        raise InvalidRequest(f"{source} is invalid:\n" + "\n".join(f"  - {p}" for p in problems))


def release_blockers(request: ReleaseRequest) -> list[str]:
    """Why this request cannot make a release now, checked at submit and when a run starts
    (not after the DPO signed): an input folder with no file, a destination already used."""
    problems = []
    dicom = request.inputs.dicom if isinstance(request.inputs.dicom, Path) else None
    if dicom is not None and next((p for p in dicom.rglob("*") if not p.is_dir()), None) is None:
        problems.append("inputs.dicom: folder holds no file")
    if destination_in_use(request.destination):
        problems.append("destination: already holds a release (or other files)")
    return problems
