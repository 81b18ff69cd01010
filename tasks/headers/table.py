"""PS3.15 Table E.1-1 (data file) -> one flat ``tag -> action`` dict for a given profile.

Everything that can be decided before seeing a file is decided here, once per profile:
option precedence, combined codes, the profile's overrides and generalisations. The walker
then does a single dict lookup per element.

Actions (single codes from the standard, plus internal ones for pseudonyms/generalisation):
  X remove · Z empty · D dummy · K keep · C clean · U remap UID
  P patient pseudonym (PatientID, PatientName) · A accession pseudonym · S study-ID pseudonym
  G generalise (age band, body-part group, region; the stage fills the value in)
  T keep, after a cross-check against the file's identifying values (``crosscheck``): text
    the table keeps or does not list, whose value has a coded or enumerated meaning
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pydicom.datadict import DicomDictionary, tag_for_keyword
from pydicom.uid import UID

from tasks.config.errors import InvalidProfile
from tasks.headers.crosscheck import text_attributes
from tasks.headers.header_settings import HeaderProfile, parse_tag

TABLE_PATH = Path(__file__).resolve().parent / "data" / "ps3.15_table_e1-1.json"
SOP_CLASSES_PATH = Path(__file__).resolve().parent / "data" / "supported_sop_classes.json"
TYPES_PATH = Path(__file__).resolve().parent / "data" / "attribute_types.json"
SINGLE_CODES = {"X", "Z", "D", "K", "C", "U"}
COMBINED_CODES = {"X/Z", "X/D", "X/Z/D", "Z/D", "X/Z/U*"}
DATE_OPTIONS = ("retain_full_dates", "retain_modified_dates")
OTHER_OPTIONS = (
    "retain_safe_private",
    "retain_uids",
    "retain_device_identity",
    "retain_institution_identity",
    "retain_patient_characteristics",
    "clean_descriptors",
    "clean_structured_content",
    "clean_graphics",
)

# Combined codes when the attribute's Type in the IOD is unknown: the standard picks X only
# if the attribute is Type 3; not knowing, take the action that keeps any Type valid (an
# empty or dummy value carries no information either). Sequences with combined codes are
# Type 3 in the common IODs and an empty Type 3 sequence is itself an error (dciodvfy), so
# they are removed; X/Z/U* keeps the references with their UIDs remapped.
BY_TYPE = {1: "D", 2: "Z", 3: "X"}  # the action each Type requires
COMBINED_VALUE = {"X/Z": "Z", "X/D": "D", "X/Z/D": "D", "Z/D": "D", "X/Z/U*": "U"}
COMBINED_SEQUENCE = {"X/Z": "X", "X/D": "X", "X/Z/D": "X", "Z/D": "Z", "X/Z/U*": "U"}

PSEUDONYM_ACTIONS = {
    0x00100020: "P",  # PatientID
    0x00100010: "P",  # PatientName
    0x00080050: "A",  # AccessionNumber
    0x00200010: "S",  # StudyID
}
DEVICE_DESCRIPTION = {
    0x00080070: "D",  # Manufacturer (Type 1 in some modules): a dummy value
    0x00081090: "X",  # ManufacturerModelName
    0x00181020: "X",  # SoftwareVersions
}
PATIENT_AGE, BODY_PART, INSTITUTION_NAME = 0x00101010, 0x00180015, 0x00080080
SQ_TAGS = frozenset(tag for tag, entry in DicomDictionary.items() if entry[0] == "SQ")
FREE_TEXT_VRS = frozenset({"ST", "LT", "UT", "UC"})
DESCRIPTOR_VRS = frozenset({"LO", "SH", "ST", "LT", "UT", "UC"})  # cleaned when not coded
CHECKED_VRS = DESCRIPTOR_VRS | {"CS", "AE"}  # kept text: cross-checked
NEVER_CHECKED = frozenset({0x00080005})  # SpecificCharacterSet: how the rest is read


@dataclass(frozen=True)
class TableRow:
    tag: str  # "00100010", "50XXXXXX", "60XX3000" or "private"
    keyword: str
    name: str
    basic: str
    options: dict[str, str]
    in_std_iod: bool


@dataclass(frozen=True)
class Plan:
    actions: dict[int, str]  # exact tag -> action
    identifying: frozenset[int]  # whose removed/replaced values are collected as identifiers
    keep_safe_private: frozenset[tuple[int, str, int]]  # (group, creator, element byte)
    date_mode: str  # remove | shift | keep
    options_used: tuple[str, ...]  # PS3.15 options in effect (for the method attributes)
    combined: dict[int, str] = field(default_factory=dict)  # tag -> combined code it came from
    # what a cross-check hit does to a kept value: X, Z or D (the table's basic action; D
    # for attributes the table does not list)
    on_hit: dict[int, str] = field(default_factory=dict)
    unlisted_text: frozenset[int] = frozenset()  # text attributes the table does not list
    _by_sop_class: dict[str, dict[int, str]] = field(default_factory=dict, repr=False)

    def actions_for(self, sop_class_uid: str) -> dict[int, str]:
        """The actions for one SOP class: combined codes resolved by the Type its IOD gives."""
        cached = self._by_sop_class.get(sop_class_uid)
        if cached is not None:
            return cached
        actions = dict(self.actions)
        for tag, type_ in attribute_types(sop_class_uid).items():
            code = self.combined.get(tag)
            if code is not None:
                actions[tag] = resolve_combined(code, type_, tag in SQ_TAGS)
        self._by_sop_class[sop_class_uid] = actions
        return actions


def resolve_combined(code: str, type_: int | None, is_sequence: bool) -> str:
    """The standard's rule: X if the attribute is Type 3, Z if Type 2, D if Type 1 (taking
    the strongest action the code allows); unknown Type -> an action valid for any Type."""
    if type_ is None:
        return (COMBINED_SEQUENCE if is_sequence else COMBINED_VALUE)[code]
    allowed = code.rstrip("*").split("/")
    preferred = {3: ("X", "Z", "D"), 2: ("Z", "D"), 1: ("D",)}[type_]
    return next((action for action in preferred if action in allowed), allowed[-1])


@cache
def _types_data() -> tuple[dict[int, int], tuple[tuple[re.Pattern[str], dict[int, int]], ...]]:
    try:
        data = json.loads(TYPES_PATH.read_text(encoding="utf-8"))
        default = {parse_tag(k): int(v) for k, v in data["default"].items()}
        rules = tuple(
            (re.compile(rule["names"]), {parse_tag(k): int(v) for k, v in rule["types"].items()})
            for rule in data["by_sop_class"]
        )
    except (OSError, ValueError, KeyError, TypeError, re.error) as error:
        raise InvalidProfile(f"{TYPES_PATH} is invalid ({type(error).__name__})") from None
    every = [*default.values(), *(t for _, types in rules for t in types.values())]
    if any(t not in BY_TYPE for t in every):
        raise InvalidProfile(f"{TYPES_PATH}: a Type must be 1, 2 or 3")
    return default, rules


@cache
def attribute_types(sop_class_uid: str) -> dict[int, int]:
    default, rules = _types_data()
    name = UID(sop_class_uid).name if sop_class_uid else ""
    types = dict(default)
    for pattern, refined in rules:
        if pattern.search(name):
            types.update(refined)
    return types


@cache
def load_table() -> tuple[TableRow, ...]:
    try:
        data = json.loads(TABLE_PATH.read_text(encoding="utf-8"))
        rows = tuple(TableRow(**row) for row in data["rows"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InvalidProfile(f"{TABLE_PATH} is unreadable ({type(error).__name__})") from None
    for row in rows:
        if row.basic not in SINGLE_CODES | COMBINED_CODES:
            raise InvalidProfile(f"{TABLE_PATH}: {row.tag} has unknown action '{row.basic}'")
        for option, code in row.options.items():
            if option not in DATE_OPTIONS + OTHER_OPTIONS or code not in ("K", "C"):
                raise InvalidProfile(f"{TABLE_PATH}: {row.tag} has bad option '{option}'")
    return rows


@cache
def supported_sop_classes() -> frozenset[str]:
    try:
        return frozenset(e["uid"] for e in json.loads(SOP_CLASSES_PATH.read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InvalidProfile(f"{SOP_CLASSES_PATH} is unreadable ({type(error).__name__})") from None


def enabled_options(profile: HeaderProfile) -> dict[str, bool]:
    flags = {name: bool(getattr(profile, name)) for name in OTHER_OPTIONS}
    flags["retain_full_dates"] = profile.dates.mode == "keep"
    flags["retain_modified_dates"] = profile.dates.mode == "shift"
    return flags


def row_action(row: TableRow, enabled: dict[str, bool], is_sequence: bool) -> str:
    """The single action for one table row under the enabled options."""
    date_codes = [row.options[o] for o in DATE_OPTIONS if o in row.options and enabled.get(o)]
    if any(o in row.options for o in DATE_OPTIONS):
        # a date/time row: the date policy decides (another option must not keep a full date)
        if date_codes:
            return date_codes[0]
    else:
        codes = {row.options[o] for o in OTHER_OPTIONS if o in row.options and enabled.get(o)}
        if "K" in codes:
            return "K"
        if "C" in codes:
            return "C"
    if row.basic in COMBINED_CODES:
        return (COMBINED_SEQUENCE if is_sequence else COMBINED_VALUE)[row.basic]
    return row.basic


def _date_action(mode: str) -> str:
    return {"remove": "X", "shift": "C", "keep": "K"}[mode]


_BY_IDENTITY: dict[int, tuple[HeaderProfile, Plan]] = {}
_BY_CONTENT: dict[str, Plan] = {}


def compile_plan(profile: HeaderProfile) -> Plan:
    """The plan of a profile, compiled once per process. Profiles are frozen models: the
    same object is found by identity; an equal one (e.g. defaults built anew for a profile
    without a ``headers`` section) by content."""
    cached = _BY_IDENTITY.get(id(profile))
    if cached is not None and cached[0] is profile:
        return cached[1]
    content = profile.model_dump_json()
    plan = _BY_CONTENT.get(content)
    if plan is None:
        plan = _BY_CONTENT[content] = _compile(profile)
    if len(_BY_IDENTITY) > 64:
        _BY_IDENTITY.clear()
    _BY_IDENTITY[id(profile)] = (profile, plan)
    return plan


def _compile(profile: HeaderProfile) -> Plan:
    enabled = enabled_options(profile)
    actions: dict[int, str] = {}
    identifying = set()
    combined: dict[int, str] = {}
    for row in load_table():
        if len(row.tag) != 8 or "X" in row.tag:
            continue  # the private row and the 50xx/60xx ranges are rules in the walker
        tag = int(row.tag, 16)
        actions[tag] = row_action(row, enabled, tag in SQ_TAGS)
        if row.basic in COMBINED_CODES and actions[tag] in row.basic:
            combined[tag] = row.basic  # the basic code decided: Type-dependent per IOD
        if "clean_descriptors" not in row.options:  # descriptors are cleaned, not collected
            identifying.add(tag)
    # safer than the table: dates, times and person names the table does not list
    for tag, entry in DicomDictionary.items():
        if tag in actions or not isinstance(tag, int) or (tag >> 16) in (0x0002, 0xFFFE):
            continue
        if entry[0] in ("DA", "DT"):
            actions[tag] = _date_action(profile.dates.mode)
            identifying.add(tag)
        elif entry[0] == "TM":  # times of day move with dates (see dates.py)
            actions[tag] = _date_action(profile.dates.mode)
        elif entry[0] == "PN":
            actions[tag] = "D"
            identifying.add(tag)
    unlisted_text = _unlisted_text(profile, actions, identifying)
    if not profile.keep_device_description:
        actions.update(DEVICE_DESCRIPTION)
    if profile.pseudonyms.enabled:
        actions.update(PSEUDONYM_ACTIONS)
    if profile.age_bands is not None:
        actions[PATIENT_AGE] = "G"
    if profile.body_part_groups is not None:
        actions[BODY_PART] = "G"
    if profile.regions is not None:
        actions[INSTITUTION_NAME] = "G"
    actions.update(profile.override_actions)
    if profile.cross_check:
        for tag, action in actions.items():
            if action == "K" and _dictionary_vr(tag) in CHECKED_VRS and tag not in NEVER_CHECKED:
                actions[tag] = "T"
    for tag in list(combined):
        if actions[tag] not in combined[tag]:  # replaced by a special action or override
            del combined[tag]
    for tag in profile.override_actions:
        combined.pop(tag, None)
    safe = frozenset(
        (entry.group, entry.creator.strip(), entry.element) for entry in profile.safe_private
    )
    used = tuple(name for name, on in enabled.items() if on)
    return Plan(
        actions=actions,
        identifying=frozenset(identifying),
        keep_safe_private=safe if profile.retain_safe_private else frozenset(),
        date_mode=profile.dates.mode,
        options_used=used,
        combined=combined,
        on_hit=_on_hit(),
        unlisted_text=unlisted_text,
    )


def _dictionary_vr(tag: int) -> str:
    entry = DicomDictionary.get(tag)
    return entry[0] if entry else ""


def _tags(keywords: frozenset[str]) -> set[int]:
    tags = {tag_for_keyword(k) for k in keywords}
    if None in tags:
        raise InvalidProfile("data/text_attributes.yaml names an unknown attribute")
    return tags  # type: ignore[return-value]


def _unlisted_text(profile: HeaderProfile, actions: dict[int, str], identifying: set) -> frozenset:
    """Actions for the text attributes the table does not list: device identity like
    StationName; free text cleaned (Clean Descriptors) unless its meaning is coded; coded
    text cross-checked. Adds them to ``actions``; returns their tags."""
    lists = text_attributes()
    for tag in _tags(lists["device_identity"]):
        if tag not in actions:
            actions[tag] = "K" if profile.retain_device_identity else "D"
            identifying.add(tag)
    coded = _tags(lists["coded"])
    unlisted = set()
    for tag, entry in DicomDictionary.items():
        if tag in actions or not isinstance(tag, int) or (tag >> 16) in (0x0000, 0x0002, 0xFFFE):
            continue
        if tag in NEVER_CHECKED or entry[0] not in CHECKED_VRS:
            continue
        unlisted.add(tag)
        if entry[0] in DESCRIPTOR_VRS and profile.clean_descriptors and tag not in coded:
            actions[tag] = "C"
        elif profile.cross_check:
            actions[tag] = "T"
    return frozenset(unlisted)


@cache
def _on_hit() -> dict[int, str]:
    out = {}
    for row in load_table():
        if len(row.tag) == 8 and "X" not in row.tag:
            code = COMBINED_VALUE.get(row.basic, row.basic)
            out[int(row.tag, 16)] = code if code in ("X", "Z", "D") else "D"
    return out
