"""Release profile: what to keep, at what granularity, and how each stage behaves.

The top level is validated here; each stage section is validated by the stage's own
pydantic model (``SECTION_MODELS``), and a profile with a section no stage reads is
rejected. ``ReleaseProfile.section`` returns the stage's own type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, overload

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    field_validator,
)

from tasks.checks.check_settings import ChecksProfile
from tasks.config.errors import InvalidProfile, describe_validation_error
from tasks.headers.header_settings import HeaderProfile
from tasks.pixels.pixel_settings import PixelProfile
from tasks.reports.report_settings import ReportProfile

# section name -> the stage's own schema for its section
SECTION_MODELS: dict[str, type[BaseModel]] = {
    "headers": HeaderProfile,
    "pixels": PixelProfile,
    "reports": ReportProfile,
    "checks": ChecksProfile,
}


class KeySource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    env: str = "CLEARANCE_PSEUDONYM_KEY"
    secret_block: str | None = None  # name of a Prefect Secret block, tried first when set


class GateSettings(BaseModel):
    """How long the gate waits, and how the flow knows who answered.

    ``identity``: ``totp`` — the approver's name and the current code of the authenticator
    app they enrolled (`clearance approver enrol`), checked by the flow; ``sso-header`` — the
    Prefect UI and API are reachable only through the site's single sign-on proxy, which is
    what proves who answers (the flow checks the listed name); ``name-only`` — a listed name
    is enough: the demo's setting, where anyone who reaches the UI is the operator."""

    model_config = ConfigDict(extra="forbid")

    timeout_minutes: float = Field(default=7 * 24 * 60, gt=0)
    identity: Literal["totp", "sso-header", "name-only"] = "totp"


class FileLimitSettings(BaseModel):
    """Each file of a file stage runs in a watched child process: a file that hangs, grows
    past the memory limit or crashes the interpreter is quarantined, the run goes on."""

    model_config = ConfigDict(extra="forbid")

    isolate: bool = True
    seconds_per_file: float = Field(default=600, gt=0, le=24 * 3600)
    memory_mb_per_file: int = Field(default=4096, ge=512)  # resident memory of the child


class ReleaseProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    pseudonym_key: KeySource = KeySource()
    gate: GateSettings = GateSettings()
    limits: FileLimitSettings = FileLimitSettings()
    batch_size: int = Field(default=200, ge=1, le=5000)
    conformance_sample: int = Field(default=200, ge=0)  # released files checked by dciodvfy
    # validated stage sections (dumped with their own fields: the gate's digest covers them)
    sections: dict[str, SerializeAsAny[BaseModel]] = Field(default_factory=dict)

    @field_validator("sections", mode="before")
    @classmethod
    def _stage_models(cls, value: object) -> object:
        """Each section is its stage's model (a mapping is validated into it), so that
        ``section`` returns the type it names."""
        if not isinstance(value, dict):
            return value
        typed: dict[str, BaseModel] = {}
        for name, section in value.items():
            model = SECTION_MODELS.get(name)
            if model is None:
                raise ValueError(f"unknown section '{name}'")
            typed[name] = section if isinstance(section, model) else model.model_validate(section)
        return typed

    @overload
    def section(self, name: Literal["headers"]) -> HeaderProfile: ...
    @overload
    def section(self, name: Literal["pixels"]) -> PixelProfile: ...
    @overload
    def section(self, name: Literal["reports"]) -> ReportProfile: ...
    @overload
    def section(self, name: Literal["checks"]) -> ChecksProfile: ...
    @overload
    def section(self, name: str) -> BaseModel: ...
    def section(self, name: str) -> BaseModel:
        """The stage's validated settings, or its defaults when the profile omits it."""
        if name in self.sections:
            return self.sections[name]
        if name in SECTION_MODELS:
            return SECTION_MODELS[name]()
        raise KeyError(name)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidProfile(f"profile {path} cannot be read ({type(error).__name__})") from None
    if not isinstance(raw, dict):
        raise InvalidProfile(f"profile {path} must be a YAML mapping")
    return raw


def _with_base(path: Path, raw: dict[str, Any], seen: tuple[Path, ...]) -> dict[str, Any]:
    """``extends: <profile>`` starts from another profile (a path relative to this one, or a
    shipped profile's name) and overrides it key by key, sections merged recursively."""
    base_name = raw.pop("extends", None)
    if base_name is None:
        return raw
    # (here: the request module imports the PACS client, ~0.5 s, and only a profile that
    # extends another needs it)
    from tasks.config.request import resolve_profile_path

    base_path = resolve_profile_path(path.resolve().parent, Path(str(base_name)))
    if base_path.resolve() in seen:
        raise InvalidProfile(f"profile {path}: 'extends' forms a cycle")
    if not base_path.is_file():
        raise InvalidProfile(f"profile {path}: extends '{base_name}', which does not exist")
    base = _with_base(base_path, _read_yaml(base_path), (*seen, base_path.resolve()))
    return _deep_merge(base, raw)


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_profile(path: Path | str) -> ReleaseProfile:
    path = Path(path)
    raw = _with_base(path, _read_yaml(path), seen=(path.resolve(),))
    top_fields = set(ReleaseProfile.model_fields) - {"sections"}
    top = {k: v for k, v in raw.items() if k in top_fields}
    sections_raw = {k: v for k, v in raw.items() if k not in top_fields}
    sections: dict[str, BaseModel] = {}
    for name, value in sections_raw.items():
        if name not in SECTION_MODELS:
            known = ", ".join(sorted(top_fields | set(SECTION_MODELS)))
            raise InvalidProfile(f"profile {path}: unknown section '{name}' (known: {known})")
        try:
            sections[name] = SECTION_MODELS[name].model_validate(value or {})
        except ValidationError as error:
            raise InvalidProfile(
                describe_validation_error(f"profile {path} [{name}]", error)
            ) from None
    try:
        return ReleaseProfile.model_validate({**top, "sections": sections})
    except ValidationError as error:
        raise InvalidProfile(describe_validation_error(f"profile {path}", error)) from None
