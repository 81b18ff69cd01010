"""What the output says about its own de-identification (PS3.15 E.1.1 and E.3):
PatientIdentityRemoved, DeidentificationMethod (+ code sequence, CID 7050) and
LongitudinalTemporalInformationModified."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from tasks.config.errors import InvalidProfile
from tasks.headers.header_settings import HeaderProfile
from tasks.headers.table import Plan

CODES_PATH = Path(__file__).resolve().parent / "data" / "deidentification_codes.json"
TEMPORAL = {"shift": "MODIFIED", "keep": "UNMODIFIED", "remove": "REMOVED"}
METHOD = "Clearance: DICOM PS3.15 E.1-1 2024b"


@cache
def _codes() -> tuple[tuple[str, str], dict[str, tuple[str, str]]]:
    try:
        data = json.loads(CODES_PATH.read_text(encoding="utf-8"))
        return tuple(data["basic"]), {k: tuple(v) for k, v in data["options"].items()}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InvalidProfile(f"{CODES_PATH} is unreadable ({type(error).__name__})") from None


def method_codes(profile: HeaderProfile, plan: Plan) -> list[tuple[str, str]]:
    basic, options = _codes()
    used = list(plan.options_used)
    if profile.clean_pixel_data:
        used.append("clean_pixel_data")
    return [basic, *(options[name] for name in used if name in options)]


@cache
def _code_items(codes: tuple[tuple[str, str], ...]) -> tuple[Dataset, ...]:
    """Code items built once per set of codes (they are only ever written, never changed)."""
    items = []
    for value, meaning in codes:
        item = Dataset()
        item.CodeValue = value
        item.CodingSchemeDesignator = "DCM"
        item.CodeMeaning = meaning
        items.append(item)
    return tuple(items)


def mark(ds: Dataset, profile: HeaderProfile, plan: Plan, profile_name: str) -> None:
    ds.PatientIdentityRemoved = "YES"
    methods = [METHOD, f"Clearance release profile: {profile_name}"[:64]]
    previous = ds.get("DeidentificationMethod")
    if previous:
        earlier = [previous] if isinstance(previous, str) else list(previous)
        methods = [m for m in earlier if m not in methods] + methods
    ds.DeidentificationMethod = methods
    ours = _code_items(tuple(method_codes(profile, plan)))
    existing = list(ds.get("DeidentificationMethodCodeSequence") or [])
    seen = {(item.get("CodingSchemeDesignator"), item.get("CodeValue")) for item in existing}
    new = [item for item in ours if ("DCM", item.CodeValue) not in seen]
    ds.DeidentificationMethodCodeSequence = Sequence(existing + new)
    ds.LongitudinalTemporalInformationModified = TEMPORAL[plan.date_mode]
